"""Adding events to the outbox inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_shared.context import (
    causation_id_var,
    correlation_id_var,
    new_trace_id,
    trace_id_var,
    traceparent_for,
)
from synergia_shared.events.base import EventData
from synergia_shared.events.catalogue import spec_for_model
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.messaging.tables import outbox


def build_event(data: EventData, *, subject: str, sequence: int | None = None) -> CloudEvent:
    """Wrap ``data`` in its envelope, carrying the ids of the work that caused it."""
    spec = spec_for_model(type(data))
    return CloudEvent(
        source=spec.source,
        type=spec.type,
        subject=subject,
        dataschema=spec.dataschema,
        data=data.model_dump(mode="json"),
        correlationid=correlation_id_var.get(),
        causationid=causation_id_var.get(),
        sequence=sequence,
        traceparent=traceparent_for(trace_id_var.get() or new_trace_id()),
    )


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
    spec = spec_for_model(type(data))
    await session.execute(
        insert(outbox).values(
            event_id=event.id,
            aggregate_type=aggregate_type,
            aggregate_id=subject,
            event_type=event.type,
            topic=spec.topic,
            payload=event.to_bytes(),
        )
    )
    return event
