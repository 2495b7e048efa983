from __future__ import annotations

import uuid
from datetime import UTC, datetime

from synergia_shared.context import correlation_id_var, trace_id_var
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.registry import ActorKind, ActorRegisteredV1
from synergia_shared.messaging.outbox import build_event


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
