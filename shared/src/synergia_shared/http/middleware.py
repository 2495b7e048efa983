"""ASGI middleware: correlation ids in, metrics out (plain ASGI: cheap per request)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Tracer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from synergia_shared.context import (
    correlation_id_var,
    trace_id_from_traceparent,
    trace_id_var,
    traceparent_var,
)
from synergia_shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from synergia_shared.tracing import end_server_span

if TYPE_CHECKING:
    from synergia_shared.server_spans import ServerSpans

CORRELATION_HEADER = b"x-correlation-id"
TRACEPARENT_HEADER = b"traceparent"
TRACESTATE_HEADER = b"tracestate"


class CorrelationAndMetricsMiddleware:
    """Sets the correlation and trace ids for the request, echoes the correlation id,
    counts and times the request by route template, and, given a tracer, runs the
    request in its SERVER span (synergia_shared.server_spans: decided before it is built).

    Per request it does only what it must: one pass over the headers, one random read
    for whichever ids the client did not send, and metric children looked up in a dict
    of its own rather than through ``labels()`` (which validates and locks each time).
    """

    def __init__(
        self, app: ASGIApp, *, tracer: Tracer | None = None, untraced: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        # With tracing on, the request's span's trace id is the one the logs carry.
        self._spans = _server_spans(tracer) if tracer is not None else None
        self._untraced = untraced
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_correlation, traceparent, tracestate = _request_headers(scope["headers"])
        incoming = traceparent.decode("latin-1") if traceparent else None
        span = None
        trace_id: str | None
        passed_on = None
        if self._spans is not None and not scope["path"].startswith(self._untraced):
            state = tracestate.decode("latin-1") or None
            span, trace_id = self._spans.start(scope, incoming, state)
            span_token = otel_context.attach(trace.set_span_in_context(span))
        else:
            # Not traced here: the caller's context is passed on unchanged.
            trace_id = trace_id_from_traceparent(incoming) if incoming else None
            passed_on = incoming if trace_id is not None else None
        correlation_id, trace_id = _fill_in_ids(raw_correlation.decode("latin-1")[:128], trace_id)
        corr_token = correlation_id_var.set(correlation_id)
        trace_token = trace_id_var.set(trace_id)
        parent_token = traceparent_var.set(passed_on)
        correlation_header = (CORRELATION_HEADER, correlation_id.encode("latin-1"))
        status = 500
        started = time.perf_counter()

        async def send_with_correlation(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"].append(correlation_header)
            await send(message)

        error: BaseException | None = None
        try:
            await self.app(scope, receive, send_with_correlation)
        except BaseException as exc:
            error = exc
            raise
        finally:
            if span is not None:
                end_server_span(span, scope, status, error)
                otel_context.detach(span_token)
            self._observe(scope, status, time.perf_counter() - started)
            correlation_id_var.reset(corr_token)
            trace_id_var.reset(trace_token)
            traceparent_var.reset(parent_token)

    def _observe(self, scope: Scope, status: int, elapsed: float) -> None:
        """Count and time the request by method, route template and status."""
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        counter = self._counters.get((method, template, status))
        if counter is None:
            counter = HTTP_REQUESTS.labels(method, template, str(status))
            self._counters[(method, template, status)] = counter
        counter.inc()
        histogram = self._histograms.get((method, template))
        if histogram is None:
            histogram = HTTP_LATENCY.labels(method, template)
            self._histograms[(method, template)] = histogram
        histogram.observe(elapsed)


def _server_spans(tracer: Tracer) -> ServerSpans:
    # Imported only when tracing is on: it loads the SDK.
    from synergia_shared.server_spans import ServerSpans

    return ServerSpans(tracer)


def _request_headers(headers: Iterable[tuple[bytes, bytes]]) -> tuple[bytes, bytes, bytes]:
    """The correlation id, ``traceparent`` and ``tracestate`` headers (empty when not
    sent), read in one pass over the request's headers."""
    correlation = traceparent = tracestate = b""
    for name, value in headers:
        if name == CORRELATION_HEADER:
            correlation = value
        elif name == TRACEPARENT_HEADER:
            traceparent = value
        elif name == TRACESTATE_HEADER:
            tracestate = value
    return correlation, traceparent, tracestate


def _fill_in_ids(correlation_id: str, trace_id: str | None) -> tuple[str, str]:
    """The request's correlation and trace ids: those it came with, and new random ones
    for whichever it did not (one random read for both)."""
    if correlation_id and trace_id is not None:
        return correlation_id, trace_id
    random = os.urandom(32)
    if not correlation_id:
        correlation_id = str(uuid.UUID(bytes=random[:16], version=4))
    if trace_id is None:
        trace_id = random[16:].hex()
    return correlation_id, trace_id
