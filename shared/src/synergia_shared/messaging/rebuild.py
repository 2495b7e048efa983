"""Rebuild projections by reading their topics from the beginning.

The live consumers keep a projection current; this reads every partition of their topics
from offset 0 until it has passed the end offsets seen at the start and a fetch brings
nothing more, without a consumer group (nothing
is committed, the live group's position is untouched), and applies each event through the
same :class:`InboxConsumer` handlers and inbox the live path uses. So the result is the
projection the live consumers would have built, and a later live delivery of an event
the rebuild applied is skipped by the inbox.

Events are applied in batches, one transaction per fetched batch, because a rebuild
applies hundreds of thousands of events and a commit per event would dominate. If any
event of a batch fails, the batch is rolled back and applied again one event per
transaction, so one bad event costs only itself: it is counted and logged, not parked
(the live consumer parks it in the dead-letter queue already).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from synergia_shared.db import SessionFactory, unit_of_work
from synergia_shared.events.base import EventData
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.messaging.inbox import InboxConsumer, PoisonEvent

logger = logging.getLogger(__name__)


@dataclass
class RebuildReport:
    events_read: int = 0
    applied: int = 0
    duplicates: int = 0
    ignored: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def events_per_second(self) -> float:
        return self.applied / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class _Decoded:
    consumer: InboxConsumer
    event: CloudEvent
    data: EventData
    where: str


class _Batch:
    def __init__(self, consumers: list[InboxConsumer], report: RebuildReport) -> None:
        self._by_topic: dict[str, list[InboxConsumer]] = {}
        for consumer in consumers:
            for topic in consumer.topics:
                self._by_topic.setdefault(topic, []).append(consumer)
        self._report = report

    def decode(self, record: ConsumerRecord[Any, Any], topic: str) -> list[_Decoded]:
        where = f"{record.topic}[{record.partition}]@{record.offset}"
        decoded: list[_Decoded] = []
        for consumer in self._by_topic[topic]:
            try:
                found = consumer.decode(record.value)
            except PoisonEvent as exc:
                self._report.failed.append(f"{where} ({consumer.name}): {exc}")
                continue
            if found is None:
                self._report.ignored += 1
                continue
            decoded.append(_Decoded(consumer, found[0], found[1], where))
        return decoded


async def _apply_batch(
    sessions: SessionFactory, items: list[_Decoded], report: RebuildReport
) -> None:
    try:
        applied = 0
        async with unit_of_work(sessions) as session:
            for item in items:
                applied += await item.consumer.apply_in(session, item.event, item.data)
    except Exception:
        logger.warning("rebuild batch failed; applying its %d events one by one", len(items))
    else:
        report.applied += applied
        report.duplicates += len(items) - applied
        return
    for item in items:
        try:
            if await item.consumer.apply(sessions, item.event, item.data):
                report.applied += 1
            else:
                report.duplicates += 1
        except Exception as exc:
            report.failed.append(f"{item.where} ({item.consumer.name}): {exc!r}")
            logger.error("rebuild could not apply %s: %r", item.where, exc)


async def rebuild(
    consumers: list[InboxConsumer],
    sessions: SessionFactory,
    *,
    bootstrap_servers: str,
    topic_prefix: str = "",
    batch_size: int = 1000,
) -> RebuildReport:
    """Apply every event on the consumers' topics, from the beginning to the current end."""
    report = RebuildReport()
    started = time.perf_counter()
    batch = _Batch(consumers, report)
    topics = sorted({t for c in consumers for t in c.topics})
    kafka = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        client_id="rebuild",
        max_poll_records=batch_size,
    )
    await kafka.start()
    try:
        await kafka.topics()  # loads the cluster metadata
        partitions = [
            TopicPartition(f"{topic_prefix}{topic}", p)
            for topic in topics
            for p in sorted(kafka.partitions_for_topic(f"{topic_prefix}{topic}") or ())
        ]
        kafka.assign(partitions)
        await kafka.seek_to_beginning(*partitions)
        ends = await kafka.end_offsets(partitions)
        # Done once every partition is at or past the end seen at the start AND a fetch
        # brings nothing more. The second condition matters: a broker may report an end
        # that stops short of the records of its last compressed batch (the embedded
        # Tansu does), and records appended meanwhile are worth applying too.
        while True:
            fetched = await kafka.getmany(*partitions, timeout_ms=500, max_records=batch_size)
            items: list[_Decoded] = []
            for tp, records in fetched.items():
                topic = tp.topic.removeprefix(topic_prefix)
                for record in records:
                    report.events_read += 1
                    items += batch.decode(record, topic)
            if items:
                await _apply_batch(sessions, items, report)
            caught_up = all([await kafka.position(tp) >= ends[tp] for tp in partitions])
            if caught_up and not any(fetched.values()):
                break
    finally:
        await kafka.stop()
    report.seconds = time.perf_counter() - started
    logger.info(
        "rebuild done",
        extra={
            "events_read": report.events_read,
            "applied": report.applied,
            "failed": len(report.failed),
            "seconds": round(report.seconds, 3),
        },
    )
    return report
