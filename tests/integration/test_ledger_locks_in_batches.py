"""Within a consumer's batch, a ledger lock another writer holds fails the batch at
once instead of waiting (waiting there, holding the batch's earlier locks, could close a
deadlock whose victim is a request); applied alone, the same event waits for it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from synergia_funding.ledger import repository as ledger_repository
from synergia_shared.db import create_session_factory
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.topics import REGISTRY_ACTOR
from synergia_shared.messaging.inbox import Delivery, InboxConsumer, apply_batch
from synergia_shared.messaging.tables import inbox

from tests.support.events import actor_event
from tests.support.stack import TestStack

ACTOR_REGISTERED = "eu.synergia.registry.actor.registered.v1"


@pytest.fixture
async def engine(stack: TestStack) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(stack.database_url("funding"))
    yield engine
    await engine.dispose()


async def lock_arrival(session: AsyncSession, event: CloudEvent, data: Any) -> None:
    await ledger_repository.lock_arrivals(session, [data.actor_id])


async def test_a_busy_arrival_lock_fails_a_batch_but_is_waited_for_by_one_event(
    engine: AsyncEngine,
) -> None:
    consumer = InboxConsumer(
        name=f"test.locks-{uuid.uuid4().hex[:8]}",
        topics=[REGISTRY_ACTOR],
        handlers={ACTOR_REGISTERED: lock_arrival},
    )
    sessions = create_session_factory(engine)
    events = [actor_event("Free Actor Ltd"), actor_event("Contended Actor Ltd")]
    decoded = [consumer.decode(e.to_bytes()) for e in events]
    deliveries = [Delivery(consumer, *d) for d in decoded if d is not None]
    contended = deliveries[1].data.actor_id

    async with engine.connect() as writer:  # another writer holds the arrival lock
        await writer.execute(
            text("SELECT pg_advisory_xact_lock(:class, :key)"),
            {
                "class": ledger_repository.ARRIVAL_LOCK_CLASS,
                "key": ledger_repository.lock_key(contended),
            },
        )
        async with asyncio.timeout(5):  # at once, not after a lock wait
            with pytest.raises(ledger_repository.LedgerBusy):
                await apply_batch(sessions, deliveries)
        async with engine.connect() as conn:  # rolled back whole: nothing recorded
            recorded = await conn.scalar(
                select(func.count()).select_from(inbox).where(inbox.c.consumer == consumer.name)
            )
        assert recorded == 0

        alone = asyncio.create_task(
            consumer.apply(sessions, deliveries[1].event, deliveries[1].data)
        )
        await asyncio.sleep(0.5)
        assert not alone.done()  # one at a time, it waits in the writers' order
        await writer.rollback()  # the writer commits: its lock goes
    async with asyncio.timeout(10):
        assert await alone is True
