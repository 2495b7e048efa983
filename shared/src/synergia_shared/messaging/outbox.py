"""Adding events to the outbox inside the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_json
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_shared.context import causation_id_var, correlation_id_var
from synergia_shared.db import copy_records
from synergia_shared.events.base import EventData
from synergia_shared.events.catalogue import spec_for_model
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.messaging.tables import outbox
from synergia_shared.tracing import current_trace_context


def build_event(data: EventData, *, subject: str, sequence: int | None = None) -> CloudEvent:
    """Wrap ``data`` in its envelope, carrying the ids of the work that caused it."""
    spec = spec_for_model(type(data))
    traceparent, tracestate = current_trace_context()
    return CloudEvent(
        source=spec.source,
        type=spec.type,
        subject=subject,
        dataschema=spec.dataschema,
        data=data.model_dump(mode="json"),
        correlationid=correlation_id_var.get(),
        causationid=causation_id_var.get(),
        sequence=sequence,
        traceparent=traceparent,
        tracestate=tracestate,
    )


# Built once; each call passes its rows as parameters. The outbox's AFTER INSERT
# trigger (FOR EACH STATEMENT) wakes the relay on commit: no NOTIFY round trip here.
_INSERT = insert(outbox)


@dataclass(frozen=True)
class PendingEvent:
    """One event for :func:`add_events`: its data, and the aggregate it is about."""

    data: EventData
    aggregate_type: str
    subject: str
    sequence: int | None = None


def _row(event: CloudEvent, aggregate_type: str, topic: str) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "aggregate_type": aggregate_type,
        "aggregate_id": event.subject,
        "event_type": event.type,
        "topic": topic,
        "payload": event.to_bytes(),
    }


async def add_event(
    session: AsyncSession,
    data: EventData,
    *,
    aggregate_type: str,
    subject: str,
    sequence: int | None = None,
) -> CloudEvent:
    """Record an event in the outbox; it is published only if the transaction commits."""
    event = build_event(data, subject=subject, sequence=sequence)
    await session.execute(_INSERT, _row(event, aggregate_type, spec_for_model(type(data)).topic))
    return event


async def add_events(session: AsyncSession, events: Sequence[PendingEvent]) -> list[CloudEvent]:
    """Record several events in the outbox with one statement, in the given order (the
    relay publishes in ``id`` order, so one aggregate's events keep theirs)."""
    if not events:  # executemany of no rows would be INSERT … DEFAULT VALUES
        return []
    built = [build_event(e.data, subject=e.subject, sequence=e.sequence) for e in events]
    rows = [
        _row(event, e.aggregate_type, spec_for_model(type(e.data)).topic)
        for event, e in zip(built, events, strict=True)
    ]
    if len(rows) == 1:
        await session.execute(_INSERT, rows[0])
    else:
        # executemany of the one cached statement (rows get their ids in list order): a
        # multi-row VALUES built per call is compiled anew each time, which cost more
        # than everything else in a 500-event batch.
        await session.execute(_INSERT, rows)
    return built


@dataclass(frozen=True)
class EventOf:
    """One event for :class:`OutboxRecords`: the aggregate it is about, and its data already
    in the JSON form of the event's model (what ``model_dump(mode="json")`` returns, or
    values ``to_json`` writes the same way: UUIDs, aware datetimes)."""

    subject: str
    sequence: int | None
    data: Mapping[str, Any]


OutboxRecord = tuple[uuid.UUID, str, str, str, str, bytes]
_COPY_COLUMNS = ("event_id", "aggregate_type", "aggregate_id", "event_type", "topic", "payload")


class OutboxRecords:
    """Outbox rows of many events of one type, each serialised as :func:`build_event` and
    ``CloudEvent.to_bytes`` make it, without building a model per event: what the events
    share (type, source, schema, the request's ids and trace context, the time) is looked up
    once, and each envelope is one ``to_json`` of a plain dict (the same keys and values)."""

    def __init__(self, model: type[EventData], aggregate_type: str) -> None:
        spec = spec_for_model(model)
        self.aggregate_type = aggregate_type
        self.event_type = spec.type
        self.topic = spec.topic
        # The envelope's own absent fields are left out (``to_bytes`` excludes None), the
        # data's are not.
        self.head = _present(
            specversion="1.0",
            source=spec.source,
            type=spec.type,
            time=datetime.now(UTC),
            datacontenttype="application/json",
            dataschema=spec.dataschema,
        )
        traceparent, tracestate = current_trace_context()
        self.tail = _present(
            correlationid=correlation_id_var.get(),
            causationid=causation_id_var.get(),
            traceparent=traceparent,
            tracestate=tracestate,
        )

    def record(self, event: EventOf) -> OutboxRecord:
        event_id = uuid.uuid4()
        envelope = {**self.head, "id": event_id, "subject": event.subject, "data": event.data}
        if event.sequence is not None:
            envelope["sequence"] = event.sequence
        payload = to_json({**envelope, **self.tail})
        return (event_id, self.aggregate_type, event.subject, self.event_type, self.topic, payload)


def _present(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


async def copy_outbox(session: AsyncSession, records: Iterable[OutboxRecord]) -> None:
    """Write outbox rows (:class:`OutboxRecords`) with one COPY, in the given order.

    For batches of thousands (bulk registration): :func:`add_events` validates each
    event's data through its model and builds an envelope model per event, which costs
    more than everything else such a batch does; here the caller vouches that the data
    is the model's JSON form, and tests it. The outbox's statement trigger wakes the
    relay on commit, as after an INSERT.
    """
    await copy_records(session, outbox.name, _COPY_COLUMNS, records)
