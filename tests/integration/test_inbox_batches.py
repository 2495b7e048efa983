"""The inbox consumer applies a partition's fetched records in one transaction, against
the real broker and PostgreSQL, and keeps every guarantee of one event at a time:
each event applied once, a bad one parked alone, offsets only after the commit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from synergia_shared.bus import Bus, ensure_topics
from synergia_shared.db import SessionFactory, create_session_factory
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.registry import ActorRegisteredV1
from synergia_shared.events.topics import REGISTRY_ACTOR
from synergia_shared.messaging.inbox import ConsumerRunner, InboxConsumer

from tests.support.events import actor_event
from tests.support.stack import TestStack

ACTOR_REGISTERED = "eu.synergia.registry.actor.registered.v1"
FAULTY = "Faulty Handler Ltd"  # the handler fails on this actor, every time


class SimulatedCrash(Exception):
    """The consumer process dying at a chosen point."""


@dataclass
class Probe:
    """A consumer whose handler records each application, with its transaction id, in a
    table of its own (no key: an event applied twice would show as two rows)."""

    stack: TestStack
    engine: AsyncEngine
    sessions: SessionFactory
    bus: Bus
    prefix: str
    consumer: InboxConsumer
    table: str

    @property
    def tp(self) -> TopicPartition:
        return TopicPartition(f"{self.prefix}{REGISTRY_ACTOR}", 0)

    def runner(
        self, before_offset_commit: Callable[[TopicPartition, int], Awaitable[None]] | None = None
    ) -> ConsumerRunner:
        return ConsumerRunner(
            self.consumer,
            self.sessions,
            self.bus,
            topic_prefix=self.prefix,
            max_attempts=2,
            backoff_initial=0.05,
            backoff_max=0.1,
            fetch_max_wait_ms=50,
            session_timeout_ms=2000,
            heartbeat_interval_ms=500,
            before_offset_commit=before_offset_commit,
        )

    async def publish(self, *values: bytes) -> None:
        """All in one go, before a consumer runs, so that one fetch brings them all."""
        producer = AIOKafkaProducer(bootstrap_servers=self.stack.kafka)
        await producer.start()
        try:
            sent = [await producer.send(self.tp.topic, value, partition=0) for value in values]
            await asyncio.gather(*sent)
        finally:
            await producer.stop()

    async def applications(self) -> list[tuple[uuid.UUID, int]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(text(f"SELECT event_id, tx FROM {self.table} ORDER BY n"))
            return [(row.event_id, row.tx) for row in rows]

    async def parked(self) -> list[int]:
        async with self.engine.connect() as conn:
            offsets = await conn.scalars(
                text('SELECT "offset" FROM dead_letters WHERE consumer = :c ORDER BY "offset"'),
                {"c": self.consumer.name},
            )
            return list(offsets)

    async def committed(self) -> int | None:
        kafka = AIOKafkaConsumer(
            bootstrap_servers=self.stack.kafka,
            group_id=f"{self.prefix}{self.consumer.name}",
            enable_auto_commit=False,
        )
        await kafka.start()
        try:
            offset: int | None = await kafka.committed(self.tp)
            return offset
        finally:
            await kafka.stop()


@pytest.fixture(params=["handler per event", "handler per batch"])
async def probe(stack: TestStack, request: pytest.FixtureRequest) -> AsyncIterator[Probe]:
    engine = create_async_engine(stack.database_url("registry"))
    suffix = uuid.uuid4().hex[:8]
    table = f"batch_probe_{suffix}"
    async with engine.begin() as conn:
        await conn.execute(
            text(
                f"CREATE TABLE {table} (n bigserial PRIMARY KEY, event_id uuid NOT NULL, "
                "tx bigint NOT NULL)"
            )
        )

    async def record(session: AsyncSession, event: CloudEvent, data: ActorRegisteredV1) -> None:
        if data.legal_name == FAULTY:
            raise RuntimeError("simulated fault in the handler")
        await session.execute(
            text(f"INSERT INTO {table} (event_id, tx) VALUES (:id, txid_current())"),
            {"id": event.id},
        )

    async def record_all(
        session: AsyncSession, events: Sequence[tuple[CloudEvent, ActorRegisteredV1]]
    ) -> None:
        """The same, for a whole batch in one statement (as the projections do)."""
        if any(data.legal_name == FAULTY for _, data in events):
            raise RuntimeError("simulated fault in the batch handler")
        await session.execute(
            text(
                f"INSERT INTO {table} (event_id, tx) "
                "SELECT e, txid_current() FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY "
                "AS t(e, n) ORDER BY n"
            ),
            {"ids": [event.id for event, _ in events]},
        )

    name = f"test.batches-{suffix}"
    consumer = (
        InboxConsumer(name=name, topics=[REGISTRY_ACTOR], handlers={ACTOR_REGISTERED: record})
        if request.param == "handler per event"
        else InboxConsumer.applying_batches(name, [REGISTRY_ACTOR], [ACTOR_REGISTERED], record_all)
    )
    prefix = f"{stack.topic_prefix}b{suffix}."
    await ensure_topics(stack.kafka, prefix, partitions=1)
    bus = Bus(stack.kafka, client_id="test-batches")
    try:
        yield Probe(
            stack=stack,
            engine=engine,
            sessions=create_session_factory(engine),
            bus=bus,
            prefix=prefix,
            consumer=consumer,
            table=table,
        )
    finally:
        await bus.close()
        await engine.dispose()


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.1)


@pytest.mark.parametrize("bad", ["failing handler", "not an event"])
async def test_a_batch_applies_every_good_event_once_and_parks_the_bad_one_alone(
    probe: Probe, bad: str
) -> None:
    good = [actor_event(f"Good Actor {i}") for i in range(8)]
    poison = actor_event(FAULTY).to_bytes() if bad == "failing handler" else b"{not an event"
    values = [e.to_bytes() for e in good[:4]] + [poison] + [e.to_bytes() for e in good[4:]]
    await probe.publish(*values)

    runner = probe.runner()
    await runner.start()
    try:
        await eventually(lambda: _equals(probe.committed(), len(values)))
    finally:
        await runner.stop()

    # the batch's work before the bad event was rolled back, then applied one at a time
    applied = await probe.applications()
    assert [event_id for event_id, _ in applied] == [e.id for e in good]  # once each, in order
    assert await probe.parked() == [4]


async def test_a_redelivered_event_in_a_batch_is_skipped(probe: Probe) -> None:
    before = actor_event("Applied Before Ltd")
    assert await probe.consumer.apply(probe.sessions, *_decoded(probe, before))
    [(_, first_tx)] = await probe.applications()
    fresh = [actor_event(f"Fresh Actor {i}") for i in range(5)]
    # the earlier event again, and one fresh event published twice within the batch
    events = [fresh[0], before, fresh[1], fresh[2], fresh[2], fresh[3], fresh[4]]
    await probe.publish(*(e.to_bytes() for e in events))

    runner = probe.runner()
    await runner.start()
    try:
        await eventually(lambda: _equals(probe.committed(), len(events)))
    finally:
        await runner.stop()

    applied = await probe.applications()
    assert [event_id for event_id, _ in applied] == [before.id, *(e.id for e in fresh)]
    batch_txs = {tx for _, tx in applied[1:]}
    assert len(batch_txs) == 1  # the fetched batch in one transaction...
    assert batch_txs != {first_tx}  # ...not the earlier one's


async def test_a_crash_between_the_database_commit_and_the_offset_commit_applies_nothing_twice(
    probe: Probe,
) -> None:
    events = [actor_event(f"Crash Test Actor {i}") for i in range(6)]
    await probe.publish(*(e.to_bytes() for e in events))

    crashed = asyncio.Event()

    async def crash(tp: TopicPartition, offset: int) -> None:
        crashed.set()
        raise SimulatedCrash(f"died before committing {tp}@{offset}")

    first = probe.runner(before_offset_commit=crash)
    await first.start()
    await asyncio.wait_for(crashed.wait(), timeout=30)
    with pytest.raises(SimulatedCrash):
        await first.stop()
    assert [event_id for event_id, _ in await probe.applications()] == [e.id for e in events]
    assert await probe.committed() is None  # the batch is still to be read again

    second = probe.runner()
    await second.start()
    try:
        await eventually(lambda: _equals(probe.committed(), len(events)))
    finally:
        await second.stop()
    # re-read and skipped: every event still applied once, by the first runner
    assert [event_id for event_id, _ in await probe.applications()] == [e.id for e in events]


def _decoded(probe: Probe, event: CloudEvent) -> tuple[CloudEvent, Any]:
    decoded = probe.consumer.decode(event.to_bytes())
    assert decoded is not None
    return decoded


async def _equals(value: Awaitable[Any], expected: Any) -> bool:
    return bool(await value == expected)


async def _dlq_records(probe: Probe) -> list[bytes]:
    """Every record on the DLQ topic of the probe's topic, from the start."""
    tp = TopicPartition(f"{probe.prefix}{REGISTRY_ACTOR}.dlq", 0)
    kafka = AIOKafkaConsumer(bootstrap_servers=probe.stack.kafka, enable_auto_commit=False)
    await kafka.start()
    try:
        kafka.assign([tp])
        await kafka.seek_to_beginning(tp)
        end = (await kafka.end_offsets([tp]))[tp]
        values: list[bytes] = []
        while await kafka.position(tp) < end:
            for records in (await kafka.getmany(tp, timeout_ms=1000)).values():
                values.extend(record.value for record in records)
        return values
    finally:
        await kafka.stop()


async def test_a_dead_letter_insert_that_fails_does_not_send_the_record_to_the_dlq_again(
    probe: Probe,
) -> None:
    # The first three inserts into dead_letters fail (the sequence is not rolled back).
    async with probe.engine.begin() as conn:
        for statement in (
            "CREATE SEQUENCE dead_letter_failures",
            "CREATE FUNCTION fail_dead_letters() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF nextval('dead_letter_failures') <= 3 THEN "
            "RAISE EXCEPTION 'simulated dead-letter insert failure'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER fail_dead_letters BEFORE INSERT ON dead_letters "
            "FOR EACH ROW EXECUTE FUNCTION fail_dead_letters()",
        ):
            await conn.execute(text(statement))
    poison = b"{not an event"
    await probe.publish(poison)

    runner = probe.runner()
    await runner.start()
    try:
        await eventually(lambda: _equals(probe.committed(), 1))
    finally:
        await runner.stop()

    async with probe.engine.connect() as conn:
        assert await conn.scalar(text("SELECT last_value FROM dead_letter_failures")) == 4
    assert await probe.parked() == [0]
    assert await _dlq_records(probe) == [poison]  # once, though its row took four tries


async def test_a_record_parked_before_its_offset_commit_was_lost_is_not_parked_again(
    probe: Probe,
) -> None:
    poison = actor_event(FAULTY).to_bytes()
    await probe.publish(poison)
    crashed = asyncio.Event()

    async def crash(tp: TopicPartition, offset: int) -> None:
        crashed.set()
        raise SimulatedCrash(f"died (or was evicted) before committing {tp}@{offset}")

    first = probe.runner(before_offset_commit=crash)
    await first.start()
    await asyncio.wait_for(crashed.wait(), timeout=30)
    with pytest.raises(SimulatedCrash):
        await first.stop()
    assert await probe.parked() == [0]
    assert await probe.committed() is None  # the record comes again

    second = probe.runner()
    await second.start()
    try:
        await eventually(lambda: _equals(probe.committed(), 1))
    finally:
        await second.stop()
    assert await probe.parked() == [0]
    assert await _dlq_records(probe) == [poison]
