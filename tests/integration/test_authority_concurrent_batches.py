"""Two batches written at the same moment are answered as if one came after the other:
an entry id is recorded once, a ceiling is never broken by two writers each staying
under it, one cost item is never funded twice. The second batch really overlaps the
first here: the first has decided and written but not committed when the second starts.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from synergia_funding.authority import intake
from synergia_funding.authority.schemas import BatchResult
from synergia_shared.db import create_session_factory, unit_of_work
from synergia_shared.http.auth import authority_sender

from tests.support.funding import beneficiary, commitment, payment, query
from tests.support.stack import TestStack

LOMBARDIA = intake.Authority(authority_sender("ITC4"), "ITC4")


@pytest.fixture
async def engine(stack: TestStack) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(stack.database_url("funding"))
    yield engine
    await engine.dispose()


@asynccontextmanager
async def first_batch_uncommitted(
    engine: AsyncEngine, items: list[dict[str, Any]]
) -> AsyncIterator[BatchResult]:
    """The first batch decided and written, its transaction still open; committed on
    leaving."""
    sessions = create_session_factory(engine)
    async with unit_of_work(sessions) as session:
        yield await intake.submit(session, LOMBARDIA, items)


async def overlapping(
    engine: AsyncEngine, first: list[dict[str, Any]], second: list[dict[str, Any]]
) -> tuple[BatchResult, BatchResult]:
    """Submit ``second`` while ``first`` is written but not committed: it must wait for
    the first's commit (not decide past it), then answer as the batch that came second."""
    sessions = create_session_factory(engine)

    async def submit(session: AsyncSession) -> BatchResult:
        return await intake.submit(session, LOMBARDIA, second)

    async def in_own_transaction(work: Callable[[AsyncSession], Awaitable[BatchResult]]) -> Any:
        async with unit_of_work(sessions) as session:
            return await work(session)

    async with first_batch_uncommitted(engine, first) as first_result:
        later = asyncio.create_task(in_own_transaction(submit))
        await asyncio.sleep(0.5)
        assert not later.done(), "the second batch decided without waiting for the first"
    async with asyncio.timeout(20):
        second_result = await later
    return first_result, second_result


def only(result: BatchResult) -> Any:
    [item] = result.items
    return item


async def test_one_new_id_recorded_by_one_batch_and_parked_by_another_is_kept_once(
    engine: AsyncEngine, stack: TestStack
) -> None:
    """Different beneficiaries (so no lock of an undertaking in common), one external id:
    one batch records it, the other would park it (its beneficiary is not known here).
    The second is answered with a conflict, and the id is in one place only."""
    known = await beneficiary(stack)
    unknown = uuid.uuid4()
    first, second = await overlapping(
        engine, [commitment("SAME-1", known)], [commitment("SAME-1", unknown)]
    )
    assert only(first).status == "applied"
    assert only(second).status == "rejected"
    assert only(second).problem.status == 409
    assert len(await query(stack, "SELECT 1 FROM ledger_entries")) == 1
    assert await query(stack, "SELECT 1 FROM parked_entries") == []


async def test_a_resent_batch_overlapping_its_first_copy_is_a_replay(
    engine: AsyncEngine, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    items = [commitment("C-1", sme), payment("P-1", sme, of="C-1"), payment("P-2", sme, of="X")]
    first, second = await overlapping(engine, items, items)
    assert [i.status for i in first.items] == ["applied", "applied", "parked"]
    assert [i.status for i in second.items] == ["applied", "applied", "parked"]
    assert all(i.replayed for i in second.items)
    assert not any(i.replayed for i in first.items)
    assert len(await query(stack, "SELECT 1 FROM ledger_entries")) == 2
    assert len(await query(stack, "SELECT 1 FROM parked_entries")) == 1
    outbox = await query(stack, "SELECT 1 FROM outbox WHERE topic LIKE '%funding.ledger'")
    assert len(outbox) == 2  # one *.recorded event per entry, not per copy


async def test_two_batches_of_one_undertaking_never_exceed_the_de_minimis_ceiling_together(
    engine: AsyncEngine, stack: TestStack
) -> None:
    """Each commitment is under the €300,000 ceiling; the two together are not."""
    sme = await beneficiary(stack)
    aid = {"is_de_minimis": True, "amount": "200000.00"}
    first, second = await overlapping(
        engine, [commitment("DM-1", sme, **aid)], [commitment("DM-2", sme, **aid)]
    )
    assert only(first).status == "applied"
    assert only(second).status == "rejected"
    assert only(second).problem.status == 422
    assert "300,000.00" in only(second).problem.detail
    total = await query(
        stack, "SELECT sum(amount) FROM ledger_entries WHERE beneficiary_id = $1", sme
    )
    assert total[0][0] == 200_000


async def test_two_batches_never_fund_one_cost_item_from_two_eu_sources(
    engine: AsyncEngine, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    cost = {"kind": "cost_item", "cost_item_ref": "INV-7", "amount": "8000.00"}
    esif = commitment("K-ESIF", sme, **cost)
    h2020 = {**commitment("K-H2020", sme, **cost), "source": "h2020", "fund": None}
    first, second = await overlapping(engine, [esif], [h2020])
    assert only(first).status == "applied"
    assert only(second).status == "rejected"
    assert "one EU source only" in only(second).problem.detail
    assert len(await query(stack, "SELECT 1 FROM ledger_entries")) == 1
