"""The first vertical slice in one process: registry -> broker -> matching and funding."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.support.stack import auth


async def wait_for_200(
    client: httpx.AsyncClient, path: str, timeout: float = 20.0
) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await client.get(path, headers=auth("viewer"))
        if response.status_code == 200 or asyncio.get_running_loop().time() > deadline:
            return response
        await asyncio.sleep(0.05)


async def test_actor_appears_in_both_projections(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient, funding: httpx.AsyncClient
) -> None:
    unknown = await matching.get(f"/v1/profiles/{uuid.uuid4()}", headers=auth("viewer"))
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"

    created = await registry.post(
        "/v1/actors",
        json={"legal_name": "Baltic Photonics UAB", "kind": "sme", "country": "LT"},
        headers={**auth("sme"), "X-Correlation-ID": "corr-slice-1"},
    )
    assert created.status_code == 201
    actor_id = created.json()["id"]

    profile = await wait_for_200(matching, f"/v1/profiles/{actor_id}")
    beneficiary = await wait_for_200(funding, f"/v1/beneficiaries/{actor_id}")
    for response in (profile, beneficiary):
        assert response.status_code == 200
        assert response.json()["legal_name"] == "Baltic Photonics UAB"
        assert response.json()["country"] == "LT"
    assert created.headers["x-correlation-id"] == "corr-slice-1"
