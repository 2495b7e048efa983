"""registry: POST /v1/actors:batch-create registers many full profiles in one change, each
stored and announced as POST /v1/actors would, against real PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import httpx

from tests.support.stack import TestStack, auth

URL = "/v1/actors:batch-create"
REGISTERED = "eu.synergia.registry.actor.registered.v1"
UPDATED = "eu.synergia.registry.actor.updated.v1"


def profile(n: int, **fields: Any) -> dict[str, Any]:
    """A full profile: offers, needs, two years of accounts, a contact person."""
    return {
        "legal_name": f"Sensor Works {n} GmbH",
        "short_name": f"SW{n}",
        "kind": "sme",
        "country": "DE",
        "nuts_code": "DE212",
        "nuts_version": "2021",
        "nace_codes": ["C26.51"],
        "ecosystems": ["electronics"],
        "competences": ["iot"],
        "keywords": ["condition monitoring", "vibration sensors"],
        "offers": [
            {
                "type": "technology_offer",
                "title": f"Vibration sensor kit {n}",
                "competences": ["iot"],
                "keywords": ["predictive maintenance"],
            }
        ],
        "needs": [{"type": "technology_request", "title": "A pilot plant for field tests"}],
        "financials": [
            {"year": 2023, "headcount": 8, "turnover": "900000", "balance_sheet": "700000"},
            {"year": 2024, "headcount": 9, "turnover": "1100000", "balance_sheet": "800000"},
        ],
        "sme_declared": "micro",
        "contacts": [
            {
                "name": f"Person {n}",
                "email": f"person{n}@sensorworks.example.de",
                "consent_given_at": "2025-01-15T10:00:00Z",
                "share_with_partners": True,
            }
        ],
        **fields,
    }


async def fetch(stack: TestStack, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def events(stack: TestStack) -> list[dict[str, Any]]:
    rows = await fetch(stack, "SELECT event_type, aggregate_id, payload FROM outbox ORDER BY id")
    return [
        {"type": r["event_type"], "subject": r["aggregate_id"], **json.loads(r["payload"])}
        for r in rows
    ]


async def view(registry: httpx.AsyncClient, actor_id: str) -> dict[str, Any]:
    response = await registry.get(f"/v1/actors/{actor_id}", headers=auth("admin"))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def _without_ids(value: Any, drop: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _without_ids(v, drop) for k, v in value.items() if k not in drop}
    if isinstance(value, list):
        return [_without_ids(v, drop) for v in value]
    return value


def _named(value: Any, n: int) -> Any:
    """``value`` with the numbered names of :func:`profile` ``n`` made neutral."""
    return json.loads(
        json.dumps(value)
        .replace(f"Sensor Works {n} GmbH", "Sensor Works GmbH")
        .replace(f"SW{n}", "SW")
        .replace(f"kit {n}", "kit")
        .replace(f"Person {n}", "Person")
        .replace(f"person{n}@", "person@")
    )


async def create(registry: httpx.AsyncClient, items: list[dict[str, Any]], **headers: str) -> Any:
    return await registry.post(URL, json={"items": items}, headers={**auth("admin"), **headers})


async def test_a_batch_stores_and_announces_each_actor_as_a_single_registration_would(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    response = await create(registry, [profile(1), profile(2, kind="university")])
    assert response.status_code == 201, response.text
    created = response.json()["items"]
    assert [c["index"] for c in created] == [0, 1]
    assert all(c["version"] == 1 for c in created)
    single = await registry.post("/v1/actors", json=profile(3), headers=auth("admin"))
    assert single.status_code == 201, single.text

    differ = {"id", "created_at", "updated_at", "registered_at", "actor_id"}
    batch_view = _named(_without_ids(await view(registry, created[0]["id"]), differ), 1)
    single_view = _named(_without_ids(single.json(), differ), 3)
    assert batch_view == single_view
    assert batch_view["sme"]["computed"] == "micro"
    assert (await view(registry, created[1]["id"]))["kind"] == "university"

    published = await events(stack)
    assert [(e["type"], e["subject"]) for e in published] == [
        (REGISTERED, created[0]["id"]),
        (REGISTERED, created[1]["id"]),
        (REGISTERED, single.json()["id"]),
    ]
    assert _named(_without_ids(published[0]["data"], differ), 1) == _named(
        _without_ids(published[2]["data"], differ), 3
    )


async def test_an_owner_whose_category_moves_gets_a_new_version_and_an_event_as_after_one(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    """A micro owner controlling a new small enterprise is no longer micro: the batch
    bumps and announces it, as registering the owned enterprise alone does."""
    outcomes = []
    for n, path in ((10, "single"), (20, "batch")):
        owner = await registry.post("/v1/actors", json=profile(n), headers=auth("admin"))
        assert owner.status_code == 201, owner.text
        owner_id = owner.json()["id"]
        owned = profile(
            n + 1,
            sme_declared=None,
            financials=[
                {"year": y, "headcount": 30, "turnover": "6000000", "balance_sheet": "5000000"}
                for y in (2023, 2024)
            ],
            owners=[{"owner_actor_id": owner_id, "share_percent": "60", "controls": True}],
        )
        if path == "single":
            response = await registry.post("/v1/actors", json=owned, headers=auth("admin"))
        else:
            response = await create(registry, [owned])
        assert response.status_code == 201, response.text
        after = await view(registry, owner_id)
        announced = [e["type"] for e in await events(stack) if e["subject"] == owner_id]
        outcomes.append((after["version"], after["sme"]["computed"], announced))
    assert outcomes[0] == outcomes[1]
    assert outcomes[1] == (2, "small", [REGISTERED, UPDATED])


async def test_one_invalid_item_refuses_the_batch_naming_each_item_and_field(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    unknown = "00000000-0000-4000-8000-000000000001"
    response = await create(
        registry,
        [
            profile(1, pic="912345678"),
            profile(2, nuts_code="FR101"),
            profile(3, owners=[{"owner_actor_id": unknown, "share_percent": "30"}]),
            profile(4, pic="912345678"),
            profile(
                5,
                needs=[{"type": "technology_request", "title": "Old", "valid_until": "2020-06-30"}],
            ),
        ],
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = {tuple(e["loc"]): e["msg"] for e in response.json()["errors"]}
    assert set(errors) == {
        ("body", "items", 1, "nuts_code"),
        ("body", "items", 2, "owners", 0, "owner_actor_id"),
        ("body", "items", 3, "pic"),
        ("body", "items", 4, "needs", 0, "valid_until"),
    }
    assert "in the past" in errors[("body", "items", 4, "needs", 0, "valid_until")]
    assert "item 0" in errors[("body", "items", 3, "pic")]
    assert await fetch(stack, "SELECT id FROM actors") == []
    assert await events(stack) == []


async def test_a_pic_another_actor_holds_refuses_the_batch(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    held = await registry.post(
        "/v1/actors", json=profile(1, pic="912345678"), headers=auth("admin")
    )
    assert held.status_code == 201, held.text
    response = await create(registry, [profile(2), profile(3, pic="912 345 678")])
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "items", 1, "pic"]]
    assert len(await fetch(stack, "SELECT id FROM actors")) == 1


async def test_a_retry_with_the_same_key_returns_the_first_answer_and_creates_nothing(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    items = [profile(1), profile(2)]
    first = await create(registry, items, **{"Idempotency-Key": "demo-batch-1"})
    again = await create(registry, items, **{"Idempotency-Key": "demo-batch-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(await fetch(stack, "SELECT id FROM actors")) == 2
    assert len(await events(stack)) == 2


async def test_only_an_admin_registers_in_batches(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    for role in ("sme", "cluster_manager", "viewer"):
        response = await registry.post(URL, json={"items": [profile(1)]}, headers=auth(role))
        assert response.status_code == 403, (role, response.text)
    empty = await create(registry, [])
    assert empty.status_code == 422
    assert await fetch(stack, "SELECT id FROM actors") == []
