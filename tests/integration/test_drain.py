"""Drain mode: writes refused with 503 + Retry-After, reads served, and a status that
says what is left (outbox rows unpublished, consumer lag as the broker sees it)."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.stack import auth


async def _drained(client: httpx.AsyncClient) -> dict[str, object]:
    deadline = asyncio.get_running_loop().time() + 120
    while True:
        status = (await client.get("/v1/admin/drain", headers=auth("admin"))).json()
        if status["drained"] or asyncio.get_running_loop().time() > deadline:
            return dict(status)
        await asyncio.sleep(0.2)


async def test_a_draining_service_refuses_writes_serves_reads_and_reports_when_all_is_consumed(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    before = await matching.get("/v1/admin/drain", headers=auth("admin"))
    assert before.status_code == 200
    assert before.json()["draining"] is False
    assert before.json()["drained"] is False
    assert "matching.actor-projection" in str(before.json()["consumer_lag"])

    created = await registry.post(
        "/v1/actors",
        json={"legal_name": "Drain Works GmbH", "kind": "sme", "country": "DE"},
        headers=auth("sme"),
    )
    assert created.status_code == 201

    for client in (registry, matching):
        started = await client.post("/v1/admin/drain", headers=auth("admin"))
        assert started.status_code == 200, started.text
        assert started.json()["draining"] is True

    refused = await registry.post(
        "/v1/actors",
        json={"legal_name": "Too Late GmbH", "kind": "sme", "country": "DE"},
        headers={**auth("sme"), "Idempotency-Key": "too-late-1"},
    )
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "5"
    assert refused.headers["content-type"] == "application/problem+json"
    assert "Idempotency-Key" in refused.json()["detail"]

    read = await registry.get(f"/v1/actors/{created.json()['id']}", headers=auth("viewer"))
    assert read.status_code == 200

    # The actor written before the drain is published, then reaches matching; then
    # nothing is left anywhere.
    registry_status = await _drained(registry)
    assert registry_status["outbox_unsent"] == 0
    assert registry_status["drained"] is True
    status = await _drained(matching)
    assert status == {
        "draining": True,
        "outbox_unsent": 0,
        "consumer_lag": {
            group: {}
            for group in status["consumer_lag"]  # type: ignore[union-attr]
        },
        "drained": True,
    }
    profile = await matching.get(f"/v1/profiles/{created.json()['id']}", headers=auth("viewer"))
    assert profile.status_code == 200


async def test_only_an_admin_may_drain(registry: httpx.AsyncClient) -> None:
    refused = await registry.post("/v1/admin/drain", headers=auth("viewer"))
    assert refused.status_code == 403
    still = await registry.post(
        "/v1/actors",
        json={"legal_name": "Still Open GmbH", "kind": "sme", "country": "DE"},
        headers=auth("sme"),
    )
    assert still.status_code == 201
