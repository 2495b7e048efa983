"""synergia-matching-rebuild under traffic and after an interruption, against the real
PostgreSQL and broker: it stops at the ends it captured, hands the consumer groups over
there, a partial projection is never served, and it leaves actor_profiles' search
(indexes, documents) as the migrations make it, with the documents the live consumers
write."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import RecordMetadata
from prometheus_client import REGISTRY
from synergia_devstack.postgres import create_database, drop_database
from synergia_matching.app import create_app as create_matching
from synergia_matching.rebuild import RebuildRefused, rebuild_projections
from synergia_matching.settings import MatchingSettings
from synergia_shared.bus import create_producer
from synergia_shared.db import create_engine, create_session_factory
from synergia_shared.events.topics import REGISTRY_ACTOR

from tests.support.events import actor_event
from tests.support.matching import dump
from tests.support.stack import TEMPLATE_PREFIX, TestStack, running_app, sqlalchemy_url

ACTOR_CONSUMER = "matching.actor-projection"
# actor_profiles' search as the migrations make it: every index, and each generated
# column's position and expression.
SEARCH_SCHEMA = """
    SELECT 'index', indexname, indexdef FROM pg_indexes
    WHERE schemaname = 'public' AND tablename = 'actor_profiles'
    UNION ALL
    SELECT 'column', a.attnum::text || ' ' || a.attname, pg_get_expr(d.adbin, d.adrelid)
    FROM pg_attribute AS a JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = 'actor_profiles'::regclass AND a.attgenerated = 's'
    ORDER BY 1, 2
"""


def steady_actor(legal_name: str) -> Any:
    """An actor with words to search for, so the documents the rebuild compares are not
    empty."""
    return actor_event(
        legal_name,
        country="AT",
        keywords=["laser welding"],
        description=f"{legal_name} welds and assembles steel frames.",
    )


class Publisher:
    """Registers actors on the registry's topic as the registry's relay would, keeping
    where each event landed."""

    def __init__(self, stack: TestStack) -> None:
        self.stack = stack
        self.topic = f"{stack.topic_prefix}{REGISTRY_ACTOR}"
        self.producer = create_producer(stack.kafka, "test-publisher")
        self.sent: list[tuple[str, RecordMetadata]] = []

    async def publish(self, count: int = 1) -> None:
        pending = []
        for _ in range(count):
            event = steady_actor(f"Steady Actor {len(self.sent) + len(pending)}")
            future = await self.producer.send(
                self.topic, value=event.to_bytes(), key=event.subject.encode()
            )
            pending.append((event.subject, future))
        for actor_id, future in pending:
            self.sent.append((actor_id, await future))

    async def keep_publishing(self, stop: asyncio.Event, every: float = 0.01) -> None:
        while not stop.is_set():
            await self.publish()
            await asyncio.sleep(every)

    def ids(self) -> set[str]:
        return {actor_id for actor_id, _ in self.sent}

    def ids_before(self, ends: dict[TopicPartition, int]) -> set[str]:
        return {
            actor_id
            for actor_id, where in self.sent
            if where.offset < ends[TopicPartition(self.topic, where.partition)]
        }


@pytest.fixture
async def publisher(stack: TestStack) -> AsyncIterator[Publisher]:
    publisher = Publisher(stack)
    await publisher.producer.start()
    try:
        yield publisher
    finally:
        await publisher.producer.stop()


def matching_settings(stack: TestStack, **changes: Any) -> MatchingSettings:
    return MatchingSettings(**{**stack.settings_kwargs("matching"), **changes})  # type: ignore[arg-type]


async def rebuild(settings: MatchingSettings, *, reset: bool, batch_size: int = 1000) -> Any:
    engine = create_engine(settings)
    try:
        return await rebuild_projections(
            create_session_factory(engine), settings, reset=reset, batch_size=batch_size
        )
    finally:
        await engine.dispose()


async def fetchval(dsn: str, sql: str) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def actor_ids(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return {str(r["actor_id"]) for r in await conn.fetch("SELECT actor_id FROM actor_profiles")}
    finally:
        await conn.close()


async def wait_for(probe: Any, done: Any, timeout: float, what: str) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if done(value):
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {value!r}")
        await asyncio.sleep(0.1)


async def committed(stack: TestStack, group: str, tps: list[TopicPartition]) -> dict[Any, Any]:
    kafka = AIOKafkaConsumer(bootstrap_servers=stack.kafka, group_id=f"{stack.topic_prefix}{group}")
    await kafka.start()
    try:
        return {tp: await kafka.committed(tp) for tp in tps}
    finally:
        await kafka.stop()


async def search_schema(dsn: str) -> list[tuple[str, str, str]]:
    conn = await asyncpg.connect(dsn)
    try:
        return [tuple(row) for row in await conn.fetch(SEARCH_SCHEMA)]
    finally:
        await conn.close()


def duplicates_skipped() -> float:
    value = REGISTRY.get_sample_value(
        "synergia_events_duplicate_total", {"consumer": ACTOR_CONSUMER}
    )
    return value or 0.0


@contextlib.asynccontextmanager
async def fresh_database(stack: TestStack) -> AsyncIterator[str]:
    name = f"{stack.database('matching')}_rebuilt"
    await create_database(stack.server_url, name, template=f"{TEMPLATE_PREFIX}matching")
    try:
        yield name
    finally:
        await drop_database(stack.server_url, name)


async def test_a_rebuild_under_steady_traffic_stops_at_the_captured_ends_and_hands_over(
    stack: TestStack, publisher: Publisher
) -> None:
    # The live projection of what came first, then the consumers stop for the rebuild.
    await publisher.publish(40)
    async with running_app(create_matching(matching_settings(stack)), "http://matching"):
        await wait_for(
            lambda: actor_ids(stack.dsn("matching")),
            lambda ids: ids == publisher.ids(),
            timeout=30,
            what="the live projection",
        )
    live = await dump(stack.dsn("matching"))

    stop = asyncio.Event()
    traffic = asyncio.create_task(publisher.keep_publishing(stop))
    try:
        await wait_for(
            lambda: asyncio.sleep(0, len(publisher.sent)),
            lambda n: n >= 60,
            timeout=10,
            what="traffic",
        )
        async with fresh_database(stack) as database:
            rebuilt_url = sqlalchemy_url(stack.server_url, database)
            rebuilt_dsn = f"{stack.server_url.rsplit('/', 1)[0]}/{database}"
            settings = matching_settings(stack, database_url=rebuilt_url)
            async with asyncio.timeout(60):  # before: it kept reading while events came
                report = await rebuild(settings, reset=False)
            await asyncio.sleep(0.5)  # the registry goes on publishing
            stop.set()
            await traffic

            # Exactly the events before the ends captured at the start, once each.
            assert report.failed == []
            before = publisher.ids_before(report.ends)
            assert await actor_ids(rebuilt_dsn) == before
            assert len(before) < len(publisher.sent), "events came after the captured ends"
            assert report.applied == len(before)
            rebuilt = await dump(rebuilt_dsn)
            first = {str(r["actor_id"]) for r in live["actor_profiles"]}
            assert [r for r in rebuilt["actor_profiles"] if str(r["actor_id"]) in first] == (
                live["actor_profiles"]
            ), "the rebuild equals the live projection for the same events, documents too"
            assert all(r["offers_document"] for r in rebuilt["actor_profiles"])
            # Its search indexes and document columns are the migrations' own.
            assert await search_schema(rebuilt_dsn) == await search_schema(stack.dsn("matching"))

            # The live consumers resume at those ends, not at their old positions.
            actor_tps = [tp for tp in report.ends if tp.topic == publisher.topic]
            assert await committed(stack, ACTOR_CONSUMER, actor_tps) == {
                tp: report.ends[tp] for tp in actor_tps
            }
            skipped = duplicates_skipped()
            async with running_app(create_matching(settings), "http://matching"):
                await wait_for(
                    lambda: actor_ids(rebuilt_dsn),
                    lambda ids: ids == publisher.ids(),
                    timeout=30,
                    what="the later events applied by the consumers",
                )
                await asyncio.sleep(0.5)
            inbox = await fetchval(
                rebuilt_dsn, f"SELECT count(*) FROM inbox WHERE consumer = '{ACTOR_CONSUMER}'"
            )
            assert inbox == len(publisher.sent), "every event applied, once"
            assert duplicates_skipped() == skipped, "nothing the rebuild applied was read again"
            assert await fetchval(rebuilt_dsn, "SELECT count(*) FROM dead_letters") == 0
            assert await fetchval(rebuilt_dsn, "SELECT count(*) FROM projection_rebuild") == 0
    finally:
        stop.set()
        await traffic


async def test_an_interrupted_rebuild_is_not_served_and_a_rerun_resumes_it(
    stack: TestStack, publisher: Publisher
) -> None:
    await publisher.publish(1500)
    dsn = stack.dsn("matching")
    settings = matching_settings(stack, rebuild_check_interval_seconds=0.2)
    migrated = await search_schema(dsn)

    # Interrupted after some batches (the process killed, say).
    interrupted = asyncio.create_task(rebuild(settings, reset=True, batch_size=10))
    await wait_for(
        lambda: fetchval(dsn, "SELECT count(*) FROM actor_profiles"),
        lambda n: n > 0,
        timeout=30,
        what="the rebuild to apply something",
    )
    assert not interrupted.done(), "the rebuild finished before it could be interrupted"
    interrupted.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await interrupted
    partial = await fetchval(dsn, "SELECT count(*) FROM actor_profiles")
    assert 0 < partial < 1500
    assert await fetchval(dsn, "SELECT count(*) FROM projection_rebuild") == 1

    async with running_app(create_matching(settings), "http://matching") as matching:
        # The partial projection is not served, and the consumers do not touch it.
        response = await matching.get("/readyz")
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert "rebuild in progress" in checks["projection"]
        consumers = (await matching.get("/status")).json()["consumers"]
        assert {c["running"] for c in consumers.values()} == {False}
        await asyncio.sleep(1.0)
        assert await fetchval(dsn, "SELECT count(*) FROM actor_profiles") == partial

        # Run again: it resumes (what was applied is skipped) and completes.
        report = await rebuild(settings, reset=False)
        assert report.resumed
        assert report.failed == []
        assert (report.applied, report.duplicates) == (1500 - partial, partial)
        assert await actor_ids(dsn) == publisher.ids()
        assert await fetchval(dsn, "SELECT count(*) FROM projection_rebuild") == 0
        # The migrations' search indexes and documents, every row's documents filled.
        assert await search_schema(dsn) == migrated
        empty = "SELECT count(*) FROM actor_profiles WHERE offers_document = ''::tsvector"
        assert await fetchval(dsn, empty) == 0

        # The service notices, starts its consumers and takes new events from there.
        response = await wait_for(
            lambda: matching.get("/readyz"),
            lambda r: r.status_code == 200,
            timeout=30,
            what="matching to become ready",
        )
        assert response.json()["checks"]["projection"] == "complete"
        await publisher.publish(1)
        await wait_for(
            lambda: actor_ids(dsn),
            lambda ids: ids == publisher.ids(),
            timeout=30,
            what="the new event to be consumed",
        )
    inbox = await fetchval(dsn, f"SELECT count(*) FROM inbox WHERE consumer = '{ACTOR_CONSUMER}'")
    assert inbox == 1501


async def test_a_rebuild_refuses_while_live_consumers_hold_the_groups(
    stack: TestStack, publisher: Publisher
) -> None:
    await publisher.publish(5)
    dsn = stack.dsn("matching")
    settings = matching_settings(stack)
    async with running_app(create_matching(settings), "http://matching"):
        await wait_for(
            lambda: actor_ids(dsn), lambda ids: len(ids) == 5, timeout=30, what="projection"
        )
        with pytest.raises(RebuildRefused, match="has other members"):
            await rebuild(settings, reset=True)
    # Nothing was reset or marked: the projection stays whole and served.
    assert await actor_ids(dsn) == publisher.ids()
    assert await fetchval(dsn, "SELECT count(*) FROM projection_rebuild") == 0
