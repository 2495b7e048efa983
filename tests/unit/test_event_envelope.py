from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from synergia_shared.context import correlation_id_var, trace_id_var
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.registry import ActorKind, ActorRegisteredV1
from synergia_shared.messaging.outbox import EventOf, OutboxRecords, build_event


def test_an_event_carries_the_correlation_and_trace_of_the_request_that_caused_it() -> None:
    data = ActorRegisteredV1(
        actor_id=uuid.uuid4(),
        legal_name="Acme",
        kind=ActorKind.SME,
        country="DE",
        registered_at=datetime.now(UTC),
    )
    corr = correlation_id_var.set("corr-42")
    trace = trace_id_var.set("0af7651916cd43dd8448eb211c80319c")
    try:
        event = build_event(data, subject=str(data.actor_id), sequence=1)
    finally:
        correlation_id_var.reset(corr)
        trace_id_var.reset(trace)

    assert event.type == "eu.synergia.registry.actor.registered.v1"
    assert event.source == "/synergia/registry"
    assert event.subject == str(data.actor_id)
    assert event.correlationid == "corr-42"
    assert event.traceparent is not None
    assert event.traceparent.split("-")[1] == "0af7651916cd43dd8448eb211c80319c"
    round_tripped = CloudEvent.from_bytes(event.to_bytes())
    assert round_tripped == event
    assert ActorRegisteredV1.model_validate(round_tripped.data) == data


def test_a_bulk_envelope_is_the_document_build_event_makes() -> None:
    """copy_events' envelopes (one to_json of a dict each) read back as the same event
    as build_event's model, field for field, the event's own id and time aside."""
    data = ActorRegisteredV1(
        actor_id=uuid.uuid4(),
        legal_name="Агро Струма",  # noqa: RUF001 (Cyrillic)
        kind=ActorKind.OTHER,
        country="BG",
        registered_at=datetime(2026, 12, 7, 3, 0, 1, 250, tzinfo=UTC),
        nuts_code="BG413",
    )
    corr = correlation_id_var.set("corr-7")
    trace = trace_id_var.set("0af7651916cd43dd8448eb211c80319c")
    try:
        expected = build_event(data, subject=str(data.actor_id), sequence=1)
        records = OutboxRecords(ActorRegisteredV1, "actor")
        event_id, aggregate, subject, event_type, topic, payload = records.record(
            EventOf(str(data.actor_id), 1, data.model_dump(mode="json"))
        )
    finally:
        correlation_id_var.reset(corr)
        trace_id_var.reset(trace)

    event = CloudEvent.from_bytes(payload)
    assert event.id == event_id
    assert (aggregate, subject) == ("actor", str(data.actor_id))
    assert (event_type, topic) == (expected.type, "registry.actor")
    # One span, the batch's, made them all: the trace is the request's.
    shared = {"id", "time", "traceparent"}
    assert event.model_dump(exclude=shared) == expected.model_dump(exclude=shared)
    assert event.traceparent is not None
    assert expected.traceparent is not None
    assert event.traceparent.split("-")[1] == expected.traceparent.split("-")[1]
    assert set(json.loads(payload)) == set(json.loads(expected.to_bytes()))
    assert ActorRegisteredV1.model_validate(event.data) == data
