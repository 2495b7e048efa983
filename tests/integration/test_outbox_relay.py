"""The relay against real PostgreSQL and the real broker: at least once, in order."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import DefaultPartitioner
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from synergia_devstack.broker import EmbeddedBroker
from synergia_devstack.ports import free_port
from synergia_registry.settings import RegistrySettings
from synergia_shared.bus import Bus, ensure_topics
from synergia_shared.db import create_session_factory, unit_of_work
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.registry import ActorKind, ActorRegisteredV1
from synergia_shared.messaging.outbox import add_event, add_events
from synergia_shared.messaging.relay import OutboxRelay, TopicsMissing
from synergia_shared.messaging.tables import outbox

from tests.support.outbox import relay_on, write_events
from tests.support.stack import TestStack


@pytest.fixture
async def engine(stack: TestStack) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(stack.database_url("registry"))
    yield engine
    await engine.dispose()


async def unsent(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        count = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        )
    return int(count or 0)


async def consume_all(stack: TestStack, expected: int) -> list[CloudEvent]:
    consumer = AIOKafkaConsumer(
        f"{stack.topic_prefix}registry.actor",
        bootstrap_servers=stack.kafka,
        group_id=f"{stack.topic_prefix}check",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    events: list[CloudEvent] = []
    try:
        async with asyncio.timeout(30):
            while len(events) < expected:
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    events.extend(CloudEvent.from_bytes(r.value) for r in records)
        await asyncio.sleep(0.5)  # anything beyond `expected` would be a duplicate
        for records in (await consumer.getmany(timeout_ms=500)).values():
            events.extend(CloudEvent.from_bytes(r.value) for r in records)
    finally:
        await consumer.stop()
    return events


async def test_rows_wait_while_the_broker_is_unreachable(
    engine: AsyncEngine, stack: TestStack
) -> None:
    await write_events(engine, [uuid.uuid4()], per_aggregate=3)
    nowhere = Bus(f"127.0.0.1:{free_port()}", client_id="test")
    relay = relay_on(stack, engine, nowhere)
    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the client raises
        await relay.publish_pending()
    assert await unsent(engine) == 3, "nothing is marked sent without the broker's ack"
    await nowhere.close()

    bus = Bus(stack.kafka, client_id="test")
    try:
        relay = relay_on(stack, engine, bus)
        assert await relay.publish_pending() == 3
    finally:
        await bus.close()
    assert await unsent(engine) == 0
    assert [e.sequence for e in await consume_all(stack, 3)] == [1, 2, 3]


async def test_each_event_goes_to_the_partition_the_default_partitioner_gives_its_aggregate(
    engine: AsyncEngine, stack: TestStack
) -> None:
    """The relay computes partitions itself (messaging.partitions); a consumer, or any
    other producer of the topic, must find each aggregate where Kafka's default
    partitioner puts its key."""
    aggregates = [uuid.uuid4() for _ in range(40)]
    await write_events(engine, aggregates, per_aggregate=2)
    bus = Bus(stack.kafka, client_id="relay")
    try:
        await relay_on(stack, engine, bus).publish_pending()
    finally:
        await bus.close()
    topic = f"{stack.topic_prefix}registry.actor"
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=stack.kafka, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    placed: dict[bytes, set[int]] = defaultdict(set)
    received = 0
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or ())
        async with asyncio.timeout(30):
            while received < 80:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        assert record.key is not None
                        placed[record.key].add(record.partition)
                        received += 1
    finally:
        await consumer.stop()
    assert len(partitions) > 1
    default = DefaultPartitioner()
    assert placed == {
        str(a).encode(): {default(str(a).encode(), partitions, partitions)} for a in aggregates
    }


async def test_two_replicas_publish_everything_once_and_keep_each_aggregate_in_order(
    engine: AsyncEngine, stack: TestStack
) -> None:
    aggregates = [uuid.uuid4() for _ in range(20)]
    await write_events(engine, aggregates, per_aggregate=15)
    buses = [Bus(stack.kafka, client_id=f"replica-{i}") for i in range(2)]
    relays = [relay_on(stack, engine, bus, batch_size=7, poll_interval=0.05) for bus in buses]
    try:
        for relay in relays:
            await relay.start()
        async with asyncio.timeout(30):
            while await unsent(engine):
                await asyncio.sleep(0.05)
    finally:
        for relay in relays:
            await relay.stop()
        for bus in buses:
            await bus.close()

    events = await consume_all(stack, 300)
    assert len(events) == 300
    assert len({e.id for e in events}) == 300, "each event published once"
    by_aggregate: dict[str, list[int]] = defaultdict(list)
    for event in events:
        assert event.sequence is not None
        by_aggregate[event.subject].append(event.sequence)
    assert all(seqs == list(range(1, 16)) for seqs in by_aggregate.values()), by_aggregate


class CountingRelay(OutboxRelay):
    """Records how many publishing rounds were in flight at once."""

    in_flight = 0
    most_in_flight = 0

    async def _round(self, handover: Any) -> int:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return await super()._round(handover)
        finally:
            self.in_flight -= 1


async def test_a_backlog_is_published_in_overlapping_rounds_each_aggregate_in_order(
    engine: AsyncEngine, stack: TestStack
) -> None:
    """While one round waits for the broker's acks, the next sends the following rows
    and a third has claimed the rows after those (relay throughput); order per aggregate
    and once-only still hold."""
    aggregates = [uuid.uuid4() for _ in range(10)]
    await write_events(engine, aggregates, per_aggregate=12)
    bus = Bus(stack.kafka, client_id="test")
    relay = CountingRelay(
        engine,
        bus,
        database_url=stack.database_url("registry"),
        topic_prefix=stack.topic_prefix,
        batch_size=8,
        # Rows a round leaves for later (their aggregate has an event in a round in
        # flight) are taken by a later round, not on a poll: there is none in the test.
        poll_interval=60.0,
    )
    try:
        await relay.start()
        async with asyncio.timeout(30):
            while await unsent(engine):
                await asyncio.sleep(0.05)
    finally:
        await relay.stop()
        await bus.close()
    assert relay.most_in_flight == 3, "the next rounds start while one awaits its acks"

    events = await consume_all(stack, 120)
    assert len({e.id for e in events}) == len(events) == 120, "each event published once"
    by_aggregate: dict[str, list[int]] = defaultdict(list)
    for event in events:
        assert event.sequence is not None
        by_aggregate[event.subject].append(event.sequence)
    assert all(seqs == list(range(1, 13)) for seqs in by_aggregate.values()), by_aggregate


class StalledCheckRelay(OutboxRelay):
    """Its periodic check of the broker's log hangs (a broker slow to answer it) until
    ``release`` is set; the first check, at start, answers at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.checks = 0
        self.release = asyncio.Event()

    async def check_log(self) -> int:
        self.checks += 1
        if self.checks > 1:
            await self.release.wait()
        return await super().check_log()


async def test_publishing_does_not_wait_for_a_periodic_check_of_the_log(
    engine: AsyncEngine, stack: TestStack
) -> None:
    """On the embedded broker a check can take a fetch's wait; events committed
    meanwhile go out without waiting for it (propagation as shipped)."""
    bus = Bus(stack.kafka, client_id="test")
    relay = StalledCheckRelay(
        engine,
        bus,
        database_url=stack.database_url("registry"),
        topic_prefix=stack.topic_prefix,
        poll_interval=0.05,
        log_check_interval=0.05,
    )
    try:
        await relay.start()
        async with asyncio.timeout(10):
            while relay.checks < 2:  # the periodic check has started, and hangs
                await asyncio.sleep(0.02)
        await write_events(engine, [uuid.uuid4()], per_aggregate=3)
        async with asyncio.timeout(10):
            while await unsent(engine):
                await asyncio.sleep(0.05)
        assert relay.checks == 2, "one periodic check at a time"
        relay.release.set()
    finally:
        await relay.stop()
        await bus.close()
    assert [e.sequence for e in await consume_all(stack, 3)] == [1, 2, 3]


async def test_an_aggregate_whose_earlier_event_another_replica_holds_waits_for_it(
    engine: AsyncEngine, stack: TestStack
) -> None:
    held, free = uuid.uuid4(), uuid.uuid4()
    await write_events(engine, [held, free], per_aggregate=2)
    bus = Bus(stack.kafka, client_id="relay")
    relay = relay_on(stack, engine, bus)
    try:
        # Another replica has claimed the held aggregate's first event and not yet sent it.
        async with engine.connect() as other, other.begin():
            await other.execute(
                select(outbox.c.id)
                .where(outbox.c.aggregate_id == str(held))
                .order_by(outbox.c.id)
                .limit(1)
                .with_for_update()
            )
            assert await relay.publish_pending() == 2, "only the free aggregate's two events"
            assert await unsent(engine) == 2
        assert await relay.publish_pending() == 2
    finally:
        await bus.close()

    events = await consume_all(stack, 4)
    sequences = defaultdict(list)
    for event in events:
        sequences[event.subject].append(event.sequence)
    assert sequences == {str(held): [1, 2], str(free): [1, 2]}


async def test_rows_wait_for_topics_a_restarted_broker_has_lost(
    engine: AsyncEngine, stack: TestStack, own_broker: tuple[EmbeddedBroker, Bus]
) -> None:
    """The embedded in-memory broker forgets its topics on restart and acknowledges, then
    drops, records sent to them; with the check on (RELAY_CHECK_TOPICS, as the dev and
    test stacks set it) the relay publishes only once they exist again."""
    broker, bus = own_broker
    relay = relay_on(stack, engine, bus, check_topics=True)
    await write_events(engine, [uuid.uuid4()], per_aggregate=2)
    assert await relay.publish_pending() == 2  # the producer now has the topic's metadata

    # Idle across the restart: no failed round tells the relay the broker went away.
    await asyncio.sleep(1.1)
    broker.stop()
    broker.start()  # empty: no topics
    await write_events(engine, [uuid.uuid4()], per_aggregate=3)
    with pytest.raises(TopicsMissing, match=r"registry\.actor"):
        await relay.publish_pending()
    assert await unsent(engine) == 3, "nothing is marked sent to a topic that is gone"

    await ensure_topics(broker.bootstrap_servers, stack.topic_prefix, partitions=3)
    assert await relay.publish_pending() == 3
    consumer = AIOKafkaConsumer(
        f"{stack.topic_prefix}registry.actor",
        bootstrap_servers=broker.bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        records: list[Any] = []
        async with asyncio.timeout(20):
            while len(records) < 3:
                for batch in (await consumer.getmany(timeout_ms=300)).values():
                    records += batch
    finally:
        await consumer.stop()
    assert len(records) == 3, "the outage's events reached the recreated topic"


async def test_without_the_topic_check_the_relay_asks_the_broker_nothing_before_sending(
    engine: AsyncEngine, stack: TestStack, own_broker: tuple[EmbeddedBroker, Bus]
) -> None:
    """Off (the default, for Kafka, which keeps its topics): no metadata round trip per
    second, so on a broker that lost its topics the relay cannot tell, which is why the
    dev and test stacks, on the embedded broker, turn it on."""
    assert RegistrySettings(database_url=stack.database_url("registry")).relay_check_topics is False
    on = RegistrySettings(**stack.settings_kwargs("registry"))  # type: ignore[arg-type]
    assert on.relay_check_topics is True, "the test stack runs on the embedded broker"

    broker, bus = own_broker
    relay = relay_on(stack, engine, bus)
    await write_events(engine, [uuid.uuid4()], per_aggregate=2)
    assert await relay.publish_pending() == 2

    await asyncio.sleep(1.1)  # a check would be due now
    broker.stop()
    broker.start()  # empty: no topics
    await write_events(engine, [uuid.uuid4()], per_aggregate=3)
    assert await relay.publish_pending() == 3, "sent without asking whether topics exist"
    assert await unsent(engine) == 0


async def test_adding_no_events_writes_nothing_and_keeps_the_transaction_usable(
    engine: AsyncEngine,
) -> None:
    """A batch whose every item was refused announces nothing: no row, no error (an
    executemany of no rows would be an empty INSERT the table refuses)."""
    sessions = create_session_factory(engine)
    async with unit_of_work(sessions) as session:
        assert await add_events(session, []) == []
        await add_event(
            session,
            ActorRegisteredV1(
                actor_id=uuid.uuid4(),
                legal_name="After nothing",
                kind=ActorKind.SME,
                country="DE",
                registered_at=datetime.now(UTC),
            ),
            aggregate_type="actor",
            subject="after-nothing",
        )
    assert await unsent(engine) == 1
