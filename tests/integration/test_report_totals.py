"""The region report's running totals (migration 0013, ``reports.totals``) always equal
the sums of ``ledger_nets`` they stand for: through every way the nets are written (the
ledger writer's COPY and upsert, a delete and rebuild, a truncate), before and after a
compaction, and when a compaction runs while a writer's transaction is open. Writers of
one region's money do not wait for each other on its totals."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from synergia_funding.app import create_app as create_funding
from synergia_funding.ledger import codec, repository
from synergia_funding.ledger.balances import resolve
from synergia_funding.ledger.entries import Entry
from synergia_funding.ledger.models import ledger_entries
from synergia_funding.ledger.repository import REBUILD_NETS
from synergia_funding.reports.totals import compact
from synergia_funding.settings import FundingSettings

from tests.integration.test_funding_report_sql import random_ledger
from tests.support.funding import API_KEYS, BATCH, LOMBARDIA, beneficiary, commitment, eventually
from tests.support.stack import TestStack, auth, running_app

LINE = "source, fund, private_timing, kind"
# What each totals table stands for, summed straight from the nets, and from its rows.
EXPECTED = {
    "ledger_region_totals": f"SELECT region_nuts, {LINE}, sum(net) AS net, count(*) AS n "
    f"FROM ledger_nets WHERE region_nuts IS NOT NULL GROUP BY region_nuts, {LINE}",
    "ledger_project_totals": f"SELECT project_id, {LINE}, sum(net) AS net, count(*) AS n "
    f"FROM ledger_nets WHERE project_id IS NOT NULL GROUP BY project_id, {LINE}",
    "ledger_esif_project_regions": "SELECT project_id, region_nuts, 0 AS net, count(*) AS n "
    "FROM ledger_nets WHERE source = 'esif' AND project_id IS NOT NULL "
    "AND region_nuts IS NOT NULL GROUP BY project_id, region_nuts",
}
KEPT = {
    "ledger_region_totals": f"SELECT region_nuts, {LINE}, sum(net) AS net, "
    f"sum(originals) AS n FROM ledger_region_totals GROUP BY region_nuts, {LINE} "
    "HAVING sum(originals) <> 0 OR sum(net) <> 0",
    "ledger_project_totals": f"SELECT project_id, {LINE}, sum(net) AS net, "
    f"sum(originals) AS n FROM ledger_project_totals GROUP BY project_id, {LINE} "
    "HAVING sum(originals) <> 0 OR sum(net) <> 0",
    "ledger_esif_project_regions": "SELECT project_id, region_nuts, 0 AS net, "
    "sum(originals) AS n "
    "FROM ledger_esif_project_regions GROUP BY project_id, region_nuts "
    "HAVING sum(originals) <> 0",
}


async def _groups(conn: asyncpg.Connection, sql: str) -> dict[tuple[Any, ...], tuple[Decimal, int]]:
    rows = await conn.fetch(sql)
    # Each row: the group's key, then its net and its number of originals.
    return {tuple(r)[:-2]: (Decimal(r["net"]), int(r["n"])) for r in rows}


async def assert_totals_match(conn: asyncpg.Connection) -> None:
    for table, expected in EXPECTED.items():
        want = await _groups(conn, expected)
        got = await _groups(conn, KEPT[table])
        assert got == want, table


async def _rows(conn: asyncpg.Connection, table: str) -> int:
    return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))


@pytest.fixture
async def conn(stack: TestStack) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(stack.dsn("funding"))
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def sessions(stack: TestStack) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_async_engine(stack.database_url("funding"))
    try:
        yield async_sessionmaker(engine)
    finally:
        await engine.dispose()


async def set_nets(
    session: AsyncSession,
    nets: list[tuple[Entry, Decimal, bool]],
    recorded_now: set[uuid.UUID] | None = None,
) -> None:
    """The writer's ``set_nets``, in a transaction that has begun, as the writer's has."""
    await session.execute(text("SELECT 1"))
    await repository.set_nets(session, nets, recorded_now or set())


def _originals(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.reverses is None and e.adjusts is None]


async def _write_as_the_writer(
    sessions: async_sessionmaker[AsyncSession], entries: list[Entry], rng: random.Random
) -> None:
    """The entries, then their nets the way the ledger writer stores them: each original
    first at its amount (COPY), then their final nets (upserts), in several transactions."""
    async with sessions() as session, session.begin():
        await session.execute(ledger_entries.insert(), [codec.to_row(e) for e in entries])
    originals = _originals(entries)
    rng.shuffle(originals)
    for start in range(0, len(originals), 25):
        chunk = originals[start : start + 25]
        async with sessions() as session, session.begin():
            await set_nets(
                session, [(e, e.amount, False) for e in chunk], {e.entry_id for e in chunk}
            )
    effects = resolve(entries).effects
    changed = [(x.original, x.amount, x.reversed) for x in effects.values()]
    for start in range(0, len(changed), 40):
        async with sessions() as session, session.begin():
            await set_nets(session, changed[start : start + 40])


@pytest.mark.parametrize("seed", [1, 2])
async def test_the_writers_nets_and_their_totals_agree_before_and_after_compaction(
    conn: asyncpg.Connection, sessions: async_sessionmaker[AsyncSession], seed: int
) -> None:
    await _write_as_the_writer(sessions, random_ledger(seed), random.Random(seed))
    await assert_totals_match(conn)
    appended = await _rows(conn, "ledger_project_totals")

    async with sessions() as session, session.begin():
        done = await compact(session)
    assert done is not None
    assert done.folded > done.kept > 0
    await assert_totals_match(conn)
    # One row per group after the round, all of them compacted.
    groups = len(await _groups(conn, EXPECTED["ledger_project_totals"]))
    assert await _rows(conn, "ledger_project_totals") == groups < appended
    assert await conn.fetchval("SELECT bool_and(compacted) FROM ledger_project_totals")

    async with sessions() as session, session.begin():
        again = await compact(session)
    assert again is not None
    assert again.folded == 0, "nothing new, nothing folded"


async def test_one_upsert_that_inserts_and_updates_is_counted_once(
    conn: asyncpg.Connection, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # INSERT ... ON CONFLICT DO UPDATE fires the insert trigger for the rows it inserted
    # and the update trigger for those it updated, each with its own transition table.
    entries = random_ledger(6)
    originals = _originals(entries)
    present, absent = originals[: len(originals) // 2], originals[len(originals) // 2 :]
    async with sessions() as session, session.begin():
        await session.execute(ledger_entries.insert(), [codec.to_row(e) for e in entries])
        await set_nets(
            session, [(e, e.amount, False) for e in present], {e.entry_id for e in present}
        )
    effects = resolve(entries).effects
    assert {e.entry_id for e in absent} <= set(effects), "the upsert inserts these"
    async with sessions() as session, session.begin():
        await set_nets(session, [(x.original, x.amount, x.reversed) for x in effects.values()])
    await assert_totals_match(conn)


async def test_a_rebuild_and_a_truncate_keep_the_totals(
    conn: asyncpg.Connection, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _write_as_the_writer(sessions, random_ledger(3), random.Random(3))
    async with conn.transaction():  # as a re-homing does: nets dropped and rebuilt
        await conn.execute("DELETE FROM ledger_nets")
        await conn.execute(str(REBUILD_NETS))
    await assert_totals_match(conn)
    async with sessions() as session, session.begin():
        await compact(session)
    await assert_totals_match(conn)

    await conn.execute("TRUNCATE ledger_nets")
    for table in EXPECTED:
        assert await _rows(conn, table) == 0, table


async def test_a_compaction_during_an_open_write_loses_and_doubles_nothing(
    conn: asyncpg.Connection, sessions: async_sessionmaker[AsyncSession]
) -> None:
    entries = random_ledger(4)
    originals = _originals(entries)
    first, late = originals[:-10], originals[-10:]
    async with sessions() as session, session.begin():
        await session.execute(ledger_entries.insert(), [codec.to_row(e) for e in entries])
        await set_nets(session, [(e, e.amount, False) for e in first], {e.entry_id for e in first})

    async with sessions() as writer, writer.begin():
        await set_nets(writer, [(e, e.amount, False) for e in late], {e.entry_id for e in late})
        # The writer's rows are not committed: the round folds the others, and must not
        # wait for the writer, nor the writer for it.
        async with sessions() as session, session.begin():
            done = await asyncio.wait_for(compact(session), timeout=60)
        assert done is not None
        assert done.folded > 0
    await assert_totals_match(conn)
    assert await conn.fetchval("SELECT count(*) FROM ledger_region_totals WHERE NOT compacted"), (
        "the late rows wait for the next round"
    )
    async with sessions() as session, session.begin():
        await compact(session)
    await assert_totals_match(conn)
    assert not await conn.fetchval("SELECT count(*) FROM ledger_region_totals WHERE NOT compacted")


async def test_writers_of_one_regions_money_do_not_wait_for_each_other(
    conn: asyncpg.Connection, sessions: async_sessionmaker[AsyncSession]
) -> None:
    same_region = [e for e in _originals(random_ledger(5)) if e.region_nuts == "ITH51"][:6]
    assert len(same_region) == 6
    async with sessions() as session, session.begin():
        await session.execute(ledger_entries.insert(), [codec.to_row(e) for e in same_region])

    def new(batch: list[Entry]) -> tuple[list[tuple[Entry, Decimal, bool]], set[uuid.UUID]]:
        return [(e, e.amount, False) for e in batch], {e.entry_id for e in batch}

    async with sessions() as one, one.begin():
        await set_nets(one, *new(same_region[:3]))
        # While the first holds its transaction open, the second writes into the same
        # region's totals and commits; waiting for the first would trip the timeout.
        async with sessions() as two, two.begin():
            await two.execute(text("SET LOCAL lock_timeout = '2s'"))
            await set_nets(two, *new(same_region[3:]))
    await assert_totals_match(conn)


async def test_the_service_keeps_the_totals_and_compacts_them_in_the_background(
    stack: TestStack, conn: asyncpg.Connection
) -> None:
    settings = FundingSettings(
        **{
            **stack.settings_kwargs("funding"),
            "api_keys": json.dumps(API_KEYS),
            "parked_expiry_enabled": False,
            "totals_compaction_interval_seconds": 0.2,
        }
    )
    app = create_funding(settings)
    async with running_app(app, "http://funding") as client:
        sme = await beneficiary(stack)
        for n in range(3):  # three batches, three transactions' appended rows
            sent = await client.post(
                BATCH, json={"items": [commitment(f"TOT-{n}", sme)]}, headers=LOMBARDIA
            )
            assert sent.status_code == 200, sent.text

        async def compacted() -> bool:
            return not await conn.fetchval(
                "SELECT count(*) FROM ledger_region_totals WHERE NOT compacted"
            )

        await eventually(compacted)
        report = await client.get("/v1/regions/ITC4/co-funding", headers=auth("viewer"))
    assert report.status_code == 200, report.text
    assert report.json()["esif"]["committed"] == "300000.00"
    assert report.json()["projects_with_esif"] == 0, "the commitments name no project"
    await assert_totals_match(conn)
    assert await _rows(conn, "ledger_region_totals") == 1, "ITC4C, ESIF ERDF, commitment"
