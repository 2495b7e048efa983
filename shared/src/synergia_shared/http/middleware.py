"""ASGI middleware: correlation ids in, metrics out (plain ASGI: cheap per request)."""

from __future__ import annotations

import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from synergia_shared.context import (
    correlation_id_var,
    new_trace_id,
    trace_id_from_traceparent,
    trace_id_var,
)
from synergia_shared.metrics import HTTP_LATENCY, HTTP_REQUESTS

CORRELATION_HEADER = b"x-correlation-id"


class CorrelationAndMetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_correlation = headers.get(CORRELATION_HEADER, b"").decode("latin-1")[:128]
        correlation_id = raw_correlation or str(uuid.uuid4())
        trace_id = (
            trace_id_from_traceparent(headers.get(b"traceparent", b"").decode("latin-1"))
            or new_trace_id()
        )
        corr_token = correlation_id_var.set(correlation_id)
        trace_token = trace_id_var.set(trace_id)
        status = 500
        started = time.perf_counter()

        async def send_with_correlation(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"].append((CORRELATION_HEADER, correlation_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_correlation)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            HTTP_REQUESTS.labels(scope["method"], template, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], template).observe(time.perf_counter() - started)
            correlation_id_var.reset(corr_token)
            trace_id_var.reset(trace_token)
