"""The reports' SQL aggregation equals the ledger core's pure fold.

The reports sum in PostgreSQL (a value chain or a region can hold many entries); the
ledger core (`ledger.balances`) is the definition. Random ledgers with every kind of
correction — reversals of originals and of adjustments, adjustments, and the corrections
the fold ignores or cannot resolve yet — are stored, and every SQL total is compared with
the fold of the same entries.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from synergia_funding.ledger import codec
from synergia_funding.ledger.balances import (
    Balance,
    SourceLine,
    group,
    line_of,
    region_totals,
    resolve,
    sme_share,
    value_chain_totals,
)
from synergia_funding.ledger.entries import (
    Entry,
    EntryKind,
    EsifFund,
    FinanceType,
    PrivateTiming,
    Source,
)
from synergia_funding.ledger.models import ledger_entries, ledger_nets
from synergia_funding.ledger.repository import rebuild_nets
from synergia_funding.reports import figures, repository

from tests.support.stack import TestStack

PROJECTS = [uuid.UUID(int=1000 + n) for n in range(3)]
BENEFICIARIES = [uuid.UUID(int=n) for n in range(1, 6)]
REGIONS = ["ITH5", "ITH51", "ITH32", "ITC4", "DE21", "ITH55", None]
PREFIXES = ["IT", "ITH", "ITH5", "ITC4", "DE", "FR"]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _original(rng: random.Random, n: int) -> Entry:
    source = rng.choice(list(Source))
    kind = rng.choice(list(EntryKind))
    project = rng.choice([*PROJECTS, None])
    if source is Source.FSTP and project is None:
        project = PROJECTS[0]
    de_minimis = kind is EntryKind.COMMITMENT and rng.random() < 0.3
    return Entry(
        entry_id=_uuid(rng),
        kind=kind,
        beneficiary_id=rng.choice(BENEFICIARIES),
        project_id=project,
        source=source,
        fund=rng.choice(list(EsifFund)) if source is Source.ESIF else None,
        instrument_id=rng.choice(["2014IT16RFOP007", "824060", None]),
        amount=Decimal(rng.randint(1, 5_000_000)) / 100,
        finance_type=FinanceType.GRANT,
        entry_date=date(2022, 1, 1) + timedelta(days=rng.randint(0, 1500)),
        member_state=rng.choice(["IT", "DE"]),
        external_system="test",
        external_id=f"o{n}",
        cost_item_ref=f"c{rng.randint(1, 4)}" if kind is EntryKind.COST_ITEM else None,
        region_nuts=rng.choice(REGIONS),
        is_de_minimis=de_minimis,
        aid_equivalent=Decimal(rng.randint(1, 100_000)) / 100
        if de_minimis and rng.random() < 0.3
        else None,
        private_timing=rng.choice(list(PrivateTiming)) if source is Source.PRIVATE else None,
    )


def _correction(rng: random.Random, target: Entry, n: int, reverse: bool) -> Entry:
    # A correction repeats what it corrects, but its region and date may differ (the
    # rules do not compare them) and the fold ignores them: the SQL must too.
    own: dict[str, Any] = {
        "entry_id": _uuid(rng),
        "external_id": f"c{n}",
        "region_nuts": rng.choice(REGIONS),
        "entry_date": target.entry_date + timedelta(days=rng.randint(0, 90)),
    }
    if reverse:
        # A reversal's amount is positive: it repeats the size of what it reverses.
        aid = None if target.aid_equivalent is None else abs(target.aid_equivalent)
        return replace(
            target,
            **own,
            amount=abs(target.amount),
            aid_equivalent=aid,
            reverses=target.entry_id,
            adjusts=None,
        )
    delta = Decimal(rng.randint(-100_000, 100_000) or 1) / 100
    aid = None
    if target.is_de_minimis and rng.random() < 0.5:
        aid = Decimal(rng.randint(-5_000, 5_000) or 7) / 100
    return replace(
        target, **own, amount=delta, aid_equivalent=aid, reverses=None, adjusts=target.entry_id
    )


def random_ledger(seed: int, originals: int = 120) -> list[Entry]:
    rng = random.Random(seed)
    entries = [_original(rng, n) for n in range(originals)]
    firsts = list(entries)
    n = 0
    for target in rng.sample(firsts, originals // 2):
        n += 1
        entries.append(_correction(rng, target, n, reverse=False))
    adjustments = [e for e in entries if e.adjusts is not None]
    for target in rng.sample(firsts, originals // 6) + rng.sample(
        adjustments, len(adjustments) // 3
    ):
        n += 1
        entries.append(_correction(rng, target, n, reverse=True))
    # What the fold ignores or cannot resolve: a reversal of a reversal, an adjustment of
    # an adjustment and of a reversal, corrections of entries that have not arrived.
    reversals = [e for e in entries if e.reverses is not None]
    for target, reverse in (
        (reversals[0], True),
        (adjustments[0], False),
        (reversals[1], False),
        (replace(firsts[0], entry_id=_uuid(rng)), True),
        (replace(firsts[1], entry_id=_uuid(rng)), False),
    ):
        n += 1
        entries.append(_correction(rng, target, n, reverse=reverse))
    rng.shuffle(entries)
    return entries


@pytest.fixture
async def session(stack: TestStack) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(stack.database_url("funding"))
    try:
        async with async_sessionmaker(engine)() as s:
            yield s
    finally:
        await engine.dispose()


def _lines(rows: list[repository.NetRow]) -> dict[SourceLine, Balance]:
    return dict(figures.cofunding(rows).by_line)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_sql_totals_equal_the_fold(session: AsyncSession, seed: int) -> None:
    entries = random_ledger(seed)
    await session.execute(ledger_entries.insert(), [codec.to_row(e) for e in entries])
    await rebuild_nets(session)  # the fold in SQL, checked here against the pure one
    await session.commit()
    res = resolve(entries)
    # The ledger exercises every kind of correction.
    assert res.unresolved
    assert res.ignored
    assert any(x.reversed for x in res.effects.values())
    # The nets the SQL stores are the fold's, original by original.
    nets = await session.execute(
        select(ledger_nets.c.entry_id, ledger_nets.c.net, ledger_nets.c.reversed)
    )
    assert {row.entry_id: (row.net, row.reversed) for row in nets} == {
        entry_id: (x.amount, x.reversed) for entry_id, x in res.effects.items()
    }

    for project in PROJECTS:
        sql = _lines(await repository.project_lines(session, project))
        assert sql == dict(value_chain_totals(res, project).by_line), project
        budget = await repository.project_budget_by_beneficiary(
            session, project, {Source.H2020, Source.FSTP}
        )
        smes = set(BENEFICIARIES[:2])
        share = sme_share(res, project, smes)
        assert sum((r.committed for r in budget), Decimal(0)) == share.total_budget
        assert sum((r.committed for r in budget if r.key[0] in smes), Decimal(0)) == (
            share.sme_budget
        )

    for prefix in PREFIXES:
        sql = _lines(await repository.region_lines(session, prefix))
        assert sql == dict(region_totals(res, prefix).by_line), prefix
        esif_projects = {
            x.original.project_id
            for x in res.effects.values()
            if x.original.source is Source.ESIF
            and x.original.project_id is not None
            and (x.original.region_nuts or "").upper().startswith(prefix)
        }
        sql = _lines(await repository.region_project_lines(session, prefix))
        assert sql == dict(
            group(res, line_of, lambda e, ps=esif_projects: e.project_id in ps)  # type: ignore[misc]
        ), prefix
        assert await repository.count_projects_with_esif(session, prefix) == len(esif_projects)

    for beneficiary in BENEFICIARIES:
        rows = await repository.beneficiary_totals(session, beneficiary)
        sql_by = {(figures.line_key(*r.key[:3]), r.key[3]): figures.balance_of(r) for r in rows}
        fold_by = group(
            res,
            lambda e: (line_of(e), e.instrument_id),
            lambda e, b=beneficiary: e.beneficiary_id == b,  # type: ignore[misc]
        )
        assert sql_by == fold_by, beneficiary

        members = frozenset({beneficiary})
        aid = await repository.de_minimis_entries(session, members)
        expected = {
            k: x.aid
            for k, x in res.effects.items()
            if x.original.is_de_minimis and x.original.beneficiary_id == beneficiary
        }
        got = resolve(aid).effects
        assert {k: x.aid for k, x in got.items()} == expected, "all the aid, netted"


async def test_a_ledger_with_nothing_in_scope_sums_to_nothing(session: AsyncSession) -> None:
    assert await repository.project_lines(session, uuid.uuid4()) == []
    assert await repository.region_lines(session, "ITH5") == []
