"""Correlation and trace ids in, the correlation id and metrics out."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from synergia_shared.context import correlation_id_var, trace_id_var
from synergia_shared.http.middleware import (
    CorrelationAndMetricsMiddleware,
    _fill_in_ids,
    _request_headers,
)

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def make_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(CorrelationAndMetricsMiddleware)

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, str | None]:
        return {"correlation_id": correlation_id_var.get(), "trace_id": trace_id_var.get()}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_missing_correlation_id_is_made_a_uuid4_and_echoed(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/items/1")
    correlation_id = response.headers["x-correlation-id"]
    assert uuid.UUID(correlation_id).version == 4
    body = response.json()
    assert body["correlation_id"] == correlation_id
    assert len(body["trace_id"]) == 32
    int(body["trace_id"], 16)


async def test_ids_sent_by_the_client_are_kept(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/items/1",
        headers={"X-Correlation-ID": "abc-123", "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"},
    )
    assert response.headers["x-correlation-id"] == "abc-123"
    assert response.json() == {"correlation_id": "abc-123", "trace_id": TRACE}


async def test_a_long_correlation_id_is_cut_and_a_bad_traceparent_ignored(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/items/1", headers={"X-Correlation-ID": "x" * 300, "traceparent": "garbage"}
    )
    assert response.headers["x-correlation-id"] == "x" * 128
    assert response.json()["trace_id"] != "garbage"
    assert len(response.json()["trace_id"]) == 32


async def test_each_request_gets_new_ids_and_the_context_is_reset(
    client: httpx.AsyncClient,
) -> None:
    first = (await client.get("/items/1")).json()
    second = (await client.get("/items/2")).json()
    assert first["correlation_id"] != second["correlation_id"]
    assert first["trace_id"] != second["trace_id"]
    assert correlation_id_var.get() is None
    assert trace_id_var.get() is None


async def test_requests_are_counted_and_timed_by_route_template(client: httpx.AsyncClient) -> None:
    route = {"method": "GET", "route": "/items/{item_id}"}
    before = sample("synergia_http_requests_total", **route, status="200")
    timed = sample("synergia_http_request_duration_seconds_count", **route)
    for n in range(3):
        await client.get(f"/items/{n}")
    assert sample("synergia_http_requests_total", **route, status="200") == before + 3
    assert sample("synergia_http_request_duration_seconds_count", **route) == timed + 3
    missing = sample("synergia_http_requests_total", method="GET", route="unmatched", status="404")
    await client.get("/nowhere")
    assert (
        sample("synergia_http_requests_total", method="GET", route="unmatched", status="404")
        == missing + 1
    )


async def test_a_crash_is_counted_as_500(client: httpx.AsyncClient) -> None:
    before = sample("synergia_http_requests_total", method="GET", route="/boom", status="500")
    await client.get("/boom")
    after = sample("synergia_http_requests_total", method="GET", route="/boom", status="500")
    assert after == before + 1


def test_the_three_headers_are_read_in_one_pass_and_empty_when_not_sent() -> None:
    headers = [
        (b"accept", b"*/*"),
        (b"tracestate", b"vendor=1"),
        (b"x-correlation-id", b"abc"),
        (b"traceparent", b"00-" + TRACE.encode() + b"-00f067aa0ba902b7-01"),
    ]
    assert _request_headers(headers) == (
        b"abc",
        b"00-" + TRACE.encode() + b"-00f067aa0ba902b7-01",
        b"vendor=1",
    )
    assert _request_headers([(b"accept", b"*/*")]) == (b"", b"", b"")


def test_ids_sent_are_kept_and_missing_ones_made_up() -> None:
    assert _fill_in_ids("abc", TRACE) == ("abc", TRACE)
    correlation_id, trace_id = _fill_in_ids("", TRACE)
    assert uuid.UUID(correlation_id).version == 4
    assert trace_id == TRACE
    correlation_id, trace_id = _fill_in_ids("abc", None)
    assert correlation_id == "abc"
    assert len(trace_id) == 32
    assert int(trace_id, 16) >= 0  # hexadecimal
    first, second = _fill_in_ids("", None), _fill_in_ids("", None)
    assert first != second
