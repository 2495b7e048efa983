"""ASGI middleware: correlation ids in, metrics out (plain ASGI: cheap per request)."""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from synergia_shared.context import (
    correlation_id_var,
    trace_id_from_traceparent,
    trace_id_var,
    traceparent_var,
)
from synergia_shared.metrics import HTTP_LATENCY, HTTP_REQUESTS

CORRELATION_HEADER = b"x-correlation-id"
TRACEPARENT_HEADER = b"traceparent"


class CorrelationAndMetricsMiddleware:
    """Sets the correlation and trace ids for the request, echoes the correlation id,
    and counts and times the request by route template.

    Per request it does only what it must: one pass over the headers, one random read
    for whichever ids the client did not send, and metric children looked up in a dict
    of its own rather than through ``labels()`` (which validates and locks each time).
    """

    def __init__(self, app: ASGIApp, *, tracing: bool = False) -> None:
        self.app = app
        # With tracing on, the OpenTelemetry middleware (outermost) has started the
        # request's span: its trace id is the one the logs carry.
        self._tracing = tracing
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_correlation = b""
        traceparent = b""
        for name, value in scope["headers"]:
            if name == CORRELATION_HEADER:
                raw_correlation = value
            elif name == TRACEPARENT_HEADER:
                traceparent = value
        correlation_id = raw_correlation.decode("latin-1")[:128]
        incoming = traceparent.decode("latin-1") if traceparent else None
        trace_id = trace_id_from_traceparent(incoming) if incoming else None
        passed_on = incoming if trace_id is not None else None
        if self._tracing:
            span_context = trace.get_current_span().get_span_context()
            if span_context.is_valid:
                trace_id = format(span_context.trace_id, "032x")
        if not correlation_id or trace_id is None:
            random = os.urandom(32)
            if not correlation_id:
                correlation_id = str(uuid.UUID(bytes=random[:16], version=4))
            if trace_id is None:
                trace_id = random[16:].hex()
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

        try:
            await self.app(scope, receive, send_with_correlation)
        finally:
            elapsed = time.perf_counter() - started
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
            correlation_id_var.reset(corr_token)
            trace_id_var.reset(trace_token)
            traceparent_var.reset(parent_token)
