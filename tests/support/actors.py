"""Actors for tests: registered through the registry's API, as a client would, and
waited for in matching's projection."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.support.stack import auth

# Accounts of a micro enterprise and of a large one (two years each when registered).
MICRO = {"headcount": "6", "turnover": "900000", "balance_sheet": "700000"}
LARGE = {"headcount": "900", "turnover": "300000000", "balance_sheet": "250000000"}


async def register(registry: httpx.AsyncClient, name: str, country: str, **fields: Any) -> str:
    """Register an actor (an SME with micro accounts unless told otherwise); its id."""
    figures = fields.pop("figures", MICRO)
    body = {
        "legal_name": name,
        "kind": fields.pop("kind", "sme"),
        "country": country,
        "financials": [{"year": y, **figures} for y in (2023, 2024)],
        **fields,
    }
    response = await registry.post("/v1/actors", json=body, headers=auth())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def projected(matching: httpx.AsyncClient, *actor_ids: str, timeout: float = 20.0) -> None:
    """Wait until matching's projection has every one of the actors."""
    deadline = asyncio.get_running_loop().time() + timeout
    for actor_id in actor_ids:
        while (await matching.get(f"/v1/profiles/{actor_id}", headers=auth())).status_code != 200:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{actor_id} never reached matching")
            await asyncio.sleep(0.05)
