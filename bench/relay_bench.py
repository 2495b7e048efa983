"""Benchmark 3: outbox relay throughput against a raw aiokafka producer, same messages."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from synergia_shared.bus import Bus, create_producer
from synergia_shared.events.registry import ActorKind, ActorRegisteredV1
from synergia_shared.events.topics import REGISTRY_ACTOR
from synergia_shared.messaging.outbox import build_event
from synergia_shared.messaging.relay import OutboxRelay
from synergia_shared.settings import ServiceSettings

from bench.stack import BenchStack, dsn
from bench.stats import ratio, table

HEADERS = [("content-type", b"application/cloudevents+json")]
# The relay as the services run it: their default batch size.
BATCH_SIZE = int(ServiceSettings.model_fields["relay_batch_size"].default)


@dataclass(frozen=True)
class Message:
    event_id: uuid.UUID
    key: str
    payload: bytes


def make_messages(count: int) -> list[Message]:
    kinds = list(ActorKind)
    messages = []
    for n in range(count):
        actor_id = uuid.uuid4()
        event = build_event(
            ActorRegisteredV1(
                actor_id=actor_id,
                legal_name=f"Relay Benchmark Actor {n} Società Cooperativa",
                short_name=f"RBA{n}",
                kind=kinds[n % len(kinds)],
                country="IT",
                registered_at=datetime.now(UTC),
            ),
            subject=str(actor_id),
            sequence=1,
        )
        messages.append(Message(event.id, str(actor_id), event.to_bytes()))
    return messages


async def fill_outbox(database_url: str, messages: list[Message]) -> None:
    conn = await asyncpg.connect(dsn(database_url))
    try:
        await conn.copy_records_to_table(
            "outbox",
            records=[
                (
                    m.event_id,
                    "actor",
                    m.key,
                    "eu.synergia.registry.actor.registered.v1",
                    REGISTRY_ACTOR,
                    m.payload,
                )
                for m in messages
            ],
            columns=[
                "event_id",
                "aggregate_type",
                "aggregate_id",
                "event_type",
                "topic",
                "payload",
            ],
        )
        await conn.execute("ANALYZE outbox")
    finally:
        await conn.close()


async def raw_producer_seconds(
    producer: AIOKafkaProducer, topic: str, messages: list[Message]
) -> float:
    """Send every message (futures gathered at the end, like one big batch); the time taken."""
    started = time.perf_counter()
    futures = [
        await producer.send(topic, value=m.payload, key=m.key.encode(), headers=HEADERS)
        for m in messages
    ]
    await asyncio.gather(*futures)
    return time.perf_counter() - started


async def timed_raw(
    producer: AIOKafkaProducer, topic: str, messages: list[Message], warmup: list[Message]
) -> float:
    await producer.start()
    try:
        await raw_producer_seconds(producer, topic, warmup)
        return await raw_producer_seconds(producer, topic, messages)
    finally:
        await producer.stop()


async def relay_seconds(
    stack: BenchStack, database_url: str, topic_prefix: str, count: int
) -> dict[str, float]:
    engine = create_async_engine(database_url, pool_size=10, max_overflow=10)
    bus = Bus(stack.kafka, client_id="bench-relay")
    conn = await asyncpg.connect(dsn(database_url))
    relay = OutboxRelay(
        engine, bus, database_url=database_url, topic_prefix=topic_prefix, batch_size=BATCH_SIZE
    )
    try:
        # Connections up before the clock starts, as for the raw producer.
        async with engine.connect() as warm:
            await warm.execute(text("SELECT 1"))
        await bus.producer()
        started = time.perf_counter()
        await relay.start()
        # One index probe per check, from the lowest row unsent at the last one (nothing
        # marks rows unsent again here): counting the unsent rows would scan them every
        # 20 ms, and even a probe from the start steps over the entries of every row sent
        # since the index was last cleaned, one heap visit each, CPU the relay's own
        # database work competes with on a small machine.
        lowest_unsent: int | None = 0
        while (
            lowest_unsent := await conn.fetchval(
                "SELECT min(id) FROM outbox WHERE sent_at IS NULL AND id >= $1", lowest_unsent
            )
        ) is not None:
            if time.perf_counter() - started > 120:
                raise TimeoutError("the relay did not publish everything in 120 s")
            await asyncio.sleep(0.02)
        seconds = time.perf_counter() - started
        sent = await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL")
        return {"seconds": seconds, "sent": float(sent)}
    finally:
        await relay.stop()
        await bus.close()
        await engine.dispose()
        await conn.close()


async def run(stack: BenchStack, *, events: int, rounds: int = 3) -> dict[str, Any]:
    """Each publisher ``rounds`` times (interleaved, fresh outbox each time); best round counts."""
    raw_prefix = await stack.topics("raw")
    plain_prefix = await stack.topics("plain")
    messages = make_messages(events)
    warmup = make_messages(500)
    sizes = [len(m.payload) for m in messages]
    relay_runs: list[float] = []
    same_runs: list[float] = []
    plain_runs: list[float] = []
    for round_no in range(rounds):
        database_url = await stack.fresh_database("registry", f"relay{round_no}")
        relay_prefix = await stack.topics(f"relay{round_no}")
        await fill_outbox(database_url, messages)
        same_runs.append(
            await timed_raw(
                create_producer(stack.kafka, "bench-raw"),
                f"{raw_prefix}{REGISTRY_ACTOR}",
                messages,
                warmup,
            )
        )
        plain_runs.append(
            await timed_raw(
                AIOKafkaProducer(
                    bootstrap_servers=stack.kafka, client_id="bench-plain", acks="all"
                ),
                f"{plain_prefix}{REGISTRY_ACTOR}",
                messages,
                warmup,
            )
        )
        relay = await relay_seconds(stack, database_url, relay_prefix, events)
        if relay["sent"] != events:
            raise RuntimeError(f"the relay marked {relay['sent']:.0f} of {events} sent")
        relay_runs.append(relay["seconds"])
    relay_rate = events / min(relay_runs)
    same_settings, plain = min(same_runs), min(plain_runs)
    return {
        "events": events,
        "rounds": rounds,
        "payload_bytes_mean": sum(sizes) / len(sizes),
        "relay": {"seconds": min(relay_runs), "events_per_s": relay_rate, "rounds_s": relay_runs},
        "raw_same_settings": {
            "seconds": same_settings,
            "events_per_s": events / same_settings,
            "rounds_s": same_runs,
        },
        "raw_plain": {"seconds": plain, "events_per_s": events / plain, "rounds_s": plain_runs},
        "ratio_to_raw_same_settings": ratio(relay_rate, events / same_settings),
        "ratio_to_raw_plain": ratio(relay_rate, events / plain),
    }


def render(report: dict[str, Any]) -> str:
    rows: list[list[object]] = [
        [
            f"OutboxRelay (batch {BATCH_SIZE}) -> broker",
            report["relay"]["events_per_s"],
            report["relay"]["seconds"],
            "1.00x",
        ],
        [
            "raw aiokafka, Bus settings (acks=all, gzip, linger 2 ms)",
            report["raw_same_settings"]["events_per_s"],
            report["raw_same_settings"]["seconds"],
            f"{report['ratio_to_raw_same_settings']:.2f}x",
        ],
        [
            "raw aiokafka, defaults + acks=all (no compression)",
            report["raw_plain"]["events_per_s"],
            report["raw_plain"]["seconds"],
            f"{report['ratio_to_raw_plain']:.2f}x",
        ],
    ]
    title = (
        f"3. Relay throughput: {report['events']:,} events, "
        f"{report['payload_bytes_mean']:.0f} B mean payload, key = aggregate id, "
        f"best of {report['rounds']} rounds"
    )
    return table(title, ["publisher", "events/s", "seconds", "relay/this"], rows)
