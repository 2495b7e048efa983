"""A consumer asked to stop while the broker holds its group join stops at once, on the
real broker: a service stopped in its first seconds (or during a rebalance) does not sit
out the hold, and every app a test starts and stops does not either."""

from __future__ import annotations

import time

from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy.ext.asyncio import create_async_engine
from synergia_shared.bus import Bus
from synergia_shared.db import create_session_factory
from synergia_shared.events.topics import REGISTRY_ACTOR
from synergia_shared.messaging.inbox import ConsumerRunner, InboxConsumer

from tests.support.funding import eventually
from tests.support.stack import TestStack

# The embedded broker holds a new group's first join for half the session timeout.
SESSION_TIMEOUT_MS = 40_000
HOLD_SECONDS = SESSION_TIMEOUT_MS / 2000


async def test_a_consumer_stopped_while_joining_does_not_wait_for_the_join(
    stack: TestStack,
) -> None:
    consumer = InboxConsumer(name="exit-probe", topics=[REGISTRY_ACTOR], handlers={})
    group = f"{stack.topic_prefix}{consumer.name}"
    engine = create_async_engine(stack.database_url("registry"))
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka)
    await admin.start()
    runner = ConsumerRunner(
        consumer,
        create_session_factory(engine),
        Bus(stack.kafka, "exit-probe"),
        topic_prefix=stack.topic_prefix,
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=3_000,
    )
    try:

        async def joining() -> bool:
            (description,) = await admin.describe_consumer_groups([group])
            (_error, _group, _state, _protocol_type, _protocol, members) = description.groups[0]
            return bool(members)

        await runner.start()
        await eventually(joining)  # the broker has the JoinGroup and holds it
        asked = time.monotonic()
        await runner.stop(timeout=3 * HOLD_SECONDS)
        took = time.monotonic() - asked
    finally:
        await runner.stop()
        await admin.close()
        await engine.dispose()

    assert took < HOLD_SECONDS / 2, f"stop took {took:.1f}s: it sat out the broker's join hold"
    assert not consumer.status.running
