"""Expiry of offers and needs through the real path: the registry refuses an entry created
expired, shows expired ones as such, and its daily sweep announces them; matching, on that
announcement, stops counting them in partner search, suggestions and team proposals, and
shows them as expired.

Entries expired before the rule existed (the 2020 offer of the issue) are made by moving
a stored date into the past in the registry's database: no client can create one any more.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from synergia_registry.actors.expiry import announce_expired
from synergia_registry.app import create_app as create_registry
from synergia_registry.settings import RegistrySettings
from synergia_shared.db import SessionFactory, create_engine, create_session_factory
from synergia_shared.validity import utc_today

from tests.support.actors import projected, register
from tests.support.stack import TestStack, auth, running_app

PAST = "2020-06-30"
UPDATED = "eu.synergia.registry.actor.updated.v1"


@pytest.fixture
async def registry_sessions(stack: TestStack) -> AsyncIterator[SessionFactory]:
    """Sessions on the registry's database, to run its expiry sweep as the app does."""
    engine = create_engine(RegistrySettings(**stack.settings_kwargs("registry")))  # type: ignore[arg-type]
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def expire_in_registry(stack: TestStack, actor_id: str, title: str) -> None:
    """Move an entry's date into 2020, as data stored before the rule would have it."""
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        status = await conn.execute(
            "UPDATE actor_offers SET valid_until = $1 WHERE actor_id = $2 AND title = $3",
            date.fromisoformat(PAST),
            actor_id,
            title,
        )
    finally:
        await conn.close()
    assert status == "UPDATE 1"


async def actor_events(stack: TestStack, actor_id: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        rows = await conn.fetch(
            "SELECT event_type, payload FROM outbox WHERE aggregate_id = $1 ORDER BY id", actor_id
        )
    finally:
        await conn.close()
    return [{"type": r["event_type"], **json.loads(r["payload"])["data"]} for r in rows]


async def matching_sees_expiry(matching: httpx.AsyncClient, actor_id: str) -> dict[str, Any]:
    """Matching's profile once the announcement has reached it (the 2020 date arrived)."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        profile: dict[str, Any] = (
            await matching.get(f"/v1/profiles/{actor_id}", headers=auth())
        ).json()
        dates = [e["valid_until"] for e in [*profile["offers"], *profile["needs"]]]
        if PAST in dates:
            return profile
        assert asyncio.get_running_loop().time() < deadline, profile
        await asyncio.sleep(0.05)


def offer(title: str, **fields: Any) -> dict[str, Any]:
    return {"type": "technology_offer", "title": title, **fields}


# --- registry: creating and updating ------------------------------------------------------


async def test_an_offer_or_need_cannot_be_created_expired(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    yesterday = (utc_today() - timedelta(days=1)).isoformat()
    body = {
        "legal_name": "Stale Offers Ltd",
        "kind": "sme",
        "country": "IE",
        "offers": [offer("Current offer"), offer("Old offer", valid_until=PAST)],
        "needs": [{"type": "rd_request", "title": "Old need", "valid_until": yesterday}],
    }
    response = await registry.post("/v1/actors", json=body, headers=auth())

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [e["loc"] for e in problem["errors"]] == [
        ["body", "offers", 1, "valid_until"],
        ["body", "needs", 0, "valid_until"],
    ]
    assert PAST in problem["errors"][0]["msg"]
    assert "UTC" in problem["errors"][0]["msg"]
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        stored = await conn.fetchval("SELECT count(*) FROM actors")
        announced = await conn.fetchval("SELECT count(*) FROM outbox")
    finally:
        await conn.close()
    assert (stored, announced) == (0, 0), "nothing half-created"

    # Valid through today (UTC) is still valid: accepted, and not shown as expired.
    today = utc_today().isoformat()
    body["offers"] = [offer("Last-day offer", valid_until=today)]
    body["needs"] = []
    created = await registry.post("/v1/actors", json=body, headers=auth())
    assert created.status_code == 201, created.text
    assert created.json()["offers"][0]["valid_until"] == today
    assert created.json()["offers"][0]["expired"] is False


async def test_an_update_keeps_a_stored_expired_entry_but_refuses_a_new_or_changed_one(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    actor_id = await register(
        registry,
        "Legacy Profile GmbH",
        "DE",
        offers=[offer("Battery recycling"), offer("Pyrolysis of tyres")],
    )
    await expire_in_registry(stack, actor_id, "Battery recycling")
    read = await registry.get(f"/v1/actors/{actor_id}", headers=auth())
    offers = read.json()["offers"]
    assert [(o["title"], o["expired"]) for o in offers] == [
        ("Battery recycling", True),
        ("Pyrolysis of tyres", False),
    ], "the registry's view shows which entries have expired"

    # A client rewriting the list to add an offer sends the expired one back unchanged.
    sent_back = [{k: v for k, v in o.items() if k not in {"id", "expired"}} for o in offers]
    etag = read.headers["etag"]
    patched = await registry.patch(
        f"/v1/actors/{actor_id}",
        json={"offers": [*sent_back, offer("Tyre collection")]},
        headers={**auth(), "If-Match": etag},
    )
    assert patched.status_code == 200, patched.text
    assert [o["expired"] for o in patched.json()["offers"]] == [True, False, False]

    # Other fields change without touching the expired entry.
    website = await registry.patch(
        f"/v1/actors/{actor_id}",
        json={"website": "https://legacy.example.de"},
        headers={**auth(), "If-Match": patched.headers["etag"]},
    )
    assert website.status_code == 200, website.text

    # A new entry with a past date, or the expired one edited but not renewed: refused.
    for entries, index in (
        ([*sent_back, offer("Another old offer", valid_until="2021-01-01")], 2),
        ([{**sent_back[0], "title": "Battery recycling, revised"}, sent_back[1]], 0),
    ):
        refused = await registry.patch(
            f"/v1/actors/{actor_id}",
            json={"offers": entries},
            headers={**auth(), "If-Match": website.headers["etag"]},
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["loc"] == ["body", "offers", index, "valid_until"]

    renewed_date = (utc_today() + timedelta(days=365)).isoformat()
    renewed = await registry.patch(
        f"/v1/actors/{actor_id}",
        json={"offers": [{**sent_back[0], "valid_until": renewed_date}]},
        headers={**auth(), "If-Match": website.headers["etag"]},
    )
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["offers"][0]["expired"] is False


# --- registry: the daily announcement ---------------------------------------------------


async def test_the_sweep_announces_each_expired_entry_once(
    registry: httpx.AsyncClient, stack: TestStack, registry_sessions: SessionFactory
) -> None:
    today = utc_today()
    soon = today + timedelta(days=3)
    actor_id = await register(
        registry,
        "Expiring Offers Oy",
        "FI",
        offers=[offer("Stale offer"), offer("Offer for three days", valid_until=soon.isoformat())],
        needs=[{"type": "business_request", "title": "Distributor wanted"}],
    )
    other = await register(registry, "Evergreen Offers AB", "SE", offers=[offer("No end date")])
    await expire_in_registry(stack, actor_id, "Stale offer")
    version = (await registry.get(f"/v1/actors/{actor_id}", headers=auth())).json()["version"]

    assert await announce_expired(registry_sessions, today=today) >= 1
    events = [e for e in await actor_events(stack, actor_id) if e.get("expired")]
    assert len(events) == 1
    (announced,) = events
    assert announced["type"] == UPDATED
    assert [(e["kind"], e["title"], e["valid_until"]) for e in announced["expired"]] == [
        ("offer", "Stale offer", PAST)
    ]
    assert announced["version"] == version + 1, "a new version, so every projection applies it"
    assert [o["title"] for o in announced["offers"]] == ["Stale offer", "Offer for three days"]
    assert not [e for e in await actor_events(stack, other) if e.get("expired")]

    # Again the same day, or on another replica: nothing more.
    assert await announce_expired(registry_sessions, today=today) == 0
    after = (await registry.get(f"/v1/actors/{actor_id}", headers=auth())).json()
    assert after["version"] == version + 1

    # Four days on, the three-day offer has expired too: announced alone.
    assert await announce_expired(registry_sessions, today=soon + timedelta(days=1)) >= 1
    events = [e for e in await actor_events(stack, actor_id) if e.get("expired")]
    assert [[x["title"] for x in e["expired"]] for e in events] == [
        ["Stale offer"],
        ["Offer for three days"],
    ]
    assert await announce_expired(registry_sessions, today=soon + timedelta(days=1)) == 0


async def test_replicas_sweeping_at_once_announce_each_actor_once_and_skip_deactivated_ones(
    registry: httpx.AsyncClient, stack: TestStack, registry_sessions: SessionFactory
) -> None:
    actors = [
        await register(registry, f"Stale Number {n} Oy", "FI", offers=[offer("Old offer")])
        for n in range(5)
    ]
    for actor_id in actors:
        await expire_in_registry(stack, actor_id, "Old offer")
    gone = actors.pop()
    read = await registry.get(f"/v1/actors/{gone}", headers=auth())
    deactivated = await registry.post(
        f"/v1/actors/{gone}/deactivate",
        json={},
        headers={**auth(), "If-Match": read.headers["etag"]},
    )
    assert deactivated.status_code == 200, deactivated.text

    counts = await asyncio.gather(
        *(announce_expired(registry_sessions, batch_size=2) for _ in range(3))
    )

    assert sum(counts) == len(actors)
    for actor_id in actors:
        assert len([e for e in await actor_events(stack, actor_id) if e.get("expired")]) == 1
    assert not [e for e in await actor_events(stack, gone) if e.get("expired")]


async def test_the_running_registry_announces_expiry_by_itself(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    actor_id = await register(registry, "Left Behind Sp. z o.o.", "PL", offers=[offer("Old")])
    await expire_in_registry(stack, actor_id, "Old")
    settings = RegistrySettings(**stack.settings_kwargs("registry"))  # type: ignore[arg-type]
    replica = create_registry(settings.model_copy(update={"offer_expiry_interval_seconds": 0.2}))
    async with running_app(replica, "http://replica"):
        deadline = asyncio.get_running_loop().time() + 20
        while not [e for e in await actor_events(stack, actor_id) if e.get("expired")]:
            assert asyncio.get_running_loop().time() < deadline, "never announced"
            await asyncio.sleep(0.1)


# --- matching: every ranking and the profile view -----------------------------------------


async def test_expired_offers_do_not_count_in_partner_search(
    registry: httpx.AsyncClient,
    matching: httpx.AsyncClient,
    stack: TestStack,
    registry_sessions: SessionFactory,
) -> None:
    stale = await register(
        registry,
        "Former Battery Recycler SA",
        "BE",
        offers=[
            offer(
                "Lithium battery recycling",
                keywords=["battery recycling", "lithium"],
                competences=["materials_recycling"],
            )
        ],
    )
    current = await register(
        registry,
        "Active Cell Recovery BV",
        "NL",
        offers=[offer("Recovery of metals from spent batteries")],
    )
    await projected(matching, stale, current)
    need = {"needs": {"text": "lithium battery recycling", "competences": ["materials_recycling"]}}
    before = await matching.post("/v1/partner-searches", json=need, headers=auth("viewer"))
    assert before.json()["items"][0]["actor_id"] == stale, "the stale offer fits best"

    await expire_in_registry(stack, stale, "Lithium battery recycling")
    await announce_expired(registry_sessions)
    profile = await matching_sees_expiry(matching, stale)

    assert profile["offers"][0]["expired"] is True, "matching's profile view marks it"
    after = await matching.post("/v1/partner-searches", json=need, headers=auth("viewer"))
    assert after.status_code == 200, after.text
    ranked = [item["actor_id"] for item in after.json()["items"]]
    assert ranked[0] == current
    assert stale not in ranked, "its only offer expired: nothing of it is needed any more"


async def test_suggestions_ignore_expired_needs_and_offers(
    registry: httpx.AsyncClient,
    matching: httpx.AsyncClient,
    stack: TestStack,
    registry_sessions: SessionFactory,
) -> None:
    seeker = await register(
        registry,
        "Seeker of Sensors Srl",
        "IT",
        needs=[{"type": "technology_request", "title": "Hyperspectral imaging sensors"}],
    )
    stale = await register(
        registry,
        "Old Optics Kft",
        "HU",
        offers=[offer("Hyperspectral imaging sensors")],
    )
    current = await register(
        registry, "New Optics s.r.o.", "CZ", offers=[offer("Imaging sensors, hyperspectral")]
    )
    await projected(matching, seeker, stale, current)

    await expire_in_registry(stack, stale, "Hyperspectral imaging sensors")
    await announce_expired(registry_sessions)
    await matching_sees_expiry(matching, stale)
    page = await matching.get(f"/v1/profiles/{seeker}/partners", headers=auth("sme"))
    assert page.status_code == 200, page.text
    ranked = [item["actor_id"] for item in page.json()["items"]]
    assert current in ranked
    assert stale not in ranked

    # Once the seeker's only need has expired there is nothing to look for.
    await expire_in_registry(stack, seeker, "Hyperspectral imaging sensors")
    await announce_expired(registry_sessions)
    await matching_sees_expiry(matching, seeker)
    none = await matching.get(f"/v1/profiles/{seeker}/partners", headers=auth("sme"))
    assert none.status_code == 409, none.text
    assert "expired" in none.json()["detail"]


async def test_team_proposals_leave_out_an_actor_whose_offer_expired(
    registry: httpx.AsyncClient,
    matching: httpx.AsyncClient,
    stack: TestStack,
    registry_sessions: SessionFactory,
) -> None:
    lead = await register(registry, "Circular Textiles Cluster", "PT", kind="cluster_organisation")
    sorter = await register(
        registry, "Sortex Lda", "PT", offers=[offer("Textile sorting")], ecosystems=["textiles"]
    )
    stale = await register(
        registry,
        "Fibra Vieja SL",
        "ES",
        offers=[offer("Fibre recycling")],
        ecosystems=["energy_intensive"],
    )
    spinner = await register(
        registry, "Respin GmbH", "DE", offers=[offer("Recycled yarn")], ecosystems=["textiles"]
    )
    dyer = await register(
        registry,
        "Teinture Verte SARL",
        "FR",
        offers=[offer("Natural dyeing of recycled yarn")],
        ecosystems=["energy_intensive"],
    )
    chain = await registry.post(
        "/v1/value-chains",
        json={
            "title": "Textile to textile",
            "lead_actor_ids": [lead],
            "stages": [
                {"name": "Sorting", "keywords": ["textile sorting"]},
                {"name": "Recycling", "keywords": ["fibre recycling"]},
                {"name": "Spinning", "keywords": ["recycled yarn"]},
            ],
            "participants": [{"actor_id": lead, "role": "coordinator"}],
        },
        headers=auth("cluster_manager", actor_id=lead, subject="manager"),
    )
    assert chain.status_code == 201, chain.text
    proposals = f"/v1/value-chains/{chain.json()['id']}/team-proposals"
    await projected(matching, lead, sorter, stale, spinner, dyer)
    deadline = asyncio.get_running_loop().time() + 30
    while True:  # the chain's own event may still be on its way
        before = await matching.post(proposals, json={}, headers=auth())
        if before.status_code != 404:
            break
        assert asyncio.get_running_loop().time() < deadline, before.text
        await asyncio.sleep(0.05)
    assert before.status_code == 200, before.text
    assert before.json()["outcome"] == "proposed", before.json()["reasons"]
    first = {m["actor_id"]: m for m in before.json()["proposals"][0]["members"]}
    assert [s["name"] for s in first[stale]["stages"]] == ["Recycling"]

    await expire_in_registry(stack, stale, "Fibre recycling")
    await announce_expired(registry_sessions)
    await matching_sees_expiry(matching, stale)
    after = await matching.post(proposals, json={}, headers=auth())

    assert after.status_code == 200, after.text
    members = {m["actor_id"] for p in after.json()["proposals"] for m in p["members"]}
    assert stale not in members, "its only offer expired: it fits no stage any more"
