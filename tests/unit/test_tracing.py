"""Tracing's configuration by the OTEL_* variables, and the trace context events carry."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from synergia_shared.context import trace_id_var, traceparent_var
from synergia_shared.events.registry import ActorRegisteredV1
from synergia_shared.messaging.outbox import EventOf, OutboxRecords
from synergia_shared.tracing import (
    TracingConfigurationError,
    configure_tracing,
    context_from,
    current_trace_context,
    payload_trace_context,
    tracing_requested,
)

from tests.support.events import actor_event

ENDPOINT = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture(autouse=True)
def own_ids() -> Iterator[None]:
    """The ids a test sets stay in the test."""
    tokens = trace_id_var.set(None), traceparent_var.set(None)
    yield
    trace_id_var.reset(tokens[0])
    traceparent_var.reset(tokens[1])


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        (ENDPOINT, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({**ENDPOINT, "OTEL_TRACES_EXPORTER": "none"}, False),
        ({**ENDPOINT, "OTEL_SDK_DISABLED": "true"}, False),
        ({**ENDPOINT, "OTEL_SDK_DISABLED": "false"}, True),
        ({"OTEL_TRACES_SAMPLER": "parentbased_traceidratio"}, False),
    ],
)
def test_tracing_is_off_unless_an_exporter_or_endpoint_is_configured(
    environ: dict[str, str], on: bool
) -> None:
    assert tracing_requested(environ) is on
    assert configure_tracing("registry", environ).enabled is on


@pytest.mark.parametrize(
    ("environ", "says"),
    [
        ({**ENDPOINT, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "http/protobuf"),
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "zipkin"),
    ],
)
def test_what_this_build_cannot_export_is_refused_at_startup(
    environ: dict[str, str], says: str
) -> None:
    with pytest.raises(TracingConfigurationError, match=says):
        configure_tracing("registry", environ)


def test_the_relay_reads_the_envelopes_context_not_a_data_member_of_that_name() -> None:
    trace_id_var.set("ab" * 16)
    traceparent_var.set(None)
    event = actor_event("Traceparent Ltd")
    decoy = "00-" + "cd" * 16 + "-" + "ef" * 8 + "-01"
    payload = event.to_bytes().replace(b'"data":{', f'"data":{{"traceparent":"{decoy}",'.encode())
    traceparent, tracestate = payload_trace_context(payload)
    assert traceparent == event.traceparent
    assert tracestate is None

    records = OutboxRecords(ActorRegisteredV1, "actor")
    actor_id = str(uuid.uuid4())
    _, _, _, _, _, bulk = records.record(
        EventOf(actor_id, 1, {"actor_id": actor_id, "traceparent": decoy})
    )
    assert payload_trace_context(bulk)[0] == records.tail["traceparent"]
    assert payload_trace_context(b'{"data":{}}') == (None, None)


def test_without_tracing_events_pass_the_incoming_context_on_or_start_an_unsampled_one() -> None:
    trace_id_var.set("ab" * 16)
    traceparent_var.set(INCOMING)
    assert current_trace_context() == (INCOMING, None)

    traceparent_var.set("00-" + "0" * 32 + "-00f067aa0ba902b7-01")  # invalid: not passed on
    fresh, _ = current_trace_context()
    match = re.fullmatch(r"00-([0-9a-f]{32})-([0-9a-f]{16})-00", fresh)
    assert match is not None
    assert match[1] == "ab" * 16  # the trace id the logs carry


@pytest.mark.parametrize(
    "value",
    [None, "", "garbage", INCOMING[:-1], "00-" + "0" * 32 + "-00f067aa0ba902b7-01"],
)
def test_a_malformed_context_is_no_parent(value: str | None) -> None:
    assert context_from(value) is None
    assert context_from(INCOMING) is not None
