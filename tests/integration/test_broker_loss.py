"""A broker that lost its log, against real PostgreSQL and the real broker: the relay
republishes what it had sent, consumers beyond a log's end read it again from the start,
and an operator can republish a service's outbox since a time (command and endpoint)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from synergia_devstack.broker import EmbeddedBroker
from synergia_registry.settings import RegistrySettings
from synergia_shared.bus import Bus, ensure_topics
from synergia_shared.db import create_session_factory
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.topics import REGISTRY_ACTOR, REGISTRY_CLUSTER
from synergia_shared.messaging.inbox import ConsumerRunner, InboxConsumer
from synergia_shared.messaging.relay import OutboxRelay
from synergia_shared.messaging.republish_cli import main_for
from synergia_shared.messaging.tables import outbox
from synergia_shared.metrics import CONSUMER_OFFSET_RESETS, EVENTS_DUPLICATE

from tests.support import outbox as outbox_support
from tests.support.events import actor_event
from tests.support.outbox import write_events
from tests.support.stack import TestStack, auth

ACTOR_REGISTERED = "eu.synergia.registry.actor.registered.v1"


@pytest.fixture
async def engine(stack: TestStack) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(stack.database_url("registry"))
    yield engine
    await engine.dispose()


def relay_on(stack: TestStack, engine: AsyncEngine, bus: Bus, **options: Any) -> OutboxRelay:
    """A relay that checks the topics exist first, as the dev stack's does: the broker of
    these tests loses its topics when restarted."""
    return outbox_support.relay_on(stack, engine, bus, check_topics=True, **options)


async def unsent_ids(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as conn:
        rows = await conn.scalars(
            select(outbox.c.id).where(outbox.c.sent_at.is_(None)).order_by(outbox.c.id)
        )
        return list(rows)


async def sent_event_ids(engine: AsyncEngine) -> list[uuid.UUID]:
    async with engine.connect() as conn:
        rows = await conn.scalars(
            select(outbox.c.event_id).where(outbox.c.sent_at.is_not(None)).order_by(outbox.c.id)
        )
        return list(rows)


async def read_events(
    bootstrap: str, topic: str, expected: int, timeout: float = 30.0
) -> list[CloudEvent]:
    """The topic from its beginning (no group), until ``expected`` events have come."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    events: list[CloudEvent] = []
    try:
        async with asyncio.timeout(timeout):
            while len(events) < expected:
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    events.extend(CloudEvent.from_bytes(r.value) for r in records)
    finally:
        await consumer.stop()
    return events


async def all_event_ids(engine: AsyncEngine) -> list[uuid.UUID]:
    async with engine.connect() as conn:
        return list(await conn.scalars(select(outbox.c.event_id).order_by(outbox.c.id)))


async def ids_on_topic(
    bootstrap: str, topic: str, wanted: set[uuid.UUID], timeout: float = 60.0
) -> set[uuid.UUID]:
    """The topic from its beginning (no group) until every ``wanted`` event is on it
    (a republish may put some there twice); the ids found, the same set if all came."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: set[uuid.UUID] = set()
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while not wanted <= found:
                    for records in (await consumer.getmany(timeout_ms=300)).values():
                        found.update(CloudEvent.from_bytes(r.value).id for r in records)
    finally:
        await consumer.stop()
    return found


def sequences_by_aggregate(events: list[CloudEvent]) -> dict[str, list[int | None]]:
    sequences: dict[str, list[int | None]] = defaultdict(list)
    for event in events:
        assert event.subject is not None
        sequences[event.subject].append(event.sequence)
    return dict(sequences)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.1)


# --- the relay ------------------------------------------------------------------------


async def test_the_relay_republishes_what_a_restarted_broker_lost_in_the_original_order(
    engine: AsyncEngine, stack: TestStack, own_broker: tuple[EmbeddedBroker, Bus]
) -> None:
    broker, bus = own_broker
    relay = relay_on(stack, engine, bus)
    aggregates = [uuid.uuid4() for _ in range(4)]
    await write_events(engine, aggregates, per_aggregate=3)
    assert await relay.publish_pending() == 12
    assert await relay.check_log() == 0, "an intact log is left alone"

    broker.stop()
    broker.start()  # empty, as the embedded broker is after any restart
    await ensure_topics(broker.bootstrap_servers, stack.topic_prefix, partitions=3)

    assert await relay.check_log() == 12
    assert len(await unsent_ids(engine)) == 12
    other_replica = relay_on(stack, engine, bus)
    assert await other_replica.check_log() == 0, "one loss, one republish"

    assert await relay.publish_pending() == 12
    events = await read_events(
        broker.bootstrap_servers, f"{stack.topic_prefix}{REGISTRY_ACTOR}", 12
    )
    assert len(events) == 12
    assert sequences_by_aggregate(events) == {str(a): [1, 2, 3] for a in aggregates}
    assert await relay.check_log() == 0, "the new log holds what the relay sent to it"


async def test_a_running_relay_heals_by_itself_after_the_broker_restarts_empty(
    engine: AsyncEngine, stack: TestStack, own_broker: tuple[EmbeddedBroker, Bus]
) -> None:
    broker, bus = own_broker
    relay = relay_on(stack, engine, bus, log_check_interval=0.5, poll_interval=0.2)
    await relay.start()
    try:
        await write_events(engine, [uuid.uuid4(), uuid.uuid4()], per_aggregate=2)
        await eventually(lambda: _no_unsent(engine))
        # Idle across the restart: no failed send tells the relay the broker went away.
        broker.stop()
        broker.start()
        await ensure_topics(broker.bootstrap_servers, stack.topic_prefix, partitions=3)
        await write_events(engine, [uuid.uuid4()], per_aggregate=1)
        events = await read_events(
            broker.bootstrap_servers, f"{stack.topic_prefix}{REGISTRY_ACTOR}", 5, timeout=60
        )
    finally:
        await relay.stop()
    assert {e.id for e in events} == set(await sent_event_ids(engine))


async def test_a_relay_heals_a_log_that_grew_past_the_old_end_before_any_check(
    engine: AsyncEngine, stack: TestStack, own_broker: tuple[EmbeddedBroker, Bus]
) -> None:
    """Writes go on while the broker comes back empty: by the time a check compares the
    log's end with what was acknowledged, the new log is longer than the old one was.
    The relay's first acknowledgement on the new log gives it away."""
    broker, bus = own_broker
    # No periodic check within the test: only the acknowledgements can tell.
    relay = relay_on(stack, engine, bus, log_check_interval=3600, poll_interval=0.2)
    await relay.start()
    aggregates = [uuid.uuid4(), uuid.uuid4()]
    try:
        await write_events(engine, aggregates, per_aggregate=2)
        await eventually(lambda: _no_unsent(engine))
        broker.stop()
        broker.start()
        await ensure_topics(broker.bootstrap_servers, stack.topic_prefix, partitions=3)
        # The same aggregates go on (so the same partitions), with more events than
        # before: each of those partitions' new log outgrows the old one.
        await write_events(engine, aggregates, per_aggregate=5, first=3)
        written = set(await all_event_ids(engine))
        assert len(written) == 14
        found = await ids_on_topic(
            broker.bootstrap_servers, f"{stack.topic_prefix}{REGISTRY_ACTOR}", written
        )
    finally:
        await relay.stop()
    assert found == written, "every event is on the new log, the lost ones included"


async def _no_unsent(engine: AsyncEngine) -> bool:
    return not await unsent_ids(engine)


async def test_the_republish_window_bounds_what_is_sent_again(
    engine: AsyncEngine, stack: TestStack, own_broker: tuple[EmbeddedBroker, Bus]
) -> None:
    broker, bus = own_broker
    relay = relay_on(stack, engine, bus, republish_window=timedelta(minutes=10))
    await write_events(engine, [uuid.uuid4()], per_aggregate=3)
    assert await relay.publish_pending() == 3
    async with engine.begin() as conn:  # the first event went out an hour ago
        await conn.execute(
            text(
                "UPDATE outbox SET sent_at = now() - interval '1 hour' "
                "WHERE id = (SELECT min(id) FROM outbox)"
            )
        )
    broker.stop()
    broker.start()
    await ensure_topics(broker.bootstrap_servers, stack.topic_prefix, partitions=3)
    assert await relay.check_log() == 2


# --- consumers ------------------------------------------------------------------------


async def test_a_consumer_whose_committed_offset_is_beyond_the_log_reads_it_from_the_start(
    stack: TestStack, engine: AsyncEngine
) -> None:
    """What a consumer group finds on a broker that lost its log but not its groups'
    offsets (or got a stale commit): Kafka would answer OFFSET_OUT_OF_RANGE, the embedded
    Tansu answers no records at all, and the consumer would wait there for ever."""
    suffix = uuid.uuid4().hex[:8]
    table = f"beyond_probe_{suffix}"
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE TABLE {table} (event_id uuid NOT NULL)"))

    async def record(session: AsyncSession, event: CloudEvent, data: Any) -> None:
        await session.execute(text(f"INSERT INTO {table} VALUES (:id)"), {"id": event.id})

    prefix = f"{stack.topic_prefix}o{suffix}."
    await ensure_topics(stack.kafka, prefix, partitions=1)
    tp = TopicPartition(f"{prefix}{REGISTRY_ACTOR}", 0)
    consumer = InboxConsumer(
        name=f"test.beyond-{suffix}", topics=[REGISTRY_ACTOR], handlers={ACTOR_REGISTERED: record}
    )
    group = f"{prefix}{consumer.name}"
    # The group committed offset 50 on a log that now holds 3 records.
    committer = AIOKafkaConsumer(
        bootstrap_servers=stack.kafka, group_id=group, enable_auto_commit=False
    )
    await committer.start()
    try:
        committer.assign([tp])
        await committer.commit({tp: 50})
    finally:
        await committer.stop()
    events = [actor_event(f"Beyond Ltd {i}") for i in range(3)]
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka)
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(tp.topic, event.to_bytes(), partition=0)
    finally:
        await producer.stop()

    resets_before = CONSUMER_OFFSET_RESETS.labels(consumer.name, tp.topic)._value.get()
    bus = Bus(stack.kafka, client_id="test-beyond")
    runner = ConsumerRunner(
        consumer,
        create_session_factory(engine),
        bus,
        topic_prefix=prefix,
        fetch_max_wait_ms=50,
        session_timeout_ms=2000,
        heartbeat_interval_ms=500,
    )
    await runner.start()
    try:

        async def applied() -> bool:
            async with engine.connect() as conn:
                return bool(await conn.scalar(text(f"SELECT count(*) FROM {table}")) == 3)

        await eventually(applied)
    finally:
        await runner.stop()
        await bus.close()
    async with engine.connect() as conn:
        ids = list(await conn.scalars(text(f"SELECT event_id FROM {table}")))
    assert sorted(ids) == sorted(e.id for e in events), "each once"
    assert CONSUMER_OFFSET_RESETS.labels(consumer.name, tp.topic)._value.get() == resets_before + 1


# --- the operator's tool --------------------------------------------------------------


async def test_republish_since_a_time_sends_exactly_what_was_sent_after_it_again(
    engine: AsyncEngine,
    stack: TestStack,
    own_broker: tuple[EmbeddedBroker, Bus],
) -> None:
    """The command, as an operator runs it (the service's entry point, its settings)."""
    broker, bus = own_broker
    relay = relay_on(stack, engine, bus)
    earlier = [uuid.uuid4(), uuid.uuid4()]
    await write_events(engine, earlier, per_aggregate=2)
    assert await relay.publish_pending() == 4
    await asyncio.sleep(0.05)
    async with engine.connect() as conn:
        since = await conn.scalar(select(func.now()))
    later = [uuid.uuid4(), uuid.uuid4()]
    await write_events(engine, later, per_aggregate=3)
    assert await relay.publish_pending() == 6
    after_since = (await sent_event_ids(engine))[4:]

    command = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "synergia_registry.republish",
        "--since",
        since.isoformat(),
        "--topic",
        REGISTRY_ACTOR,
        env={**os.environ, "REGISTRY_DATABASE_URL": stack.database_url("registry")},
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await command.communicate()
    assert command.returncode == 0
    assert out.decode().startswith("6 events registry sent since"), out
    assert len(await unsent_ids(engine)) == 6
    assert await relay.publish_pending() == 6
    events = await read_events(
        broker.bootstrap_servers, f"{stack.topic_prefix}{REGISTRY_ACTOR}", 16
    )
    again = [e for e in events if e.id in set(after_since)]
    assert sorted(e.id for e in again) == sorted(after_since * 2), "each sent after T twice"
    sequences = sequences_by_aggregate(events)
    for aggregate in later:  # sent, then sent again in the original order
        assert sequences[str(aggregate)] == [1, 2, 3, 1, 2, 3]
    for aggregate in earlier:
        assert sequences[str(aggregate)] == [1, 2], "nothing sent before T again"


def test_the_command_refuses_a_time_without_a_zone(
    stack: TestStack, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main_for(RegistrySettings, ["--since", "2026-12-01T00:00"])
    assert exit_.value.code == 2
    assert "has no time zone" in capsys.readouterr().err


async def _matching_holds(stack: TestStack, n: int) -> bool:
    engine = create_async_engine(stack.database_url("matching"))
    try:
        async with engine.connect() as conn:
            inbox = await conn.scalar(
                text("SELECT count(*) FROM inbox WHERE consumer = 'matching.actor-projection'")
            )
        return inbox == n
    finally:
        await engine.dispose()


async def test_the_admin_endpoint_republishes_since_a_time_and_consumers_apply_nothing_twice(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient, stack: TestStack
) -> None:
    """Registry and matching running (matching projects the registry's actors)."""
    url = "/v1/admin/outbox:republish"
    sme = auth("sme")
    body = {"kind": "sme", "country": "DE"}
    first = await registry.post("/v1/actors", json={**body, "legal_name": "Before"}, headers=sme)
    assert first.status_code == 201
    registry_db = create_async_engine(stack.database_url("registry"))
    try:
        await eventually(lambda: _no_unsent(registry_db))
        async with registry_db.connect() as conn:
            since = await conn.scalar(select(func.now()))
        for name in ("After One Ltd", "After Two Ltd"):
            response = await registry.post(
                "/v1/actors", json={**body, "legal_name": name}, headers=sme
            )
            assert response.status_code == 201
        await eventually(lambda: _no_unsent(registry_db))
        await eventually(lambda: _matching_holds(stack, 3))

        not_admin = await registry.post(url, json={"since": since.isoformat()}, headers=sme)
        assert not_admin.status_code == 403
        naive = await registry.post(url, json={"since": "2026-12-01T00:00:00"}, headers=auth())
        assert naive.status_code == 422
        unknown = await registry.post(
            url, json={"since": since.isoformat(), "topics": ["registry.actors"]}, headers=auth()
        )
        assert unknown.status_code == 422
        assert unknown.json()["errors"][0]["loc"] == ["body", "topics", 0]
        none = await registry.post(
            url, json={"since": since.isoformat(), "topics": [REGISTRY_CLUSTER]}, headers=auth()
        )
        assert none.json()["queued"] == 0

        duplicates = EVENTS_DUPLICATE.labels("matching.actor-projection")
        skipped_before = duplicates._value.get()
        resets = CONSUMER_OFFSET_RESETS.labels(
            "matching.actor-projection", f"{stack.topic_prefix}{REGISTRY_ACTOR}"
        )
        response = await registry.post(url, json={"since": since.isoformat()}, headers=auth())
        assert response.status_code == 200, response.text
        assert response.json()["queued"] == 2
        await eventually(lambda: _no_unsent(registry_db))  # the relay sent them again

        async def both_skipped() -> bool:
            return bool(duplicates._value.get() >= skipped_before + 2)

        await eventually(both_skipped)  # matching received both again ...
    finally:
        await registry_db.dispose()
    # ... and applied nothing twice: three actors, each once, inbox unchanged.
    assert await _matching_holds(stack, 3)
    matching_db = create_async_engine(stack.database_url("matching"))
    try:
        async with matching_db.connect() as conn:
            rows = await conn.scalar(text("SELECT count(*) FROM actor_profiles"))
    finally:
        await matching_db.dispose()
    assert rows == 3
    # (the topic prefix is this test's own: the count is this test's)
    assert resets._value.get() == 0, "an intact log is never read again from its start"
