"""The outbox relay: publishes committed events to Kafka, at least once, in order.

Claims unsent rows with ``FOR UPDATE SKIP LOCKED`` so several replicas can run it,
publishes with ``acks=all`` and marks rows sent only after the broker acknowledged
them. An aggregate whose earlier event is held by another replica is left for later,
which keeps each aggregate's events in order across replicas. Wakes on
LISTEN/NOTIFY and also polls, so nothing depends on a notification arriving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata
from opentelemetry.trace import Span, Status, StatusCode, Tracer
from sqlalchemy import ARRAY, BigInteger, Select, bindparam, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from synergia_shared.bus import Bus
from synergia_shared.db_outage import is_database_unavailable
from synergia_shared.db_urls import asyncpg_dsn
from synergia_shared.messaging.partitions import default_partition
from synergia_shared.messaging.replaced_logs import AcknowledgedOffsets
from synergia_shared.messaging.republish import (
    LostPartition,
    Partition,
    acked_offsets,
    lost_partitions,
    record_acks,
    republish_lost,
)
from synergia_shared.messaging.tables import OUTBOX_CHANNEL, outbox
from synergia_shared.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED, OUTBOX_REPUBLISHED
from synergia_shared.tracing import (
    TRACEPARENT,
    payload_traceparent,
    start_producer_span,
    trace_headers,
)

logger = logging.getLogger(__name__)

_CONTENT_TYPE_HEADER = ("content-type", b"application/cloudevents+json")
_CONTENT_TYPE_ONLY = [_CONTENT_TYPE_HEADER]  # the producer only reads a record's headers

# A batch's ids go in as one array parameter (``= ANY(:ids)``), not as ``IN (…)``: an IN
# list is rendered with one placeholder per element, so every batch size is another
# statement to compile and prepare, and rendering it cost more than the rest of the
# round's SQL (measured at 500 events a batch).
_MARK_SENT = (
    update(outbox)
    .where(outbox.c.id == func.any(bindparam("ids", type_=ARRAY(BigInteger))))
    .values(sent_at=func.now())
)


_MAX_RETRY_DELAY = 5.0
# Publishing rounds in flight while a backlog is published (_publish_rounds): one
# waiting for its acknowledgements and marking its rows sent, one sending, one claimed
# and ready to send, so the producer never waits for a claim.
_ROUNDS_IN_FLIGHT = 3
# A round claims above the rows the previous round claimed: from the start, its claim
# would step over the rows the rounds in flight hold, one by one (SKIP LOCKED), and over
# the entries the rows just sent left in the unsent index. Rows below (an aggregate's
# events left for later, rows another replica let go) are looked at again every
# _RESTART_EVERY rounds, and once the rounds end (_publish_rounds).
_RESTART_EVERY = 10


def _end(span: Span, error: BaseException | None) -> None:
    if error is not None:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, repr(error)))
    span.end()


async def _outcomes(
    futures: Sequence[asyncio.Future[RecordMetadata]],
) -> list[RecordMetadata | BaseException]:
    """Each send's outcome, once all are known. Awaited one by one, in order: a batch's
    futures complete together, so most are done when reached, where ``gather`` would
    add a callback to each of them (it cost more than all else the relay adds to a
    record's send)."""
    for future in futures:
        if not future.done():
            await asyncio.wait((future,))
    return [
        asyncio.CancelledError() if future.cancelled() else (future.exception() or future.result())
        for future in futures
    ]


@dataclass
class _Handover:
    """What a publishing round tells the next one: it has claimed its batch
    (``claimed``), whether that batch was full (more may be waiting), the highest id it
    claimed (``claimed_to``), and that its records are with the producer (``handed``).
    ``previous`` is the previous round's ``handed``: this round sends nothing before it
    is set. ``above``: this round claims only rows with a higher id."""

    previous: asyncio.Event | None = None
    above: int = 0
    claimed: asyncio.Event = field(default_factory=asyncio.Event)
    claimed_to: int = 0
    handed: asyncio.Event = field(default_factory=asyncio.Event)
    full: bool = False
    # Per partition, the lowest and highest offset the broker acknowledged to the round.
    acked: dict[Partition, tuple[int, int]] = field(default_factory=dict)


def _claim_statement(batch_size: int) -> Select[Any]:
    """The next ``batch_size`` unsent rows with an id above ``:above``, locked (``SKIP
    LOCKED`` passes over rows another relay round or replica holds), in ``id`` order,
    each with ``held_elsewhere`` (whatever its id):
    whether an earlier unsent event of its aggregate is outside the batch. That event is
    locked by another round or replica; publishing ours first would break the
    aggregate's order. One statement, so one round trip for both."""
    claimed = (
        select(outbox.c.id, outbox.c.aggregate_id, outbox.c.topic, outbox.c.payload)
        .where(outbox.c.sent_at.is_(None), outbox.c.id > bindparam("above", type_=BigInteger))
        .order_by(outbox.c.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
        .cte("claimed")
    )
    earlier = outbox.alias("earlier")
    held_elsewhere = (
        exists()
        .where(
            earlier.c.sent_at.is_(None),
            earlier.c.aggregate_id == claimed.c.aggregate_id,
            earlier.c.id < claimed.c.id,
            earlier.c.id.not_in(select(claimed.c.id).scalar_subquery()),
        )
        .label("held_elsewhere")
    )
    return select(
        claimed.c.id, claimed.c.aggregate_id, claimed.c.topic, claimed.c.payload, held_elsewhere
    ).order_by(claimed.c.id)


def _without_aggregates_held_elsewhere(rows: Sequence[Any]) -> list[Any]:
    """Drop every event of an aggregate with an earlier unsent event outside the batch:
    its rows stay unsent and are taken, in order, on a later round."""
    blocked = {row.aggregate_id for row in rows if row.held_elsewhere}
    return [row for row in rows if row.aggregate_id not in blocked]


class TopicsMissing(RuntimeError):
    """The broker does not (yet) have a topic the outbox publishes to."""


@dataclass
class RelayStatus:
    running: bool = False
    broker_ok: bool = False
    last_error: str | None = None


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        bus: Bus,
        *,
        database_url: str,
        topic_prefix: str = "",
        batch_size: int = 1000,
        poll_interval: float = 1.0,
        check_topics: bool = False,
        log_check_interval: float = 5.0,
        republish_window: timedelta = timedelta(days=7),
        tracer: Tracer | None = None,
    ) -> None:
        self._engine = engine
        # With tracing on, a producer span per record (synergia_shared.tracing).
        self._tracer = tracer
        self._bus = bus
        self._dsn = asyncpg_dsn(database_url)
        self._topic_prefix = topic_prefix
        self._batch_size = batch_size
        self._claim = _claim_statement(batch_size)
        self._poll_interval = poll_interval
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._log_check_task: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._backlog_measured_at = 0.0
        # With check_topics (a broker that can lose its topics: the embedded dev one),
        # publish only to topics the broker reports, checked on fresh metadata after a
        # failure and whenever the last check is older than a second (_ensure_topics_exist).
        self._check_topics = check_topics
        self._check_topics_first = True
        self._topics_checked_at = 0.0
        # Whether the broker still has what it acknowledged (check_log): every
        # log_check_interval, and before the first publish after a failure.
        self._log_check_interval = log_check_interval
        self._log_check_now = True
        self._log_checked_at = 0.0
        self._republish_window = republish_window
        # What the broker acknowledged to this relay, and the partitions that showed a
        # new log since (replaced_logs), republished before the next round.
        self._acknowledged = AcknowledgedOffsets()
        self._replaced: dict[Partition, int] = {}
        self.status = RelayStatus()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self, drain_timeout: float = 10.0) -> None:
        """Flush what is pending (bounded by ``drain_timeout``), then stop."""
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=drain_timeout)
            except TimeoutError:
                self._task.cancel()
                logger.warning("outbox relay did not drain within %.1fs", drain_timeout)
        if self._log_check_task is not None:
            self._log_check_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._log_check_task
        await self._close_listener()

    async def _run(self) -> None:
        self.status.running = True
        # After a failure (the broker or the database away) the next try waits longer,
        # up to _MAX_RETRY_DELAY: an outage costs a log line every few seconds, and the
        # rows wait in the outbox meanwhile.
        retry_delay = self._poll_interval
        try:
            while True:
                await self._ensure_listener()
                self._wakeup.clear()
                await self._check_log_when_due()
                try:
                    published, more = await self._publish_rounds()
                    self.status.broker_ok = True
                    self.status.last_error = None
                    retry_delay = self._poll_interval
                except Exception as exc:  # the broker or database is down: rows wait
                    self._check_topics_first = True
                    self._log_check_now = True
                    published = 0
                    if not is_database_unavailable(exc):  # status reports the broker
                        self.status.broker_ok = False
                    self.status.last_error = repr(exc)
                    logger.warning("outbox relay could not publish: %r", exc)
                    if self._stopping:
                        return
                    await asyncio.sleep(retry_delay)
                    retry_delay = min(retry_delay * 2, max(self._poll_interval, _MAX_RETRY_DELAY))
                    continue
                if self._stopping and published == 0:
                    return
                if more:
                    continue  # more is waiting; do not sleep
                if self._stopping:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll_interval)
        finally:
            self.status.running = False

    def wake(self) -> None:
        """Look at the outbox now (rows were marked unsent to be republished)."""
        self._wakeup.set()

    async def _check_log_when_due(self) -> None:
        """After a failed publish, check before publishing again (a broker that came
        back empty must not take new records first); otherwise every
        ``log_check_interval``, in a task of its own: publishing does not wait for it
        (on the embedded broker a check can take a fetch's wait), and it stays correct
        alongside publishing, as with another replica's (``check_log``)."""
        if self._replaced:
            await self._republish_replaced()
        if self._log_check_now:
            await self._check_log()
            return
        if time.monotonic() - self._log_checked_at < self._log_check_interval:
            return
        if self._log_check_task is None or self._log_check_task.done():
            self._log_checked_at = time.monotonic()
            self._log_check_task = asyncio.create_task(self._check_log(), name="relay-log-check")

    async def _check_log(self) -> None:
        # Due again after the interval, or after the next failed publish, whatever the
        # outcome: a check that keeps failing (the broker away, ListOffsets refused)
        # must not cost every round.
        self._log_check_now = False
        self._log_checked_at = time.monotonic()
        try:
            await self.check_log()
        except Exception as exc:  # the broker or database is away; publishing will tell
            logger.warning("outbox relay could not check the broker's log: %r", exc)

    async def check_log(self) -> int:
        """Republish what the broker lost; returns how many events were marked unsent.

        The acknowledged offsets are read first and the partitions' ends after: an end
        at or below an offset acknowledged before it was read is a lost log, whatever
        other replicas publish meanwhile (``republish.lost_partitions``).
        """
        async with self._engine.connect() as conn:
            acked = await acked_offsets(conn)
        if not acked:
            return 0
        prefixed = {(f"{self._topic_prefix}{t}", p): (t, p) for t, p in acked}
        ends = {
            prefixed[key]: end
            for key, end in (await self._bus.end_offsets(prefixed)).items()
            if key in prefixed
        }
        lost = lost_partitions(acked, ends)
        if lost:
            # ListOffsets may under-report (the embedded Tansu answers the last batch's
            # base offset + 1): a fetch's high watermark confirms or clears each one.
            fetched = await self._bus.fetched_ends(
                {(f"{self._topic_prefix}{p.topic}", p.partition): p.acked_offset for p in lost}
            )
            lost = lost_partitions(
                {(p.topic, p.partition): p.acked_offset for p in lost},
                {
                    (p.topic, p.partition): fetched[key]
                    for p in lost
                    if (key := (f"{self._topic_prefix}{p.topic}", p.partition)) in fetched
                },
            )
        return await self._republish(lost)

    async def _republish_replaced(self) -> None:
        """Republish the partitions whose log the relay's own acknowledgements showed
        replaced (``replaced_logs``), however far the new log has grown meanwhile."""
        try:
            async with self._engine.connect() as conn:
                acked = await acked_offsets(conn)
            lost = [
                LostPartition(topic, partition, acked[(topic, partition)], new_offset)
                for (topic, partition), new_offset in sorted(self._replaced.items())
                if (topic, partition) in acked
            ]
            await self._republish(lost, replaced=True)
            self._replaced.clear()
        except Exception as exc:  # the database is away: tried again before the next round
            logger.warning("outbox relay could not republish a replaced log: %r", exc)

    async def _republish(self, lost: list[LostPartition], *, replaced: bool = False) -> int:
        """Mark what was sent to the lost partitions' topics unsent; how many events.
        ``replaced``: found by an acknowledgement on a new log, whose end is not known
        (``end_offset`` is then that acknowledgement's offset)."""
        if not lost:
            return 0
        async with self._engine.begin() as conn:
            topics, count = await republish_lost(conn, lost, self._republish_window)
        if not topics:
            return 0  # another replica handled it
        found = (
            "it acknowledged a new record at offset %d, the relay had been acknowledged "
            "up to %d before"
            if replaced
            else "its log ends at offset %d, the relay had been acknowledged up to %d"
        )
        for p in lost:
            if p.topic in topics:
                logger.error(
                    "the broker lost records of %s%s partition %d: " + found,
                    self._topic_prefix,
                    p.topic,
                    p.partition,
                    p.end_offset,
                    p.acked_offset,
                )
        logger.warning(
            "republishing %d events sent to %s in the last %s",
            count,
            ", ".join(f"{self._topic_prefix}{t}" for t in topics),
            self._republish_window,
        )
        OUTBOX_REPUBLISHED.labels("broker-lost-log").inc(count)
        self._wakeup.set()
        return count

    async def publish_pending(self) -> int:
        """Publish one batch of unsent events; returns how many were marked sent."""
        handover = _Handover()
        return await self._finished(asyncio.ensure_future(self._round(handover)), handover)

    async def _publish_rounds(self) -> tuple[int, bool]:
        """Rounds of publishing while full batches wait: ``(sent, more may be waiting)``.

        A round's time is mostly waiting: on the database (claim, mark sent, commit) and
        on the broker's acknowledgements. So once a round has claimed a full batch, the
        next round starts and claims the following rows (``SKIP LOCKED`` passes over the
        earlier rounds'), while the earlier ones send theirs; it hands its records to the
        producer as soon as the round before it has handed all of its own
        (``_Handover.previous``), so the producer always has the next batch at hand, and
        every partition gets the records in ``id`` order. An aggregate with an event in an
        earlier round still in flight is left out of the later one
        (_without_aggregates_held_elsewhere), as for another replica's. A round claims
        above the previous round's rows, but every ``_RESTART_EVERY`` rounds, and after
        more than one round ``more`` is true: rows passed over get another look at once.
        At most ``_ROUNDS_IN_FLIGHT``; a failed round fails the call once the others in
        flight have finished (each one's rows marked sent, or left unsent, whole).
        """
        sent = rounds = 0
        in_flight: list[tuple[asyncio.Task[int], _Handover]] = []
        try:
            while True:
                previous = in_flight[-1][1] if in_flight else None
                handover = _Handover(
                    previous=previous.handed if previous else None,
                    above=previous.claimed_to if previous and rounds % _RESTART_EVERY else 0,
                )
                rounds += 1
                current = asyncio.create_task(self._round(handover))
                in_flight.append((current, handover))
                claimed = asyncio.ensure_future(handover.claimed.wait())
                try:
                    await asyncio.wait({current, claimed}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    claimed.cancel()
                if len(in_flight) == _ROUNDS_IN_FLIGHT:
                    sent += await self._finished(*in_flight.pop(0))
                if not handover.full:
                    break
            while in_flight:
                sent += await self._finished(*in_flight.pop(0))
            # Rows the later rounds passed over (above) may be free now: one more look.
            return sent, handover.full or rounds > 1
        finally:
            if in_flight:  # a round failed: the other finishes what it started, whole
                await asyncio.gather(*(task for task, _ in in_flight), return_exceptions=True)

    async def _finished(self, round_: asyncio.Task[int], handover: _Handover) -> int:
        """A round's count, once done; its acknowledgements noted in the order the rounds
        started, which is their records' order on every partition."""
        sent = await round_
        self._replaced.update(self._acknowledged.note(handover.acked))
        return sent

    async def _round(self, handover: _Handover) -> int:
        """Claim a batch, publish it, mark what the broker acknowledged sent, commit;
        how many were marked sent. ``handover`` says when the records are with the
        producer, and whether a full batch was claimed."""
        try:
            async with self._engine.connect() as conn, conn.begin():
                try:
                    claimed = (await conn.execute(self._claim, {"above": handover.above})).all()
                    handover.full = len(claimed) >= self._batch_size
                    handover.claimed_to = claimed[-1].id if claimed else handover.above
                finally:
                    handover.claimed.set()
                if not claimed:
                    handover.handed.set()
                    await self._record_backlog(conn)
                    return 0
                rows = _without_aggregates_held_elsewhere(claimed)
                if handover.previous is not None:
                    await handover.previous.wait()  # every partition gets the rows in id order
                sent_ids, acks = await self._publish(rows, handover)
                if sent_ids:
                    await conn.execute(_MARK_SENT, {"ids": sent_ids})
                    await record_acks(conn, acks)
                await self._record_backlog(conn)
        finally:
            handover.handed.set()
        OUTBOX_PUBLISHED.inc(len(sent_ids))
        return len(sent_ids)

    async def _publish(
        self, rows: Sequence[Any], handover: _Handover
    ) -> tuple[list[int], dict[Partition, int]]:
        """Send ``rows``; the ids acknowledged, and the highest offset acknowledged per
        partition (unprefixed topic). ``handover.handed`` is set once all are with the
        producer; ``handover.acked`` gets the lowest and highest offset per partition."""
        producer = await self._bus.producer()
        spans: list[Span] = []
        try:
            if self._check_topics and (
                self._check_topics_first or time.monotonic() - self._topics_checked_at > 1.0
            ):
                await self._ensure_topics_exist(producer, {row.topic for row in rows})
                self._check_topics_first = False
                self._topics_checked_at = time.monotonic()
            futures = await self._send(producer, rows, spans)
        except Exception as exc:
            self._check_topics_first = True
            for span in spans:
                _end(span, exc)
            raise
        handover.handed.set()
        results = await _outcomes(futures)
        for span, result in zip(spans, results, strict=False):  # no spans: tracing off
            _end(span, result if isinstance(result, BaseException) else None)
        sent: list[int] = []
        acks: dict[Partition, int] = {}
        failed_aggregates: set[str] = set()
        first_error: BaseException | None = None
        for row, result in zip(rows, results, strict=True):
            # After a failure, later events of the same aggregate are not marked sent
            # either: they are published again, after the failed one, on the next round.
            if isinstance(result, BaseException) or row.aggregate_id in failed_aggregates:
                failed_aggregates.add(row.aggregate_id)
                first_error = first_error or (result if isinstance(result, BaseException) else None)
                continue
            sent.append(row.id)
            key = (row.topic, result.partition)
            acks[key] = max(acks.get(key, -1), result.offset)
            lowest, _ = handover.acked.get(key, (result.offset, result.offset))
            handover.acked[key] = (min(lowest, result.offset), acks[key])
        if first_error is not None:
            self._check_topics_first = True
            self._log_check_now = True
            if not sent:
                raise first_error
        return sent, acks

    async def _send(
        self, producer: AIOKafkaProducer, rows: Sequence[Any], spans: list[Span]
    ) -> list[asyncio.Future[RecordMetadata]]:
        """Hand ``rows`` to the producer, in order; their futures. Each record's partition
        is the one the default partitioner would give its key (``partitions``), computed
        here at a fraction of its cost; a topic whose partitions the producer does not
        know yet is left to the partitioner, which waits for them."""
        targets: dict[str, tuple[str, int | None]] = {}
        futures = []
        for row in rows:
            target = targets.get(row.topic)
            if target is None:
                topic = f"{self._topic_prefix}{row.topic}"
                known = producer.client.cluster.partitions_for_topic(topic)
                target = targets[row.topic] = (topic, len(known) if known else None)
            topic, count = target
            key = row.aggregate_id.encode()
            futures.append(
                await producer.send(
                    topic,
                    value=row.payload,
                    key=key,
                    partition=default_partition(key, count) if count else None,
                    headers=self._headers(row, topic, spans),
                )
            )
        return futures

    def _headers(self, row: Any, topic: str, spans: list[Span]) -> list[tuple[str, bytes]]:
        """The record's headers: its content type and its trace context. With tracing on,
        that of a producer span started here (ended once the broker answered); off, the
        context the event was created in, as the event carries it."""
        if self._tracer is not None:
            span = start_producer_span(self._tracer, topic, row.payload, row.aggregate_id)
            spans.append(span)
            return [_CONTENT_TYPE_HEADER, *trace_headers(span)]
        traceparent = payload_traceparent(row.payload)
        if traceparent is None:
            return _CONTENT_TYPE_ONLY
        return [_CONTENT_TYPE_HEADER, (TRACEPARENT, traceparent.encode())]

    async def _ensure_topics_exist(self, producer: AIOKafkaProducer, topics: set[str]) -> None:
        """Refuse to publish to a topic the broker does not report (``check_topics``,
        the ``RELAY_CHECK_TOPICS`` setting: dev and test stacks on the embedded broker).

        The producer keeps the metadata it had before an outage, and retries a send until
        the broker is back. A broker that lost its topics (the embedded in-memory one,
        restarted) acknowledges records sent to them and drops them, so a row would be
        marked sent and lost. Fresh metadata first (one request, at most once a second
        while publishing continuously): no answer, or a missing topic, keeps the rows
        waiting. An idle relay checks before its next publish, so an outage between two
        rounds cannot slip through; only a restart in the second between a check and a
        send could, which a broker that keeps its topics (Kafka) does not need anyway.
        """
        if not await producer.client.force_metadata_update():
            raise TopicsMissing("the broker did not answer a metadata request")
        missing = sorted(
            t
            for t in (f"{self._topic_prefix}{topic}" for topic in topics)
            if not producer.client.cluster.partitions_for_topic(t)
        )
        if missing:
            raise TopicsMissing(f"the broker does not have the topics {', '.join(missing)}")

    async def _record_backlog(self, conn: AsyncConnection) -> None:
        now = time.monotonic()
        if now - self._backlog_measured_at < 1.0:
            return
        self._backlog_measured_at = now
        backlog = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        )
        OUTBOX_BACKLOG.set(backlog or 0)

    async def _ensure_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        try:
            self._listener = await asyncpg.connect(self._dsn)
            await self._listener.add_listener(OUTBOX_CHANNEL, self._on_notify)
        except Exception as exc:  # polling still works without notifications
            logger.warning("outbox relay cannot LISTEN, polling only: %r", exc)
            self._listener = None

    def _on_notify(self, *_: object) -> None:
        self._wakeup.set()

    async def _close_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            await self._listener.close()
        self._listener = None
