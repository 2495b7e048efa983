"""Tracing's own work per request, measured alone: the floor under the tracing bench.

``python -m bench.tracing_floor RATIO REQUESTS`` drives the services' request middleware
(synergia_shared.http.middleware, where the server span is decided, started and ended)
around an app that answers at once, in one process with no network, and prints the CPU
seconds the process used per request as JSON, its export thread included (the spans are
flushed before the clock stops). ``RATIO`` ``off`` runs it without tracing (no ``OTEL_*``
variables); a number runs it with tracing on at that sampling ratio, exporting as the
environment says (the tracing bench points it at its discarding sink). The difference of
the two is what tracing adds to a request, whatever the app does: the part the bench's
on/off ratio cannot go below.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from typing import Any

from synergia_shared.http.middleware import CorrelationAndMetricsMiddleware
from synergia_shared.tracing import configure_tracing

_ROUTE = type("Route", (), {"path": "/v1/actors/{actor_id}"})()
_HEADERS = [
    (b"host", b"127.0.0.1:8000"),
    (b"accept", b"application/json"),
    (b"authorization", b"Bearer token"),
]


async def _app(scope: Any, receive: Any, send: Any) -> None:
    scope["route"] = _ROUTE  # as the router sets it: the span is named after it
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Any) -> None:
    return None


def _scopes(count: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "http",
            "method": "GET",
            "path": f"/v1/actors/{uuid.uuid4()}",
            "scheme": "http",
            "http_version": "1.1",
            "query_string": b"",
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
            "headers": _HEADERS,
        }
        for _ in range(count)
    ]


async def cpu_per_request(ratio: str, requests: int) -> float:
    """CPU seconds per request through the middleware, tracing off or at ``ratio``."""
    if ratio == "off":
        tracing = configure_tracing("registry", {})
    else:
        os.environ["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio"
        os.environ["OTEL_TRACES_SAMPLER_ARG"] = ratio
        tracing = configure_tracing("registry")
    middleware = CorrelationAndMetricsMiddleware(
        _app, tracer=tracing.tracer if tracing.enabled else None
    )
    scopes = _scopes(1_000)
    for scope in scopes:  # warm-up
        await middleware(dict(scope), _receive, _send)
    tracing.flush()
    started = time.process_time()
    for number in range(requests):
        await middleware(dict(scopes[number % len(scopes)]), _receive, _send)
    tracing.flush()
    return (time.process_time() - started) / requests


if __name__ == "__main__":
    seconds = asyncio.run(cpu_per_request(sys.argv[1], int(sys.argv[2])))
    print(json.dumps({"cpu_seconds_per_request": seconds}))
