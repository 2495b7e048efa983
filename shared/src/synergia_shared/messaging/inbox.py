"""The inbox consumer runner: each event's effect is applied exactly once.

An event is applied and recorded as ``(consumer, event id)`` in the ``inbox`` table
in ONE transaction; the Kafka offset is committed only after that transaction. A
redelivery (after a crash, a rebalance, a duplicate publish) finds its inbox row and is
skipped. A failing event is retried with backoff, then parked on ``<topic>.dlq`` and in
the ``dead_letters`` table, and the partition moves on.

The records of a partition fetched together are applied in one transaction (their
inbox rows in one statement): a commit per event would bound the consumer by the
database's round trips. If anything in that batch fails, it is rolled back and its
records are applied one at a time, so a bad event still costs only itself.

A consumer built with :meth:`InboxConsumer.applying_batches` goes further: its new
events of a batch are handed to ONE function that applies them in a few statements for
the whole batch (multi-row upserts, the latest snapshot per aggregate), not a few per
event. A single event (the one-at-a-time fallback, a dead-letter replay) goes through
the same function as a batch of one, so there is one way to apply them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Tracer
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_shared.bus import Bus
from synergia_shared.context import (
    causation_id_var,
    correlation_id_var,
    trace_id_from_traceparent,
    trace_id_var,
    traceparent_var,
)
from synergia_shared.db import SessionFactory, unit_of_work
from synergia_shared.db_outage import is_database_unavailable
from synergia_shared.events.base import EventData
from synergia_shared.events.catalogue import spec_for_type
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.topics import dlq
from synergia_shared.messaging import dead_letters
from synergia_shared.messaging.consumer_exit import close_consumer
from synergia_shared.messaging.retry_budget import RetryBudget
from synergia_shared.messaging.tables import inbox
from synergia_shared.metrics import (
    CONSUMER_LAG,
    CONSUMER_OFFSET_RESETS,
    DLQ_PARKED,
    EVENTS_APPLIED,
    EVENTS_DUPLICATE,
)
from synergia_shared.tracing import consumer_span, record_context

logger = logging.getLogger(__name__)
T = TypeVar("T")

Handler = Callable[[AsyncSession, CloudEvent, Any], Awaitable[None]]
# Takes, for a whole batch and before any of its events is applied, the locks its
# handlers will take, in the order the service's other writers take them.
BatchLocks = Callable[[AsyncSession, Sequence[tuple[CloudEvent, Any]]], Awaitable[None]]
# Applies a consumer's new events of a batch, in their order, in the caller's
# transaction: the same outcome as their handlers one after the other.
BatchHandler = Callable[[AsyncSession, Sequence[tuple[CloudEvent, Any]]], Awaitable[None]]

_IN_BATCH = "synergia.inbox.batch"

# One statement for a whole batch, whatever its size (one array parameter per column):
# the ids it returns are those new to the inbox, the others were applied before.
_RECORD_NEW = text(
    "INSERT INTO inbox (consumer, event_id, event_type) "
    "SELECT :consumer, e.id, e.type "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[])) AS e(id, type) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)


class PoisonEvent(Exception):
    """An event that can never be applied as it is (malformed, invalid data)."""


@dataclass
class ConsumerStatus:
    running: bool = False
    assigned: bool = False
    last_error: str | None = None


@dataclass
class InboxConsumer:
    """One consumer group: ``<service>.<purpose>``, with a handler per event type."""

    name: str
    topics: list[str]
    handlers: Mapping[str, Handler]
    status: ConsumerStatus = field(default_factory=ConsumerStatus)
    # Per event type, a model to read the data with instead of the catalogue's: a
    # consumer that checks part of a message itself (one bad item of a batch refused
    # alone) reads it more leniently than the contract producers are held to.
    models: Mapping[str, type[EventData]] = field(default_factory=dict)
    # A batch holds every lock its handlers take until it commits: taken event by event,
    # in the topic's order, they could be taken in the reverse order of another writer's
    # (a deadlock, whose victim may be a request). A consumer whose handlers take locks
    # that other writers take too names them here, to be taken up front in their order.
    lock_batch: BatchLocks | None = None
    # Set by :meth:`applying_batches`: what applies this consumer's events, any number.
    apply_events: BatchHandler | None = None

    @classmethod
    def applying_batches(
        cls,
        name: str,
        topics: list[str],
        event_types: Sequence[str],
        apply_events: BatchHandler,
        **options: Any,
    ) -> InboxConsumer:
        """A consumer whose events of ``event_types`` are all applied by ``apply_events``,
        a batch at a time (one event is a batch of one)."""

        async def one(session: AsyncSession, event: CloudEvent, data: Any) -> None:
            await apply_events(session, [(event, data)])

        return cls(
            name=name,
            topics=topics,
            handlers=dict.fromkeys(event_types, one),
            apply_events=apply_events,
            **options,
        )

    def decode(self, raw: bytes) -> tuple[CloudEvent, EventData] | None:
        """Parse and validate a message; ``None`` if this consumer ignores its type."""
        try:
            event = CloudEvent.from_bytes(raw)
        except ValidationError as exc:
            raise PoisonEvent(f"not a CloudEvent: {exc}") from exc
        if event.type not in self.handlers:
            return None
        try:
            model = self.models.get(event.type) or spec_for_type(event.type).model
            data = model.model_validate(event.data)
        except ValidationError as exc:
            raise PoisonEvent(f"invalid data for {event.type}: {exc}") from exc
        return event, data

    async def apply(self, sessions: SessionFactory, event: CloudEvent, data: EventData) -> bool:
        """Apply once, in a transaction of its own."""
        async with unit_of_work(sessions) as session:
            return await self.apply_in(session, event, data)

    async def apply_in(self, session: AsyncSession, event: CloudEvent, data: EventData) -> bool:
        """Apply once inside the caller's transaction; ``False`` if applied before."""
        inserted = await session.scalar(
            pg_insert(inbox)
            .values(consumer=self.name, event_id=event.id, event_type=event.type)
            .on_conflict_do_nothing()
            .returning(inbox.c.event_id)
        )
        if inserted is None:
            EVENTS_DUPLICATE.labels(self.name).inc()
            return False
        await self.handlers[event.type](session, event, data)
        EVENTS_APPLIED.labels(self.name, event.type).inc()
        return True

    async def record_new_in(
        self, session: AsyncSession, events: Sequence[CloudEvent]
    ) -> set[uuid.UUID]:
        """Inbox rows for all ``events`` in one statement; the ids not applied before."""
        result = await session.execute(
            _RECORD_NEW,
            {
                "consumer": self.name,
                "ids": [e.id for e in events],
                "types": [e.type for e in events],
            },
        )
        return set(result.scalars())


def in_batch(session: AsyncSession) -> bool:
    """Whether a handler runs within a batch: a lock it cannot take at once should
    then fail the batch (applied again one event at a time) rather than wait holding
    the locks of every event before it."""
    return bool(session.info.get(_IN_BATCH))


@contextlib.contextmanager
def _applying_together(tracer: Tracer | None, deliveries: Sequence[Delivery]) -> Iterator[None]:
    """With tracing on, the span of each event applied together with others: as
    :func:`_applying`, but all open while the batch's statements run."""
    if tracer is None:
        yield
        return
    batch = trace.get_current_span().get_span_context()
    spans = [
        tracer.start_span(
            f"apply {d.event.type}",
            context=d.trace_parent or Context(),
            links=[Link(batch)] if batch.is_valid else [],
            attributes={
                "messaging.message.id": str(d.event.id),
                "messaging.consumer.group.name": d.consumer.name,
            },
        )
        for d in deliveries
    ]
    try:
        yield
    finally:
        for span in spans:
            span.end()


@dataclass(frozen=True)
class Delivery:
    """A decoded event for one consumer."""

    consumer: InboxConsumer
    event: CloudEvent
    data: EventData
    # With tracing on, the context the record continues (synergia_shared.tracing).
    trace_parent: Context | None = None


@contextlib.contextmanager
def event_context(event: CloudEvent) -> Iterator[None]:
    """The event's correlation, causation and trace ids for what its handler does (the
    events it causes carry them) and for the log lines about it."""
    trace_id = trace_id_from_traceparent(event.traceparent)
    tokens = (
        correlation_id_var.set(event.correlationid),
        causation_id_var.set(str(event.id)),
        trace_id_var.set(trace_id),
        traceparent_var.set(event.traceparent if trace_id else None),
    )
    try:
        yield
    finally:
        for var, token in zip(
            (correlation_id_var, causation_id_var, trace_id_var, traceparent_var),
            tokens,
            strict=True,
        ):
            var.reset(token)


@contextlib.contextmanager
def _applying(tracer: Tracer | None, delivery: Delivery) -> Iterator[None]:
    """With tracing on, a span for one event's handler within a batch: a child of the
    record's context (the action's trace goes on through the consumer), linked to the
    batch's span (whose transaction it is part of)."""
    if tracer is None:
        yield
        return
    batch = trace.get_current_span().get_span_context()
    with tracer.start_as_current_span(
        f"apply {delivery.event.type}",
        context=delivery.trace_parent or Context(),
        links=[Link(batch)] if batch.is_valid else [],
        attributes={
            "messaging.message.id": str(delivery.event.id),
            "messaging.consumer.group.name": delivery.consumer.name,
        },
    ):
        yield


async def apply_batch(
    sessions: SessionFactory, deliveries: Sequence[Delivery], tracer: Tracer | None = None
) -> list[bool]:
    """Apply ``deliveries`` in order in ONE transaction, each at most once: per delivery,
    ``True`` if applied, ``False`` if its consumer had applied it before (or it came
    twice in the batch). Any failure rolls the whole batch back and is raised; the
    caller then applies the events one at a time, so a bad one costs only itself.
    """
    by_consumer: dict[str, tuple[InboxConsumer, list[CloudEvent]]] = {}
    for delivery in deliveries:
        by_consumer.setdefault(delivery.consumer.name, (delivery.consumer, []))[1].append(
            delivery.event
        )
    applied: list[bool] = []
    async with unit_of_work(sessions) as session:
        new = {
            name: await consumer.record_new_in(session, events)
            for name, (consumer, events) in by_consumer.items()
        }
        for name, (consumer, _) in by_consumer.items():
            if consumer.lock_batch is not None and new[name]:
                await consumer.lock_batch(
                    session,
                    [
                        (d.event, d.data)
                        for d in deliveries
                        if d.consumer.name == name and d.event.id in new[name]
                    ],
                )
        # From here on a lock a handler cannot take at once fails the batch (in_batch).
        session.info[_IN_BATCH] = True
        together: dict[str, list[Delivery]] = {}
        for delivery in deliveries:
            fresh = new[delivery.consumer.name]
            if delivery.event.id not in fresh:
                applied.append(False)
                continue
            fresh.discard(delivery.event.id)  # the same event twice in a batch: once
            applied.append(True)
            if delivery.consumer.apply_events is not None:
                together.setdefault(delivery.consumer.name, []).append(delivery)
                continue
            with event_context(delivery.event), _applying(tracer, delivery):
                await delivery.consumer.handlers[delivery.event.type](
                    session, delivery.event, delivery.data
                )
        # Consumers' projections are their own: theirs may follow the others' events.
        for batch in together.values():
            apply_events = batch[0].consumer.apply_events
            assert apply_events is not None
            with _applying_together(tracer, batch):
                await apply_events(session, [(d.event, d.data) for d in batch])
    # Counted once committed: a batch rolled back is applied again one at a time.
    for delivery, done in zip(deliveries, applied, strict=True):
        if done:
            EVENTS_APPLIED.labels(delivery.consumer.name, delivery.event.type).inc()
        else:
            EVENTS_DUPLICATE.labels(delivery.consumer.name).inc()
    return applied


class ConsumerRunner:
    """Runs one :class:`InboxConsumer` against Kafka until stopped."""

    def __init__(
        self,
        consumer: InboxConsumer,
        sessions: SessionFactory,
        bus: Bus,
        *,
        topic_prefix: str = "",
        max_attempts: int = 5,
        backoff_initial: float = 0.2,
        backoff_max: float = 5.0,
        attempt_timeout: float = 30.0,
        fetch_max_wait_ms: int = 500,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 3_000,
        metadata_max_age_ms: int = 15_000,
        before_offset_commit: Callable[[TopicPartition, int], Awaitable[None]] | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self.consumer = consumer
        # With tracing on, a CONSUMER span per record or batch (synergia_shared.tracing).
        self._tracer = tracer
        self._sessions = sessions
        self._bus = bus
        self._prefix = topic_prefix
        self._max_attempts = max_attempts
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._budget = RetryBudget(max_attempts, attempt_timeout, backoff_initial, backoff_max)
        self._polled_at = time.monotonic()
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._session_timeout_ms = session_timeout_ms
        self._heartbeat_interval_ms = heartbeat_interval_ms
        self._metadata_max_age_ms = metadata_max_age_ms
        # Called once a partition's records are applied and committed in the database,
        # before their offset is: where a crash drill stops the consumer.
        self._before_offset_commit = before_offset_commit
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._positions: dict[TopicPartition, int] = {}

    @property
    def status(self) -> ConsumerStatus:
        return self.consumer.status

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.consumer.name}")

    def _new_kafka_consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *[f"{self._prefix}{t}" for t in self.consumer.topics],
            bootstrap_servers=self._bus.bootstrap_servers,
            group_id=f"{self._prefix}{self.consumer.name}",
            client_id=self.consumer.name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=500,
            fetch_max_wait_ms=self._fetch_max_wait_ms,
            session_timeout_ms=self._session_timeout_ms,
            heartbeat_interval_ms=self._heartbeat_interval_ms,
            metadata_max_age_ms=self._metadata_max_age_ms,
            # Derived from the retry budget: a record being retried never outlasts it.
            max_poll_interval_ms=self._budget.max_poll_interval_ms,
        )

    @property
    def max_poll_interval_ms(self) -> int:
        return self._budget.max_poll_interval_ms

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the event in hand, commit, leave the group."""
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=timeout)
            except TimeoutError:
                self._task.cancel()
                logger.warning("consumer %s did not stop within %.1fs", self.consumer.name, timeout)

    async def _until_stopping(self, operation: Awaitable[T]) -> tuple[bool, T | None]:
        """Run ``operation`` unless the runner is asked to stop first: ``(done, result)``.

        Joining a new consumer group, or fetching during a rebalance, can take seconds;
        stopping must not wait for it. Abandoning either loses nothing: nothing from it
        was applied, so nothing was committed, and the next owner starts from the last
        commit.
        """
        work = asyncio.ensure_future(operation)
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not work.done():
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
            return False, None
        return True, work.result()

    async def _run(self) -> None:
        while True:
            kafka = self._new_kafka_consumer()
            try:
                started, _ = await self._until_stopping(kafka.start())
                if not started:
                    await close_consumer(kafka)
                    return
                break
            except KafkaError as exc:
                await close_consumer(kafka)
                self.status.last_error = repr(exc)
                logger.warning("consumer %s cannot reach the broker: %r", self.consumer.name, exc)
                if not await self._sleep(self._backoff_max):
                    return
        self.status.running = True
        try:
            while not self._stopping.is_set():
                try:
                    batches = await self._fetch(kafka)
                except KafkaError as exc:
                    self.status.last_error = repr(exc)
                    logger.warning("consumer %s fetch failed: %r", self.consumer.name, exc)
                    await self._sleep(self._backoff_initial)
                    continue
                self.status.assigned = bool(kafka.assignment())
                for tp, records in batches.items():
                    await self._process_partition(kafka, tp, records)
                await self._restart_partitions_beyond_their_end(kafka)
                self._record_lag(kafka)
        finally:
            self.status.running = False
            try:
                await close_consumer(kafka)
            except Exception as exc:  # leaving the group is best effort at shutdown
                logger.warning("consumer %s stop: %r", self.consumer.name, exc)
            except asyncio.CancelledError:
                # With the broker away, aiokafka's fetcher lets the cancellation of its own
                # fetch task escape from stop(); that must not fail the service's shutdown.
                # Only a cancellation of this task itself goes on.
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
                logger.warning("consumer %s stop: fetcher cancelled", self.consumer.name)

    async def _fetch(
        self, kafka: AIOKafkaConsumer
    ) -> dict[TopicPartition, list[ConsumerRecord[Any, Any]]]:
        """The next records, or none as soon as the runner is asked to stop."""
        _, batches = await self._until_stopping(kafka.getmany(timeout_ms=500, max_records=500))
        self._polled_at = time.monotonic()
        return batches or {}

    def _no_time_left(self, kafka: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> bool:
        """Whether the record at ``offset`` might outlast the poll deadline; if so the
        partition is rewound to it, to be fetched again at the next poll (soon)."""
        if self._budget.room_for_another(time.monotonic() - self._polled_at):
            return False
        kafka.seek(tp, offset)
        return True

    async def _process_partition(
        self, kafka: AIOKafkaConsumer, tp: TopicPartition, records: list[ConsumerRecord[Any, Any]]
    ) -> None:
        last_done: int | None = None
        if self._stopping.is_set() or tp not in kafka.assignment():
            return  # revoked: the new owner redelivers from the last commit
        if self._no_time_left(kafka, tp, records[0].offset):
            return
        if len(records) > 1 and await self._process_batch(tp, records):
            last_done = records[-1].offset
        else:
            for record in records:
                if self._stopping.is_set() or tp not in kafka.assignment():
                    break  # revoked: the new owner redelivers from the last commit
                if self._no_time_left(kafka, tp, record.offset):
                    break
                if not await self._process(record):
                    break  # shutting down before the event was dealt with
                last_done = record.offset
        if last_done is None:
            return
        if self._before_offset_commit is not None:
            await self._before_offset_commit(tp, last_done + 1)
        self._positions[tp] = last_done + 1
        try:
            await kafka.commit({tp: last_done + 1})
        except (CommitFailedError, KafkaError) as exc:
            # A rebalance took the partition; the new owner redelivers and the inbox
            # skips what was applied here.
            logger.warning("consumer %s commit failed on %s: %r", self.consumer.name, tp, exc)

    async def _process_batch(
        self, tp: TopicPartition, records: list[ConsumerRecord[Any, Any]]
    ) -> bool:
        """Apply a partition's fetched records in one transaction; ``False`` if that
        failed (rolled back) or one of them is poison: then they go one at a time."""
        deliveries: list[Delivery] = []
        for record in records:
            try:
                decoded = self.consumer.decode(record.value)
            except PoisonEvent:
                return False
            if decoded is not None:
                parent = (
                    record_context(record.headers, decoded[0].traceparent)
                    if self._tracer is not None
                    else None
                )
                deliveries.append(Delivery(self.consumer, *decoded, trace_parent=parent))
        if not deliveries:
            return True
        try:
            with self._batch_span(tp, deliveries):
                applied = await apply_batch(self._sessions, deliveries, self._tracer)
        except Exception as exc:
            self.status.last_error = repr(exc)
            logger.warning(
                "batch of %d events on %s failed, applying them one at a time: %r",
                len(deliveries),
                tp,
                exc,
                extra={"consumer": self.consumer.name},
            )
            return False
        for delivery, done in zip(deliveries, applied, strict=True):
            with event_context(delivery.event):
                self._log_outcome(delivery.event, applied=done)
        return True

    def _batch_span(self, tp: TopicPartition, deliveries: Sequence[Delivery]) -> Any:
        """With tracing on, the batch's CONSUMER span, linked to each record's context."""
        if self._tracer is None:
            return contextlib.nullcontext()
        return consumer_span(
            self._tracer,
            f"process {tp.topic}",
            consumer=self.consumer.name,
            topic=tp.topic,
            links=[d.trace_parent for d in deliveries if d.trace_parent is not None],
            count=len(deliveries),
        )

    def _record_span(self, record: ConsumerRecord[Any, Any], event: CloudEvent) -> Any:
        """With tracing on, one record's CONSUMER span, a child of its producer's."""
        if self._tracer is None:
            return contextlib.nullcontext()
        return consumer_span(
            self._tracer,
            f"process {record.topic}",
            consumer=self.consumer.name,
            topic=record.topic,
            parent=record_context(record.headers, event.traceparent),
        )

    def _log_outcome(self, event: CloudEvent, *, applied: bool) -> None:
        logger.info(
            "event %s",
            "applied" if applied else "skipped as duplicate",
            extra={
                "event_id": str(event.id),
                "event_type": event.type,
                "consumer": self.consumer.name,
            },
        )

    async def _process(self, record: ConsumerRecord[Any, Any]) -> bool:
        """Deal with one record: applied, skipped or parked. ``False`` if interrupted.

        Each attempt is bounded by the retry budget's attempt timeout. A database that
        cannot be reached is not the event's fault: the runner waits for it (backing
        off, logging) without spending an attempt, rather than park a good event.
        """
        try:
            decoded = self.consumer.decode(record.value)
        except PoisonEvent as exc:
            return await self._park(record, str(exc), attempts=1)
        if decoded is None:
            return True
        event, data = decoded
        with event_context(event), self._record_span(record, event):
            delay = self._backoff_initial
            outage_delay = self._backoff_initial
            attempt = 1
            while True:
                deadline: asyncio.Timeout | None = None
                try:
                    async with asyncio.timeout(self._budget.attempt_timeout) as deadline:
                        applied = await self.consumer.apply(self._sessions, event, data)
                    self._log_outcome(event, applied=applied)
                    return True
                except PoisonEvent as exc:  # the handler knows retrying cannot help
                    self.status.last_error = str(exc)
                    return await self._park(record, str(exc), attempts=attempt)
                except Exception as exc:
                    self.status.last_error = repr(exc)
                    timed_out = deadline is not None and deadline.expired()
                    if not timed_out and is_database_unavailable(exc):
                        logger.warning(
                            "event %s waits for the database: %r",
                            event.id,
                            exc,
                            extra={"consumer": self.consumer.name},
                        )
                        if not await self._sleep(outage_delay):
                            return False
                        outage_delay = min(outage_delay * 2, self._backoff_max)
                        continue
                    logger.warning(
                        "event %s failed (attempt %d/%d): %r",
                        event.id,
                        attempt,
                        self._max_attempts,
                        exc,
                        extra={"consumer": self.consumer.name},
                    )
                    if attempt == self._max_attempts:
                        return await self._park(record, repr(exc), attempts=attempt)
                    if not await self._sleep(delay):
                        return False
                    delay = min(delay * 2, self._backoff_max)
                    attempt += 1

    async def _park(self, record: ConsumerRecord[Any, Any], error: str, *, attempts: int) -> bool:
        """Put the record on the DLQ topic and in the dead-letter table, once, then move on.

        Only once both hold it may the offset advance; until then (the broker or the
        database is down, say) each step is retried on its own, so a parked event is
        never lost, and a failing insert does not send the record to the DLQ topic
        again. The row's id is derived from the record: a record parked before (the
        offset commit after it was lost to a crash or a rebalance) is not parked again.
        """
        dead_letter_id = dead_letters.id_for(
            self.consumer.name, record.topic, record.partition, record.offset, record.value
        )
        done, before = await self._retrying(
            "check the dead letters", lambda: self._parked_before(dead_letter_id)
        )
        if not done:
            return False
        if before:
            logger.info(
                "event parked before, moving on",
                extra={"consumer": self.consumer.name, "offset": record.offset},
            )
            return True
        headers = dlq_headers(record, self.consumer.name, error, attempts)
        for what, step in (
            ("send to the DLQ", lambda: self._send_to_dlq(record, headers)),
            (
                "record the dead letter",
                lambda: self._record_dead_letter(record, dead_letter_id, error, attempts),
            ),
        ):
            done, _ = await self._retrying(what, step)
            if not done:
                return False
        DLQ_PARKED.labels(self.consumer.name, record.topic).inc()
        logger.error(
            "event parked on %s: %s",
            dlq(record.topic),
            error,
            extra={"consumer": self.consumer.name, "offset": record.offset},
        )
        return True

    async def _parked_before(self, dead_letter_id: uuid.UUID) -> bool:
        async with unit_of_work(self._sessions) as session:
            return await dead_letters.exists(session, dead_letter_id)

    async def _send_to_dlq(
        self, record: ConsumerRecord[Any, Any], headers: list[tuple[str, bytes]]
    ) -> None:
        producer = await self._bus.producer()
        await producer.send_and_wait(
            dlq(record.topic), value=record.value, key=record.key, headers=headers
        )

    async def _record_dead_letter(
        self,
        record: ConsumerRecord[Any, Any],
        dead_letter_id: uuid.UUID,
        error: str,
        attempts: int,
    ) -> None:
        async with unit_of_work(self._sessions) as session:
            await dead_letters.record(
                session,
                dead_letter_id=dead_letter_id,
                consumer=self.consumer.name,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                key=record.key,
                payload=record.value,
                error=error,
                attempts=attempts,
            )

    async def _retrying(self, what: str, step: Callable[[], Awaitable[T]]) -> tuple[bool, T | None]:
        """Run ``step`` until it succeeds, backing off: ``(True, result)``; ``(False,
        None)`` if the runner is asked to stop first."""
        delay = self._backoff_initial
        while True:
            try:
                return True, await step()
            except Exception as exc:
                logger.warning("consumer %s cannot %s yet: %r", self.consumer.name, what, exc)
                if not await self._sleep(delay):
                    return False, None
                delay = min(delay * 2, self._backoff_max)

    async def _sleep(self, seconds: float) -> bool:
        """Sleep unless stopping; ``False`` when the runner is asked to stop."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            return True
        return False

    async def _restart_partitions_beyond_their_end(self, kafka: AIOKafkaConsumer) -> None:
        """Read again from the earliest offset a partition whose log ends before our
        position: the broker lost its log (or the topic was recreated) and holds new
        records at offsets we would otherwise skip. The inbox skips what was applied.

        Kafka answers a fetch beyond the end with OFFSET_OUT_OF_RANGE, which aiokafka
        resets by ``auto_offset_reset`` (earliest) itself; the embedded Tansu answers it
        with no records and the partition's end (the high watermark), so we compare.
        """
        for tp in kafka.assignment():
            end = kafka.highwater(tp)
            if end is None:
                continue  # not fetched since assigned
            try:
                position = await asyncio.wait_for(kafka.position(tp), 1.0)
            except (TimeoutError, KafkaError):
                continue  # being reset or revoked: judged on a later round
            if position <= end:
                continue
            logger.warning(
                "consumer %s: position %d on %s is beyond the log's end %d (the broker lost "
                "its log?); reading it again from the earliest offset",
                self.consumer.name,
                position,
                tp,
                end,
                extra={"consumer": self.consumer.name},
            )
            CONSUMER_OFFSET_RESETS.labels(self.consumer.name, tp.topic).inc()
            self._positions.pop(tp, None)
            await kafka.seek_to_beginning(tp)

    def _record_lag(self, kafka: AIOKafkaConsumer) -> None:
        for tp in kafka.assignment():
            highwater = kafka.highwater(tp)
            position = self._positions.get(tp)
            if highwater is None or position is None:
                continue
            CONSUMER_LAG.labels(self.consumer.name, tp.topic, str(tp.partition)).set(
                max(highwater - position, 0)
            )


def dlq_headers(
    record: ConsumerRecord[Any, Any], consumer: str, error: str, attempts: int
) -> list[tuple[str, bytes]]:
    """The headers a parked record carries on the DLQ topic: its own, then why and where
    from (the error cut to 4,000 characters), so that it can be read and replayed."""
    return [
        *record.headers,
        ("x-dlq-error", error[:4000].encode()),
        ("x-dlq-consumer", consumer.encode()),
        ("x-dlq-original-topic", record.topic.encode()),
        ("x-dlq-original-partition", str(record.partition).encode()),
        ("x-dlq-original-offset", str(record.offset).encode()),
        ("x-dlq-attempts", str(attempts).encode()),
    ]
