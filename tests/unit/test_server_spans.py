"""The request's span is decided before it is built (synergia_shared.server_spans): the
same decision as the SDK's sampler, and an unsampled request keeps its trace."""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    DEFAULT_OFF,
    DEFAULT_ON,
    ParentBased,
    ParentBasedTraceIdRatio,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace import SpanKind
from synergia_shared.http.middleware import CorrelationAndMetricsMiddleware
from synergia_shared.logging import JsonFormatter
from synergia_shared.server_spans import HandedTraceIds, SamplingRule, ServerSpans
from synergia_shared.tracing import configure_tracing, context_from

from tests.support.events import actor_event
from tests.support.trace_ids import own_trace_ids  # noqa: F401

SCOPE: Mapping[str, Any] = {
    "type": "http",
    "method": "GET",
    "path": "/items/7",
    "scheme": "http",
    "query_string": b"",
    "http_version": "1.1",
    "headers": [(b"host", b"api.test")],
}
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
STATE = "vendor=opaque,other=1"
SAMPLERS: list[Sampler] = [
    ParentBasedTraceIdRatio(0.1),
    ParentBasedTraceIdRatio(0.5),
    TraceIdRatioBased(0.3),
    DEFAULT_ON,
    DEFAULT_OFF,
    ALWAYS_ON,
    ALWAYS_OFF,
]


class FixedTraceId(RandomIdGenerator):
    """The SDK's generator, but the trace id of a span that starts a trace is given."""

    def __init__(self, trace_id: int) -> None:
        self.trace_id = trace_id

    def generate_trace_id(self) -> int:
        return self.trace_id


# What a caller may send that is no parent (context_from): decided as a trace starting here.
MALFORMED = (
    "",
    "garbage",
    "00-" + "0" * 32 + "-00f067aa0ba902b7-01",  # an all-zero trace id
    "00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01",  # an all-zero parent id
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",  # flags of one digit
    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  # upper case
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n",  # a line break after
)


def parent(trace_id: int, flags: int) -> str:
    return f"00-{trace_id:032x}-{random.getrandbits(64) | 1:016x}-{flags:02x}"


@pytest.mark.parametrize("sampler", SAMPLERS, ids=lambda s: s.get_description())
def test_the_decision_is_the_sdks_for_every_sampler_the_variables_name(sampler: Sampler) -> None:
    spans = ServerSpans(
        TracerProvider(sampler=sampler, id_generator=HandedTraceIds()).get_tracer("t")
    )
    assert spans.rule is not None, "decided before the span is built"
    rng = random.Random(16)
    for _ in range(400):
        trace_id = rng.getrandbits(128) or 1
        flags = rng.choice((0, 1, 2, 3))
        caller = rng.choice((None, parent(trace_id, flags), rng.choice(MALFORMED)))
        state = STATE if caller and rng.random() < 0.5 else None
        ours, trace_hex = spans.start(SCOPE, caller, state)
        trace_id = ours.get_span_context().trace_id  # a trace that starts here: its new id
        theirs = (
            TracerProvider(sampler=sampler, id_generator=FixedTraceId(trace_id))
            .get_tracer("t")
            .start_span(
                "GET", context=context_from(caller, state) or Context(), kind=SpanKind.SERVER
            )
        )
        mine, sdk = ours.get_span_context(), theirs.get_span_context()
        assert ours.is_recording() is theirs.is_recording(), (caller, sampler)
        assert (mine.trace_id, mine.trace_flags, mine.trace_state, mine.is_remote) == (
            sdk.trace_id,
            sdk.trace_flags,
            sdk.trace_state,
            sdk.is_remote,
        )
        assert mine.span_id != 0
        assert trace_hex == f"{mine.trace_id:032x}"


def test_a_sampled_caller_is_always_continued_and_an_unsampled_one_never(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    never, always = ParentBasedTraceIdRatio(0.0), ParentBasedTraceIdRatio(1.0)
    asked: list[Sampler] = []
    for sampler in (never, always):
        ask = sampler.should_sample
        monkeypatch.setattr(
            sampler,
            "should_sample",
            lambda *a, s=sampler, f=ask, **k: asked.append(s) or f(*a, **k),
        )
    continued, dropped = ServerSpans(traced(never)[0]), ServerSpans(traced(always)[0])
    for _ in range(50):
        trace_id = random.getrandbits(128) | 1
        assert continued.start(SCOPE, parent(trace_id, 0x01), None)[0].is_recording()
        assert not dropped.start(SCOPE, parent(trace_id, 0x00), None)[0].is_recording()
    # What is not recorded costs no span from the SDK (nor its sampler's call).
    assert asked == [never] * 50


def test_a_trace_that_starts_here_is_sampled_at_the_ratio_on_the_id_it_keeps() -> None:
    tracer, exporter = traced(ParentBasedTraceIdRatio(0.1))
    spans = ServerSpans(tracer)
    started = [spans.start(SCOPE, None, None) for _ in range(5_000)]
    sampled = {trace_hex for span, trace_hex in started if span.is_recording()}
    for span, trace_hex in started:
        span.end()
        assert span.get_span_context().trace_id == int(trace_hex, 16)
    recorded = {f"{s.context.trace_id:032x}" for s in exporter.get_finished_spans()}
    # 500 expected; 4 standard deviations (21 each) either way.
    assert 415 <= len(recorded) <= 585
    assert sampled == recorded
    assert all(int(t, 16) & (2**64 - 1) < TraceIdRatioBased(0.1).bound for t in recorded)


def test_a_sampler_it_does_not_know_is_left_to_the_sdk() -> None:
    assert SamplingRule.of(ParentBased(ALWAYS_ON, remote_parent_not_sampled=ALWAYS_ON)) is None

    class EveryOther(Sampler):
        def __init__(self) -> None:
            self.calls = 0

        def should_sample(self, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return (ALWAYS_ON if self.calls % 2 else ALWAYS_OFF).should_sample(*args, **kwargs)

        def get_description(self) -> str:
            return "EveryOther"

    sampler = EveryOther()
    spans = ServerSpans(traced(sampler)[0])
    assert spans.rule is None
    recording = [spans.start(SCOPE, None, None)[0].is_recording() for _ in range(4)]
    assert (recording, sampler.calls) == ([True, False, True, False], 4)


def test_the_services_provider_is_decided_before_the_span_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The SDK reads its sampler from the process's environment.
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.1")
    tracing = configure_tracing("registry", {"OTEL_TRACES_EXPORTER": "console"})
    rule = SamplingRule(TraceIdRatioBased(0.1).bound, parent_based=True)
    assert ServerSpans(tracing.tracer).rule == rule


def traced(sampler: Sampler) -> tuple[Any, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=sampler, id_generator=HandedTraceIds())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test"), exporter


@pytest.mark.parametrize(
    ("headers", "trace_id"),
    [
        ({}, None),
        ({"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-00", "tracestate": STATE}, TRACE_ID),
    ],
)
async def test_an_unsampled_requests_logs_and_events_carry_its_trace(
    headers: dict[str, str], trace_id: str | None
) -> None:
    tracer, exporter = traced(ParentBasedTraceIdRatio(0.0))
    app = FastAPI()
    app.add_middleware(CorrelationAndMetricsMiddleware, tracer=tracer)
    formatter = JsonFormatter("registry")

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, Any]:
        log = json.loads(formatter.format(logging.makeLogRecord({"msg": "read"})))
        event = actor_event("Unsampled Ltd")  # built as the outbox builds it
        return {"log": log["trace_id"], "event": [event.traceparent, event.tracestate]}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        body = (await client.get("/items/7", headers=headers)).json()

    assert exporter.get_finished_spans() == ()
    traceparent, tracestate = body["event"]
    match = re.fullmatch(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})", traceparent)
    assert match is not None, traceparent
    assert match[1] == body["log"] == (trace_id or match[1])
    assert not int(match[3], 16) & 0x01, "marked not sampled, so downstream does not sample"
    if trace_id is not None:
        assert match[2] != "00f067aa0ba902b7", "a span id of this service's span"
        assert tracestate == STATE
