"""Tracing's configuration by the OTEL_* variables, and the trace context events carry."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased, Sampler
from opentelemetry.trace import SpanKind, StatusCode
from synergia_shared.context import trace_id_var, traceparent_var
from synergia_shared.events.registry import ActorRegisteredV1
from synergia_shared.http.middleware import CorrelationAndMetricsMiddleware
from synergia_shared.messaging.outbox import EventOf, OutboxRecords
from synergia_shared.tracing import (
    TracingConfigurationError,
    configure_tracing,
    context_from,
    current_trace_context,
    payload_trace_context,
    payload_traceparent,
    tracing_requested,
)

from tests.support.events import actor_event
from tests.support.trace_ids import own_trace_ids  # noqa: F401

ENDPOINT = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
INCOMING = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


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


def test_the_payloads_context_is_its_last_wellformed_member_read_from_the_end() -> None:
    """The relay reads it from the end of the payload, where the envelope's members are:
    the same answer as the last match of a search from the start."""
    valid = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"
    payload = (
        b'{"data":{"traceparent":"00-' + b"12" * 16 + b"-" + b"34" * 8 + b'-00"},'
        b'"traceparent":"' + valid.encode() + b'","tracestate":"vendor=1",'
        b'"traceparent":"not-a-traceparent"}'
    )
    assert payload_trace_context(payload) == (valid, "vendor=1")
    assert payload_traceparent(payload) == valid
    assert payload_traceparent(b'{"traceparent":"00-short"}') is None
    assert payload_trace_context(b'{"tracestate":"vendor=1"}') == (None, None)


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


def traced_app(sampler: Sampler) -> tuple[FastAPI, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=sampler)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = FastAPI()
    app.add_middleware(
        CorrelationAndMetricsMiddleware,
        tracer=provider.get_tracer("test"),
        untraced=("/healthz",),
    )

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, str | None]:
        return {"trace_id": trace_id_var.get(), "event_context": current_trace_context()[0]}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    return app, exporter


async def get(app: FastAPI, path: str, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        return await client.get(path, headers=headers)


async def test_a_sampled_request_is_a_server_span_under_the_callers_context() -> None:
    app, exporter = traced_app(ParentBased(ALWAYS_OFF))  # the caller's decision counts
    response = await get(app, "/items/7?page=2", traceparent=INCOMING)

    (span,) = exporter.get_finished_spans()
    assert span.kind is SpanKind.SERVER
    assert span.name == "GET /items/{item_id}"
    assert span.parent is not None
    assert (span.context.trace_id, span.parent.span_id) == (
        int(INCOMING[3:35], 16),
        int(INCOMING[36:52], 16),
    )
    assert dict(span.attributes or {}) == {
        "http.request.method": "GET",
        "url.path": "/items/7",
        "url.scheme": "http",
        "url.query": "page=2",
        "network.protocol.version": "1.1",
        "server.address": "api.test",
        "server.port": 80,
        "http.route": "/items/{item_id}",
        "http.response.status_code": 200,
    }
    # The logs and the events the request creates carry the span's context.
    body = response.json()
    assert body["trace_id"] == INCOMING[3:35]
    assert body["event_context"] == f"00-{INCOMING[3:35]}-{span.context.span_id:016x}-01"


async def test_an_unsampled_request_records_nothing_and_passes_its_decision_on() -> None:
    app, exporter = traced_app(ParentBased(ALWAYS_OFF))
    body = (await get(app, "/items/7")).json()
    assert exporter.get_finished_spans() == ()
    match = re.fullmatch(r"00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})", body["event_context"])
    assert match is not None, body
    assert match[1] == body["trace_id"]
    assert not int(match[2], 16) & 1, "marked not sampled"


async def test_a_failed_request_is_an_error_span_and_a_probe_is_none() -> None:
    app, exporter = traced_app(ALWAYS_ON)
    assert (await get(app, "/healthz")).status_code == 200
    assert exporter.get_finished_spans() == ()

    assert (await get(app, "/boom")).status_code == 500
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "RuntimeError"
    assert span.attributes["http.response.status_code"] == 500
