"""registry: the full actor profile, updates with If-Match, SME status, contacts and GDPR."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.stack import TestStack, auth

CONSENT = "2026-01-15T10:00:00Z"

PROFILE: dict[str, Any] = {
    "legal_name": "Hellenic Olive Tech S.A.",
    "short_name": "HOT",
    "kind": "sme",
    "country": "GR",
    "pic": "999 888 777",
    "vat_number": "EL094259216",
    "website": "https://olive.example.gr",
    "description": "Sensors that trace olive oil from grove to bottle.",
    "nuts_code": "el30",
    "nuts_version": "2021",
    "nace_codes": ["10.41", "C26.51"],
    "ecosystems": ["agri_food", "digital"],
    "competences": ["food_processing", "iot"],
    "keywords": ["Olive Oil", "traceability", "olive oil"],
    "offers": [
        {
            "type": "technology_offer",
            "title": "Low-cost spectroscopic olive oil sensor",
            "competences": ["iot"],
            "keywords": ["spectroscopy"],
            "valid_until": "2027-12-31",
        }
    ],
    "needs": [{"type": "rd_request", "title": "Partner to miniaturise recycled packaging"}],
    "sme_declared": "small",
    "financials": [
        {"year": 2023, "headcount": "12", "turnover": "1800000", "balance_sheet": "900000"},
        {"year": 2024, "headcount": "14", "turnover": "2100000.50", "balance_sheet": "950000"},
    ],
    "contacts": [
        {
            "name": "Eleni Papadopoulou",
            "email": "eleni@olive.example.gr",
            "role": "CTO",
            "consent_given_at": CONSENT,
            "share_with_partners": True,
        },
        {"name": "Nikos K.", "email": "nikos@olive.example.gr", "consent_given_at": CONSENT},
    ],
}


async def outbox(stack: TestStack) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        rows = await conn.fetch("SELECT event_type, aggregate_id, payload FROM outbox ORDER BY id")
    finally:
        await conn.close()
    return [
        {"type": r["event_type"], "subject": r["aggregate_id"], **json.loads(r["payload"])}
        for r in rows
    ]


async def create(registry: httpx.AsyncClient, body: dict[str, Any], **claims: str) -> Any:
    response = await registry.post("/v1/actors", json=body, headers=auth("admin", **claims))
    assert response.status_code == 201, response.text
    return response.json()


async def test_full_profile_is_validated_normalised_and_announced(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    actor = await create(registry, PROFILE)

    assert actor["country"] == "EL"
    assert actor["pic"] == "999888777"
    assert actor["vat_number"] == "EL094259216"
    assert actor["nuts_code"] == "EL30"
    assert actor["nace_codes"] == ["C10.41", "C26.51"], "canonical form with the section"
    assert actor["keywords"] == ["olive oil", "traceability"], "lower-cased, repeats dropped"
    assert [o["type"] for o in actor["offers"]] == ["technology_offer"]
    assert [n["title"] for n in actor["needs"]] == ["Partner to miniaturise recycled packaging"]
    assert actor["sme"]["computed"] == "small", "14 staff, turnover above 2m: small"
    assert actor["sme"]["contradicts_declared"] is False
    assert len(actor["contacts"]) == 2, "an admin sees the contact persons"

    [event] = await outbox(stack)
    assert event["type"] == "eu.synergia.registry.actor.registered.v1"
    data = event["data"]
    assert data["nace_codes"] == ["C10.41", "C26.51"]
    assert data["sme_category"] == "small"
    assert data["offers"][0]["title"] == "Low-cost spectroscopic olive oil sensor"
    assert data["shared_contacts"] == [], "contact persons never travel on the event log"
    assert data["shared_contacts_count"] == 1, "only the one whose consent covers partners"
    assert "eleni" not in json.dumps(event).lower()


@pytest.mark.parametrize(
    ("change", "loc", "needle"),
    [
        ({"nuts_code": "DE111"}, ["body", "nuts_code"], "DE"),
        ({"nuts_code": "EL99"}, ["body", "nuts_code"], "does not exist"),
        ({"nace_codes": ["C28.11", "99.99"]}, ["body", "nace_codes", 1], "99.99"),
        ({"vat_number": "EL094259217"}, ["body", "vat_number"], ""),
        ({"vat_number": "DE136695976"}, ["body", "vat_number"], ""),
        ({"pic": "12345"}, ["body", "pic"], "9 digits"),
        ({"ecosystems": ["space_mining"]}, ["body", "ecosystems", 0], "Input should be"),
        (
            {"needs": [{"type": "technology_offer", "title": "x"}]},
            ["body", "needs", 0, "type"],
            "not a need",
        ),
        (
            {"owners": [{"owner_actor_id": str(uuid.uuid4()), "share_percent": "30"}]},
            ["body", "owners", 0, "owner_actor_id"],
            "no actor",
        ),
        (
            {"financials": [PROFILE["financials"][0], PROFILE["financials"][0]]},
            ["body", "financials", 1, "year"],
            "twice",
        ),
        (
            {"contacts": [{"name": "X", "email": "not-an-email", "consent_given_at": CONSENT}]},
            ["body", "contacts", 0, "email"],
            "pattern",
        ),
    ],
)
async def test_invalid_profile_is_a_422_naming_the_field_and_changes_nothing(
    registry: httpx.AsyncClient,
    stack: TestStack,
    change: dict[str, Any],
    loc: list[Any],
    needle: str,
) -> None:
    response = await registry.post("/v1/actors", json={**PROFILE, **change}, headers=auth())

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert any(e["loc"] == loc and needle in e["msg"] for e in errors), errors
    assert await outbox(stack) == []


async def test_a_pic_belongs_to_one_actor(registry: httpx.AsyncClient) -> None:
    first = await create(registry, PROFILE)
    second = await registry.post(
        "/v1/actors", json={**PROFILE, "legal_name": "Copycat"}, headers=auth()
    )
    assert second.status_code == 422
    assert second.json()["errors"] == [
        {"loc": ["body", "pic"], "msg": f"PIC 999888777 is already actor {first['id']}"}
    ]


async def test_update_needs_the_current_etag_and_publishes_the_whole_profile(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    actor = await create(registry, PROFILE)
    url = f"/v1/actors/{actor['id']}"
    own = auth("sme", actor_id=actor["id"])

    blind = await registry.patch(url, json={"website": "https://hot.example"}, headers=own)
    assert blind.status_code == 428

    changed = await registry.patch(
        url, json={"website": "https://hot.example"}, headers={**own, "If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    assert changed.json()["website"] == "https://hot.example"
    assert changed.json()["offers"][0]["title"] == PROFILE["offers"][0]["title"], "kept"
    assert len(changed.json()["contacts"]) == 2, "contacts kept when not sent"

    stale = await registry.patch(
        url, json={"website": "https://other.example"}, headers={**own, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.headers["etag"] == '"2"'

    events = await outbox(stack)
    assert [e["type"] for e in events] == [
        "eu.synergia.registry.actor.registered.v1",
        "eu.synergia.registry.actor.updated.v1",
    ]
    assert events[1]["sequence"] == 2
    assert events[1]["data"]["website"] == "https://hot.example"
    assert events[1]["data"]["needs"][0]["type"] == "rd_request"

    invalid = await registry.patch(url, json={"country": "DE"}, headers={**own, "If-Match": '"2"'})
    assert invalid.status_code == 422, "EL30 and the Greek VAT number do not fit Germany"
    locs = {tuple(e["loc"]) for e in invalid.json()["errors"]}
    assert {("body", "nuts_code"), ("body", "vat_number")} <= locs


async def test_only_the_actor_itself_or_an_admin_may_change_it(
    registry: httpx.AsyncClient,
) -> None:
    actor = await create(registry, PROFILE)
    url = f"/v1/actors/{actor['id']}"
    body = {"description": "hijacked"}
    match = {"If-Match": '"1"'}

    assert (await registry.patch(url, json=body, headers=match)).status_code == 401
    other_sme = auth("sme", actor_id=str(uuid.uuid4()))
    assert (await registry.patch(url, json=body, headers={**other_sme, **match})).status_code == 403
    viewer = auth("viewer", actor_id=actor["id"])
    assert (await registry.patch(url, json=body, headers={**viewer, **match})).status_code == 403
    deactivate = f"{url}/deactivate"
    assert (await registry.post(deactivate, headers=match)).status_code == 401
    assert (await registry.post(deactivate, headers={**other_sme, **match})).status_code == 403


async def test_linked_enterprise_makes_an_sme_a_large_one_and_the_contradiction_is_flagged(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    parent = await create(
        registry,
        {
            "legal_name": "Big Parent AG",
            "kind": "large_enterprise",
            "country": "DE",
            "financials": [
                {"year": 2023, "headcount": "40", "turnover": "8000000", "balance_sheet": "5e6"},
                {"year": 2024, "headcount": "45", "turnover": "9000000", "balance_sheet": "6e6"},
            ],
        },
    )
    child = await create(
        registry,
        {
            **PROFILE,
            "pic": None,
            "owners": [{"owner_actor_id": parent["id"], "share_percent": "60"}],
        },
    )
    assert child["sme"]["computed"] == "medium", "14 + 45 staff: a linked group is medium"
    assert child["sme"]["contradicts_declared"] is True
    assert child["sme"]["autonomy"] == "linked"

    assessment = await registry.get(
        f"/v1/actors/{child['id']}/sme-assessment", headers=auth("viewer")
    )
    assert assessment.status_code == 200
    explained = " ".join(assessment.json()["explanation"])
    assert "Big Parent AG" in explained or parent["id"] in explained
    assert [y["year"] for y in assessment.json()["by_year"]] == [2023, 2024]

    # The child's staff count for the parent too: it moved from small to medium.
    parent_now = await registry.get(f"/v1/actors/{parent['id']}", headers=auth())
    assert parent_now.json()["sme"]["computed"] == "medium"
    assert parent_now.headers["etag"] == '"2"'

    # The parent grows past the medium ceilings for two years: the child follows, and
    # gets its own event although nobody touched it.
    grown = await registry.patch(
        f"/v1/actors/{parent['id']}",
        json={
            "financials": [
                {"year": 2023, "headcount": "400", "turnover": "9e7", "balance_sheet": "9e7"},
                {"year": 2024, "headcount": "420", "turnover": "9e7", "balance_sheet": "9e7"},
            ]
        },
        headers={**auth(), "If-Match": parent_now.headers["etag"]},
    )
    assert grown.status_code == 200
    after = (await registry.get(f"/v1/actors/{child['id']}", headers=auth())).json()
    assert after["sme"]["computed"] == "not_sme"
    assert after["version"] == 2
    child_events = [e for e in await outbox(stack) if e["subject"] == child["id"]]
    assert [(e["type"].rsplit(".", 2)[-2], e["data"]["sme_category"]) for e in child_events] == [
        ("registered", "medium"),
        ("updated", "not_sme"),
    ]


async def test_contacts_are_shown_only_to_the_actor_its_cluster_managers_and_admins(
    registry: httpx.AsyncClient,
) -> None:
    actor = await create(registry, PROFILE)
    cluster = await create(
        registry, {"legal_name": "Agri Cluster", "kind": "cluster_organisation", "country": "EL"}
    )
    joined = await registry.post(
        f"/v1/clusters/{cluster['id']}/members",
        json={"actor_id": actor["id"]},
        headers=auth("cluster_manager", actor_id=cluster["id"]),
    )
    assert joined.status_code == 201, joined.text
    url = f"/v1/actors/{actor['id']}"

    seen = {
        "viewer": auth("viewer"),
        "investor": auth("investor"),
        "other manager": auth("cluster_manager", actor_id=str(uuid.uuid4())),
        "itself": auth("sme", actor_id=actor["id"]),
        "its cluster's manager": auth("cluster_manager", actor_id=cluster["id"]),
        "admin": auth("admin"),
    }
    visible = {
        who: (await registry.get(url, headers=headers)).json()["contacts"] is not None
        for who, headers in seen.items()
    }
    assert visible == {
        "viewer": False,
        "investor": False,
        "other manager": False,
        "itself": True,
        "its cluster's manager": True,
        "admin": True,
    }
    export = f"{url}/personal-data"
    assert (await registry.get(export)).status_code == 401
    assert (await registry.get(export, headers=seen["viewer"])).status_code == 403
    assert (await registry.delete(export, headers=seen["other manager"])).status_code == 403
    mine = await registry.get(export, headers=seen["itself"])
    assert mine.status_code == 200
    assert [c["email"] for c in mine.json()["contacts"]] == [
        "eleni@olive.example.gr",
        "nikos@olive.example.gr",
    ]


async def test_erasure_deletes_the_contacts_and_is_an_event(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    actor = await create(registry, PROFILE)
    url = f"/v1/actors/{actor['id']}/personal-data"

    erased = await registry.delete(url, headers=auth("sme", actor_id=actor["id"]))
    assert erased.status_code == 204
    assert (await registry.get(url, headers=auth())).json()["contacts"] == []
    fetched = await registry.get(f"/v1/actors/{actor['id']}", headers=auth())
    assert fetched.json()["contacts"] == []
    assert fetched.json()["legal_name"] == PROFILE["legal_name"], "the organisation stays"

    events = await outbox(stack)
    assert events[-1]["type"] == "eu.synergia.registry.actor.personal-data-erased.v1"
    assert events[-1]["data"]["actor_id"] == actor["id"]
    assert events[-1]["sequence"] == fetched.json()["version"] == 2


async def test_deactivation_keeps_the_actor_stops_changes_and_is_an_event(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    actor = await create(registry, PROFILE)
    url = f"/v1/actors/{actor['id']}"

    done = await registry.post(
        f"{url}/deactivate", json={"reason": "merged"}, headers={**auth(), "If-Match": '"1"'}
    )
    assert done.status_code == 200
    assert done.json()["active"] is False
    again = await registry.post(
        f"{url}/deactivate", json={"reason": "merged"}, headers={**auth(), "If-Match": '"2"'}
    )
    assert again.status_code == 200
    assert again.json()["version"] == 2, "a retry changes nothing"

    assert (await registry.get(url, headers=auth("viewer"))).status_code == 200
    refused = await registry.patch(
        url, json={"description": "x"}, headers={**auth(), "If-Match": '"2"'}
    )
    assert refused.status_code == 409

    types = [e["type"] for e in await outbox(stack)]
    assert types.count("eu.synergia.registry.actor.deactivated.v1") == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/actors"),
        ("POST", "/v1/actors"),
        ("GET", "/v1/actors/{id}"),
        ("PATCH", "/v1/actors/{id}"),
        ("POST", "/v1/actors/{id}/deactivate"),
        ("GET", "/v1/actors/{id}/sme-assessment"),
        ("GET", "/v1/actors/{id}/personal-data"),
        ("DELETE", "/v1/actors/{id}/personal-data"),
        ("GET", "/v1/actors/{id}/shared-contacts"),
        ("POST", "/v1/personal-data:find"),
        ("POST", "/v1/personal-data:erase"),
    ],
)
async def test_every_actor_endpoint_needs_a_token(
    registry: httpx.AsyncClient, method: str, path: str
) -> None:
    actor = await create(registry, {"legal_name": "X", "kind": "sme", "country": "DE"})
    response = await registry.request(method, path.format(id=actor["id"]), json={})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
