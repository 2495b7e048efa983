"""`synergia-matching-rebuild`: rebuild matching's projections from the registry's topics.

Reads registry.actor, registry.cluster and registry.value-chain from the beginning up to
the ends they had when the rebuild started, applies every event as the live consumers do
(same handlers, same inbox), then hands the projection consumers' groups over at those
ends: the live consumers carry on from there, so an event published during the rebuild
is applied by them, once. Run it against a fresh, migrated database (then point the
service at it), or with ``--reset`` against the service's own database; either way with
the matching consumers stopped (it checks). ``--reset`` empties the projection tables
and the projection consumers' inbox rows first. What matching owns itself (S3
priorities, team proposals) is never touched.

While it runs, a row in ``projection_rebuild`` marks the projection as partial: the
service does not start its consumers and reports not ready (see app.py). An interrupted
rebuild leaves the row; running the command again resumes (events already applied are
skipped by the inbox), ``--reset`` starts over.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from sqlalchemy.ext.asyncio import AsyncEngine
from synergia_shared.db import SessionFactory, create_engine, create_session_factory, unit_of_work
from synergia_shared.events.base import EventData
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.messaging.inbox import Delivery, InboxConsumer, PoisonEvent, apply_batch

from synergia_matching.consumers import projection_consumers
from synergia_matching.projection_rebuild import repository
from synergia_matching.settings import MatchingSettings

logger = logging.getLogger(__name__)


class RebuildRefused(Exception):
    """The rebuild cannot run now as asked; the message says what to do."""


# --- reading the topics up to the ends captured at the start ---------------------------


@dataclass
class ProjectionRebuildReport:
    """What the rebuild did, with where it stopped and where the live consumers resume."""

    events_read: int = 0
    applied: int = 0
    duplicates: int = 0  # already applied: a resumed rebuild, or a live delivery first
    ignored: int = 0  # of a type no projection consumer handles
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0  # reading and applying, without the group hand-over
    resumed: bool = False
    ends: dict[TopicPartition, int] = field(default_factory=dict)
    handed_over: dict[str, dict[TopicPartition, int]] = field(default_factory=dict)

    @property
    def events_per_second(self) -> float:
        return self.applied / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class _Item:
    consumer: InboxConsumer
    event: CloudEvent
    data: EventData
    tp: TopicPartition
    offset: int


class _Reader:
    """Decodes and applies records, remembering each partition's first failed offset."""

    def __init__(
        self,
        consumers: list[InboxConsumer],
        sessions: SessionFactory,
        report: ProjectionRebuildReport,
        topic_prefix: str,
    ) -> None:
        self._by_topic: dict[str, list[InboxConsumer]] = {}
        for consumer in consumers:
            for topic in consumer.topics:
                self._by_topic.setdefault(f"{topic_prefix}{topic}", []).append(consumer)
        self._sessions = sessions
        self._report = report
        self.first_failed: dict[TopicPartition, int] = {}

    def _failed(self, tp: TopicPartition, offset: int, consumer: str, error: str) -> None:
        self._report.failed.append(f"{tp.topic}[{tp.partition}]@{offset} ({consumer}): {error}")
        self.first_failed[tp] = min(offset, self.first_failed.get(tp, offset))

    def decode(self, tp: TopicPartition, record: ConsumerRecord[Any, Any]) -> list[_Item]:
        self._report.events_read += 1
        items: list[_Item] = []
        for consumer in self._by_topic[tp.topic]:
            try:
                found = consumer.decode(record.value)
            except PoisonEvent as exc:
                self._failed(tp, record.offset, consumer.name, str(exc))
                continue
            if found is None:
                self._report.ignored += 1
                continue
            items.append(_Item(consumer, found[0], found[1], tp, record.offset))
        return items

    async def apply(self, items: list[_Item]) -> None:
        """One transaction for the batch (a commit per event would dominate); if any
        event fails, again one transaction per event, so a bad event costs only itself."""
        try:
            outcomes = await apply_batch(
                self._sessions, [Delivery(i.consumer, i.event, i.data) for i in items]
            )
        except Exception:
            logger.warning("rebuild batch failed; applying its %d events one by one", len(items))
        else:
            applied = sum(outcomes)
            self._report.applied += applied
            self._report.duplicates += len(items) - applied
            return
        for item in items:
            try:
                if await item.consumer.apply(self._sessions, item.event, item.data):
                    self._report.applied += 1
                else:
                    self._report.duplicates += 1
            except Exception as exc:
                self._failed(item.tp, item.offset, item.consumer.name, repr(exc))
                logger.error("rebuild could not apply %s@%d: %r", item.tp, item.offset, exc)


def _kafka(settings: MatchingSettings, **config: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        client_id="matching-rebuild",
        **config,
    )


async def _capture_ends(
    kafka: AIOKafkaConsumer, partitions: list[TopicPartition], timeout: float = 30.0
) -> dict[TopicPartition, int]:
    """Each partition's end now: the high watermark a fetch at the listed end reports.

    The listed end alone is not enough: a broker may list the base offset of the last
    (compressed) batch rather than the offset after it (the embedded Tansu does).
    """
    listed = await kafka.end_offsets(partitions)
    for tp in partitions:
        kafka.seek(tp, listed[tp])
    ends: dict[TopicPartition, int] = {}
    deadline = time.monotonic() + timeout
    while len(ends) < len(partitions):
        if time.monotonic() > deadline:
            missing = sorted(str(tp) for tp in partitions if tp not in ends)
            raise RebuildRefused(f"the broker reported no end for {', '.join(missing)}")
        await kafka.getmany(*(tp for tp in partitions if tp not in ends), timeout_ms=200)
        for tp in partitions:
            highwater = kafka.highwater(tp)
            if tp not in ends and highwater is not None:
                ends[tp] = max(highwater, listed[tp])
    return ends


async def _read_to_captured_ends(
    consumers: list[InboxConsumer],
    sessions: SessionFactory,
    settings: MatchingSettings,
    report: ProjectionRebuildReport,
    batch_size: int = 1000,
) -> dict[TopicPartition, int]:
    """Apply every event before the ends captured now; returns where the live consumers
    must resume: the end, or a partition's first failed event (they retry and, failing
    again, park it, as they would have; what follows it is skipped by their inbox)."""
    prefix = settings.kafka_topic_prefix
    reader = _Reader(consumers, sessions, report, prefix)
    kafka = _kafka(settings, group_id=None, max_poll_records=batch_size)
    await kafka.start()
    try:
        await kafka.topics()  # loads the cluster metadata
        topics = sorted({f"{prefix}{t}" for c in consumers for t in c.topics})
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(kafka.partitions_for_topic(topic) or ())
        ]
        kafka.assign(partitions)
        report.ends = await _capture_ends(kafka, partitions)
        await kafka.seek_to_beginning(*partitions)
        remaining = [tp for tp in partitions if await kafka.position(tp) < report.ends[tp]]
        # While the database applies a batch, the next one is fetched and decoded: the
        # two halves of the work overlap (batches are still applied one after another).
        applying: asyncio.Task[None] | None = None
        try:
            while remaining:
                fetched = await kafka.getmany(*remaining, timeout_ms=500, max_records=batch_size)
                items: list[_Item] = []
                for tp, records in fetched.items():
                    for record in records:
                        if record.offset >= report.ends[tp]:
                            break  # published after the start: the live consumers' part
                        items += reader.decode(tp, record)
                if applying is not None:
                    await applying
                    applying = None
                if items:
                    applying = asyncio.create_task(reader.apply(items))
                remaining = [tp for tp in remaining if await kafka.position(tp) < report.ends[tp]]
            if applying is not None:
                await applying
        finally:
            if applying is not None and not applying.done():
                applying.cancel()  # interrupted: rolled back, applied again by a rerun
                with suppress(asyncio.CancelledError):
                    await applying
    finally:
        await kafka.stop()
    return {tp: min(end, reader.first_failed.get(tp, end)) for tp, end in report.ends.items()}


# --- the consumer groups ---------------------------------------------------------------


class _Assigned(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self) -> None:
        self.changed = asyncio.Event()

    async def on_partitions_revoked(self, revoked: Any) -> None:
        self.changed.set()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self.changed.set()


async def _take_group(
    settings: MatchingSettings,
    consumer: InboxConsumer,
    offsets: Mapping[TopicPartition, int] | None,
    timeout: float,
) -> dict[TopicPartition, int]:
    """Join ``consumer``'s group and get every partition, or refuse: a live consumer
    holds some. With ``offsets``, commit them: where the live consumers will resume.

    Joining (rather than committing from outside the group) is what works on every
    broker: Kafka accepts an outside commit only for a group without members, and the
    embedded Tansu keeps a stopped member listed, refusing outside commits forever.
    """
    group = f"{settings.kafka_topic_prefix}{consumer.name}"
    topics = [f"{settings.kafka_topic_prefix}{t}" for t in consumer.topics]
    listener = _Assigned()
    kafka = _kafka(
        settings,
        group_id=group,
        session_timeout_ms=settings.consumer_session_timeout_ms,
        heartbeat_interval_ms=settings.consumer_heartbeat_interval_ms,
    )
    kafka.subscribe(topics, listener=listener)
    await kafka.start()
    try:
        await kafka.topics()
        wanted = {TopicPartition(t, p) for t in topics for p in kafka.partitions_for_topic(t) or ()}
        deadline = time.monotonic() + timeout
        while kafka.assignment() != wanted:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RebuildRefused(
                    f"the consumer group {group} has other members: stop the matching "
                    "consumers (the service, or MATCHING_CONSUMERS_ENABLED=false) and retry"
                )
            listener.changed.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(listener.changed.wait(), timeout=min(left, 1.0))
        if offsets is None:
            return {}
        mine = {tp: offsets[tp] for tp in wanted}
        await kafka.commit(mine)
        return mine
    finally:
        await kafka.stop()


async def _take_groups(
    settings: MatchingSettings,
    consumers: list[InboxConsumer],
    offsets: Mapping[TopicPartition, int] | None = None,
) -> dict[str, dict[TopicPartition, int]]:
    # A broker waits up to a session for a dead member (Tansu holds a first join half
    # of one): three sessions is ample for a group that is really free.
    timeout = max(3 * settings.consumer_session_timeout_ms / 1000, 10.0)
    joins = [asyncio.create_task(_take_group(settings, c, offsets, timeout)) for c in consumers]
    try:
        taken = await asyncio.gather(*joins)
    except BaseException:
        # The first failure (a refusal, usually) is the answer: the other joins are
        # cancelled, and whatever they raise while leaving their groups is not.
        for join in joins:
            join.cancel()
        await asyncio.gather(*joins, return_exceptions=True)
        raise
    return {c.name: t for c, t in zip(consumers, taken, strict=True)}


# --- the whole rebuild -----------------------------------------------------------------


@asynccontextmanager
async def _only_rebuild(sessions: SessionFactory) -> AsyncIterator[None]:
    """Hold a session advisory lock on a connection of its own for the whole rebuild:
    a second rebuild of the same database (a rerun while the first still runs) refuses."""
    engine = sessions.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    async with engine.connect() as conn:
        locked = await repository.try_lock(conn)
        await conn.commit()
        if not locked:
            raise RebuildRefused("another synergia-matching-rebuild is running on this database")
        try:
            yield
        finally:
            await repository.unlock(conn)
            await conn.commit()


async def rebuild_projections(
    sessions: SessionFactory, settings: MatchingSettings, *, reset: bool, batch_size: int = 1000
) -> ProjectionRebuildReport:
    consumers = projection_consumers()
    report = ProjectionRebuildReport()
    async with _only_rebuild(sessions):
        await _take_groups(settings, consumers)  # refuses while live consumers run
        async with unit_of_work(sessions) as session:
            interrupted = await repository.rebuild_in_progress(session) is not None
            report.resumed = interrupted and not reset
            if reset:
                await repository.reset_projections(session, [c.name for c in consumers])
            elif not interrupted and not await repository.projection_is_empty(session):
                raise RebuildRefused(
                    "the projection tables are not empty: rebuild into a fresh database, "
                    "or pass --reset with the matching consumers stopped"
                )
            await repository.mark_started(session, reset=reset, restart=not report.resumed)
        # Timed alone: the group joins around it cost a broker's join delay, not work.
        started = time.perf_counter()
        resume_at = await _read_to_captured_ends(consumers, sessions, settings, report, batch_size)
        report.seconds = time.perf_counter() - started
        # Groups first, marker last: a crash in between leaves the marker, and the rerun
        # hands the groups over again.
        report.handed_over = await _take_groups(settings, consumers, resume_at)
        async with unit_of_work(sessions) as session:
            await repository.mark_done(session)
    logger.info(
        "rebuild done",
        extra={
            "events_read": report.events_read,
            "applied": report.applied,
            "failed": len(report.failed),
            "resumed": report.resumed,
            "seconds": round(report.seconds, 3),
        },
    )
    return report


async def _main(reset: bool) -> ProjectionRebuildReport:
    settings = MatchingSettings()
    engine = create_engine(settings)
    try:
        return await rebuild_projections(create_session_factory(engine), settings, reset=reset)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reset",
        action="store_true",
        help="empty the projections first and start over (stop the matching consumers before)",
    )
    args = parser.parse_args()
    try:
        report = asyncio.run(_main(args.reset))
    except RebuildRefused as exc:
        sys.exit(f"synergia-matching-rebuild: {exc}")
    if report.resumed:
        print("resumed an interrupted rebuild (events already applied were skipped)")
    print(
        f"read {report.events_read} events, applied {report.applied}, "
        f"duplicates {report.duplicates}, failed {len(report.failed)} "
        f"in {report.seconds:.1f}s ({report.events_per_second:,.0f} events/s)"
    )
    for failure in report.failed:
        print(f"  failed: {failure}", file=sys.stderr)
    if report.failed:
        print(
            "the live consumers resume at each partition's first failed event: they retry "
            "it and park it if it fails again (GET /v1/admin/dead-letters)",
            file=sys.stderr,
        )
    sys.exit(1 if report.failed else 0)


if __name__ == "__main__":
    main()
