"""registry: /v1/value-chains against real PostgreSQL, with the outbox in the same tx."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event
from synergia_registry.app import create_app
from synergia_registry.settings import RegistrySettings

from tests.support.actors import MICRO
from tests.support.stack import TestStack, auth, running_app

VC = "/v1/value-chains"
READER_ROLES = ("viewer", "investor", "sme", "authority")
UPDATED = "eu.synergia.registry.value-chain.updated.v1"
STATUS_CHANGED = "eu.synergia.registry.value-chain.status-changed.v1"


def role_auth(role: str, **claims: str) -> dict[str, str]:
    if role == "authority":
        claims.setdefault("region", "ITH3")
    return auth(role, **claims)


def manager(actor_id: str) -> dict[str, str]:
    return auth("cluster_manager", actor_id=actor_id, subject=f"manager-of-{actor_id}")


# SME figures for one accounting year; two years so the category is settled (2003/361/EC
# Annex Art. 4(2)).
SMALL = {"headcount": "35", "turnover": "6000000", "balance_sheet": "5000000"}


async def new_actor(
    registry: httpx.AsyncClient,
    kind: str,
    country: str,
    name: str | None = None,
    *,
    figures: dict[str, str] | None = None,
    **fields: Any,
) -> str:
    """Register an actor through the API (NACE codes, ecosystems, owners and accounts)."""
    body: dict[str, Any] = {
        "legal_name": name or f"{kind} {country} {uuid.uuid4().hex[:6]}",
        "kind": kind,
        "country": country,
        **fields,
    }
    if figures is not None:
        body["financials"] = [{"year": year, **figures} for year in (2023, 2024)]
    response = await registry.post("/v1/actors", json=body, headers=auth())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def sme_category(registry: httpx.AsyncClient, actor_id: str) -> str | None:
    response = await registry.get(f"/v1/actors/{actor_id}", headers=auth())
    computed: str | None = response.json()["sme"]["computed"]
    return computed


async def outbox(stack: TestStack) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        rows = await conn.fetch(
            "SELECT event_type, aggregate_id, topic, payload FROM outbox "
            "WHERE aggregate_type = 'value_chain' ORDER BY id"
        )
    finally:
        await conn.close()
    events = []
    for row in rows:
        envelope = json.loads(row["payload"])
        assert envelope["type"] == row["event_type"]
        assert envelope["subject"] == row["aggregate_id"]
        assert row["topic"] == "registry.value-chain"
        events.append(envelope)
    return events


class Consortium:
    """A cluster lead in Greece and an eligible set of participants."""

    def __init__(self, **ids: str) -> None:
        self.__dict__.update(ids)

    lead: str
    sme_de: str
    sme_fr: str
    uni_it: str


@pytest.fixture
async def consortium(registry: httpx.AsyncClient) -> Consortium:
    lead = await new_actor(
        registry, "cluster_organisation", "GR", "Olympic Agri-Food Cluster", nace_codes=["94.11"]
    )
    sme_de = await new_actor(
        registry, "sme", "DE", "BioPoly GmbH", figures=MICRO, nace_codes=["C20.16"]
    )
    sme_fr = await new_actor(
        registry, "sme", "FR", "Agro Pack SAS", figures=SMALL, nace_codes=["A01.11"]
    )
    uni_it = await new_actor(
        registry, "university", "IT", "Università di Bologna", nace_codes=["85.40"]
    )
    assert await sme_category(registry, sme_de) == "micro"
    assert await sme_category(registry, sme_fr) == "small"
    return Consortium(lead=lead, sme_de=sme_de, sme_fr=sme_fr, uni_it=uni_it)


def chain_body(c: Consortium, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Circular bio-based packaging",
        "strategic_vision": "Agri-food residues into compostable packaging.",
        "target_industry": "Bio-based packaging",
        "ecosystems": ["agri_food", "energy_intensive"],
        "lead_actor_ids": [c.lead],
        "stages": [
            {"name": "Feedstock", "competences": ["logistics"], "keywords": ["residues"]},
            {
                "name": "Materials",
                "description": "Compounding",
                "competences": ["advanced_materials"],
            },
        ],
        "participants": [
            {"actor_id": c.lead, "role": "coordinator", "planned_budget": "100000"},
            {"actor_id": c.sme_de, "stage": 1, "role": "partner", "planned_budget": 500000.5},
            {"actor_id": c.sme_fr, "stage": 0, "role": "third_party", "planned_budget": "300000"},
            {"actor_id": c.uni_it, "stage": 1, "role": "partner", "planned_budget": "50000"},
        ],
    }
    body.update(overrides)
    return body


async def create(registry: httpx.AsyncClient, c: Consortium, **overrides: Any) -> dict[str, Any]:
    response = await registry.post(VC, json=chain_body(c, **overrides), headers=manager(c.lead))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def move(
    registry: httpx.AsyncClient, vc: dict[str, Any], to: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await registry.post(
        f"{VC}/{vc['id']}/status",
        json={"to": to},
        headers={**(headers or auth()), "If-Match": f'"{vc["version"]}"'},
    )


# --- create, read ----------------------------------------------------------------------


async def test_create_returns_201_and_publishes_the_whole_state(
    registry: httpx.AsyncClient, stack: TestStack, consortium: Consortium
) -> None:
    c = consortium
    response = await registry.post(VC, json=chain_body(c), headers=manager(c.lead))

    assert response.status_code == 201, response.text
    vc = response.json()
    assert response.headers["location"] == f"{VC}/{vc['id']}"
    assert response.headers["etag"] == '"1"'
    assert vc["status"] == "draft"
    assert vc["allowed_transitions"] == ["open", "closed"]
    assert vc["version"] == 1
    assert vc["created_by"] == f"manager-of-{c.lead}"
    assert vc["lead_actor_ids"] == [c.lead]
    assert [(s["position"], s["name"]) for s in vc["stages"]] == [
        (0, "Feedstock"),
        (1, "Materials"),
    ]
    stage_ids = [s["id"] for s in vc["stages"]]
    assert [
        (p["actor_id"], p["stage"], p["stage_id"], p["role"], p["planned_budget"])
        for p in vc["participants"]
    ] == [
        (c.lead, None, None, "coordinator", "100000.00"),
        (c.sme_de, 1, stage_ids[1], "partner", "500000.50"),
        (c.sme_fr, 0, stage_ids[0], "third_party", "300000.00"),
        (c.uni_it, 1, stage_ids[1], "partner", "50000.00"),
    ]

    events = await outbox(stack)
    assert [(e["type"], e["subject"], e["sequence"]) for e in events] == [(UPDATED, vc["id"], 1)]
    data = events[0]["data"]
    assert data["value_chain_id"] == vc["id"]
    assert data["status"] == "draft"
    assert data["version"] == 1
    assert data["lead_actor_ids"] == [c.lead]
    assert data["ecosystems"] == ["agri_food", "energy_intensive"]
    assert [s["id"] for s in data["stages"]] == stage_ids
    assert data["participants"][1] == {
        "actor_id": c.sme_de,
        "stage_id": stage_ids[1],
        "role": "partner",
        "planned_budget": "500000.50",
    }

    fetched = await registry.get(f"{VC}/{vc['id']}", headers=auth("viewer"))
    assert fetched.status_code == 200
    assert fetched.json() == vc
    assert fetched.headers["etag"] == '"1"'


async def test_idempotency_key_makes_a_retried_create_return_the_first_result(
    registry: httpx.AsyncClient, stack: TestStack, consortium: Consortium
) -> None:
    headers = {**manager(consortium.lead), "Idempotency-Key": "vc-create-1"}
    first = await registry.post(VC, json=chain_body(consortium), headers=headers)
    retry = await registry.post(VC, json=chain_body(consortium), headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert len(await outbox(stack)) == 1
    listed = await registry.get(VC, headers=auth())
    assert [vc["id"] for vc in listed.json()["items"]] == [first.json()["id"]]

    other = await registry.post(
        VC, json=chain_body(consortium, title="Another one"), headers=headers
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]


# --- list ------------------------------------------------------------------------------


async def test_list_is_cursor_paginated_and_filtered(
    registry: httpx.AsyncClient, consortium: Consortium
) -> None:
    c = consortium
    other_lead = await new_actor(registry, "sme_intermediary", "PT")
    first = await create(registry, c)
    second = await create(
        registry, c, title="Digital farming", ecosystems=["digital"], participants=[]
    )
    third_response = await registry.post(
        VC,
        json=chain_body(
            c,
            title="Smart textiles",
            ecosystems=["textiles"],
            lead_actor_ids=[other_lead],
            participants=[{"actor_id": c.sme_fr, "role": "partner"}],
        ),
        headers=auth("admin"),
    )
    assert third_response.status_code == 201, third_response.text
    third = third_response.json()
    assert (await move(registry, second, "open")).status_code == 200

    page1 = await registry.get(VC, params={"limit": 2}, headers=auth("investor"))
    assert page1.status_code == 200
    assert [vc["id"] for vc in page1.json()["items"]] == [first["id"], second["id"]]
    cursor = page1.json()["next_cursor"]
    assert cursor
    page2 = await registry.get(VC, params={"limit": 2, "cursor": cursor}, headers=auth())
    assert [vc["id"] for vc in page2.json()["items"]] == [third["id"]]
    assert page2.json()["next_cursor"] is None
    assert page2.json()["items"][0]["participants"][0]["actor_id"] == c.sme_fr

    async def ids(**params: str) -> list[str]:
        response = await registry.get(VC, params=params, headers=auth("sme"))
        assert response.status_code == 200, response.text
        return [vc["id"] for vc in response.json()["items"]]

    assert await ids(status="open") == [second["id"]]
    assert await ids(status="draft") == [first["id"], third["id"]]
    assert await ids(lead_actor_id=other_lead) == [third["id"]]
    assert await ids(lead_actor_id=c.lead) == [first["id"], second["id"]]
    assert await ids(participant_actor_id=c.sme_fr) == [first["id"], third["id"]]
    assert await ids(participant_actor_id=c.uni_it) == [first["id"]]
    assert await ids(ecosystem="agri_food") == [first["id"]]
    assert await ids(ecosystem="digital", status="open") == [second["id"]]
    assert await ids(ecosystem="digital", status="draft") == []

    bad_cursor = await registry.get(VC, params={"cursor": "nope"}, headers=auth())
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["errors"][0]["loc"] == ["query", "cursor"]
    bad_filter = await registry.get(VC, params={"ecosystem": "space"}, headers=auth())
    assert bad_filter.status_code == 422
    assert bad_filter.json()["errors"][0]["loc"] == ["query", "ecosystem"]
    too_many = await registry.get(VC, params={"limit": 201}, headers=auth())
    assert too_many.status_code == 422


# --- replace ---------------------------------------------------------------------------


async def test_replace_needs_a_fresh_if_match_and_keeps_stage_ids_by_name(
    registry: httpx.AsyncClient, stack: TestStack, consortium: Consortium
) -> None:
    c = consortium
    vc = await create(registry, c)
    url = f"{VC}/{vc['id']}"
    new_body = chain_body(
        c,
        title="Circular packaging, phase 2",
        stages=[{"name": "Converting"}, {"name": "Materials", "competences": ["photonics"]}],
        participants=[
            {"actor_id": c.sme_de, "stage": 0, "role": "coordinator", "planned_budget": "10"},
            {"actor_id": c.uni_it, "stage": 1, "role": "associated"},
        ],
    )

    missing = await registry.put(url, json=new_body, headers=manager(c.lead))
    assert missing.status_code == 428
    assert missing.headers["content-type"] == "application/problem+json"
    stale = await registry.put(url, json=new_body, headers={**manager(c.lead), "If-Match": '"7"'})
    assert stale.status_code == 412
    assert stale.headers["etag"] == '"1"'

    ok = await registry.put(url, json=new_body, headers={**manager(c.lead), "If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == '"2"'
    replaced = ok.json()
    assert replaced["title"] == "Circular packaging, phase 2"
    assert replaced["version"] == 2
    old_materials = next(s["id"] for s in vc["stages"] if s["name"] == "Materials")
    assert replaced["stages"][1]["id"] == old_materials, "same name, same stage id"
    assert replaced["stages"][1]["competences"] == ["photonics"]
    assert replaced["stages"][0]["id"] not in {s["id"] for s in vc["stages"]}
    assert [(p["actor_id"], p["stage_id"]) for p in replaced["participants"]] == [
        (c.sme_de, replaced["stages"][0]["id"]),
        (c.uni_it, old_materials),
    ]

    again = await registry.put(url, json=new_body, headers={**manager(c.lead), "If-Match": '"1"'})
    assert again.status_code == 412, "the first write moved it on"

    events = await outbox(stack)
    assert [(e["type"], e["sequence"]) for e in events] == [(UPDATED, 1), (UPDATED, 2)]
    assert events[1]["data"]["title"] == "Circular packaging, phase 2"
    assert len(events[1]["data"]["participants"]) == 2
    assert (await registry.get(url, headers=auth())).json() == replaced


# --- life cycle ------------------------------------------------------------------------


async def test_the_life_cycle_runs_forward_with_events_and_closed_is_final(
    registry: httpx.AsyncClient, stack: TestStack, consortium: Consortium
) -> None:
    c = consortium
    vc = await create(registry, c)
    url = f"{VC}/{vc['id']}"
    as_lead = manager(c.lead)

    skip = await move(registry, vc, "formed", as_lead)
    assert skip.status_code == 409
    assert skip.headers["content-type"] == "application/problem+json"
    assert "can only go to: open, closed" in skip.json()["detail"]
    assert skip.json()["errors"] == [{"loc": ["body", "to"], "msg": "allowed: open, closed"}]

    for expected_version, to in enumerate(("open", "formed", "running", "closed"), start=2):
        response = await move(registry, vc, to, as_lead)
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == f'"{expected_version}"'
        vc = response.json()
        assert (vc["status"], vc["version"]) == (to, expected_version)
    assert vc["allowed_transitions"] == []

    events = await outbox(stack)
    assert [(e["type"], e["sequence"]) for e in events] == [
        (UPDATED, 1),
        (UPDATED, 2),
        (STATUS_CHANGED, 2),
        (UPDATED, 3),
        (STATUS_CHANGED, 3),
        (UPDATED, 4),
        (STATUS_CHANGED, 4),
        (UPDATED, 5),
        (STATUS_CHANGED, 5),
    ]
    assert {e["subject"] for e in events} == {vc["id"]}
    changes = [
        (e["data"]["from_status"], e["data"]["to_status"], e["data"]["version"])
        for e in events
        if e["type"] == STATUS_CHANGED
    ]
    assert changes == [
        ("draft", "open", 2),
        ("open", "formed", 3),
        ("formed", "running", 4),
        ("running", "closed", 5),
    ]
    assert events[-2]["data"]["status"] == "closed"

    reopen = await move(registry, vc, "open", as_lead)
    assert reopen.status_code == 409
    assert "nothing follows closed" in reopen.json()["detail"]
    edit = await registry.put(url, json=chain_body(c), headers={**as_lead, "If-Match": '"5"'})
    assert edit.status_code == 409
    assert edit.json()["type"].endswith("/value-chain-closed")
    assert len(await outbox(stack)) == 9, "refusals publish nothing"


async def test_a_draft_can_be_abandoned(
    registry: httpx.AsyncClient, consortium: Consortium
) -> None:
    vc = await create(registry, consortium)
    response = await move(registry, vc, "closed", manager(consortium.lead))
    assert response.status_code == 200
    assert response.json()["status"] == "closed"


async def test_formed_needs_a_passing_eligibility_report(
    registry: httpx.AsyncClient, stack: TestStack, consortium: Consortium
) -> None:
    c = consortium
    large_de = await new_actor(registry, "large_enterprise", "DE", "Big Chem AG")
    vc = await create(
        registry,
        c,
        participants=[
            {"actor_id": c.sme_de, "role": "partner", "planned_budget": "100"},
            {"actor_id": large_de, "role": "partner", "planned_budget": "900"},
        ],
    )
    vc = (await move(registry, vc, "open")).json()

    refused = await move(registry, vc, "formed")

    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"].endswith("/not-eligible")
    assert "independent_legal_entities, sme_budget_share, cross_sectoral" in problem["detail"]
    errors = {tuple(e["loc"]): e["msg"] for e in problem["errors"]}
    assert set(errors) == {
        ("eligibility", "independent_legal_entities"),
        ("eligibility", "sme_budget_share"),
        ("eligibility", "cross_sectoral"),
    }
    assert "€100.00 of €1,000.00 planned (10.00 %)" in errors[("eligibility", "sme_budget_share")]
    after = await registry.get(f"{VC}/{vc['id']}", headers=auth())
    assert (after.json()["status"], after.json()["version"]) == ("open", 2)
    assert [e["sequence"] for e in await outbox(stack)] == [1, 2, 2]


async def test_the_eligibility_report_explains_each_item(
    registry: httpx.AsyncClient, consortium: Consortium
) -> None:
    c = consortium
    # A French subsidiary controlled by the German SME: one legal entity with it.
    subsidiary = await new_actor(
        registry,
        "sme",
        "FR",
        "BioPoly France SARL",
        figures=MICRO,
        owners=[{"owner_actor_id": c.sme_de, "share_percent": "100"}],
        ecosystems=["agri_food"],
    )
    assert await sme_category(registry, subsidiary) in {"micro", "small", "medium"}
    us = await new_actor(registry, "large_enterprise", "US", "Acme Inc", nace_codes=["C22.2"])
    declared = await new_actor(registry, "sme", "PL", "Nowak sp. z o.o.")
    assert await sme_category(registry, declared) is None
    vc = await create(
        registry,
        c,
        participants=[
            {"actor_id": c.sme_de, "role": "partner", "planned_budget": "500000"},
            {"actor_id": subsidiary, "role": "partner", "planned_budget": "200000"},
            {"actor_id": declared, "role": "third_party", "planned_budget": "60000"},
            {"actor_id": us, "role": "partner", "planned_budget": "240000"},
        ],
    )

    response = await registry.get(f"{VC}/{vc['id']}/eligibility", headers=role_auth("authority"))

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["value_chain_id"] == vc["id"]
    assert report["version"] == 1
    items = {item["criterion"]: item for item in report["criteria"]}
    assert list(items) == ["independent_legal_entities", "sme_budget_share", "cross_sectoral"]

    entities = items["independent_legal_entities"]
    assert (entities["met"], entities["measured"], entities["threshold"]) == (True, "3", "3")
    assert (
        "counted as one legal entity: BioPoly GmbH, BioPoly France SARL." in entities["explanation"]
    )
    assert (
        "Established in a third country, does not count: Acme Inc (US)."
        in (entities["explanation"])
    )
    assert entities["details"]["merged"] == [[c.sme_de, subsidiary]]

    budget = items["sme_budget_share"]
    assert (budget["met"], budget["measured"], budget["threshold"]) == (True, "76.00", "75")
    assert "€760,000.00 of €1,000,000.00 planned (76.00 %)" in budget["explanation"]
    assert (
        "declared, not verified (no computed SME category): Nowak sp. z o.o."
        in (budget["explanation"])
    )
    assert budget["details"]["declared_not_verified_actor_ids"] == [declared]

    sectors = items["cross_sectoral"]
    assert (sectors["met"], sectors["measured"], sectors["threshold"]) == (False, "1", "2")
    assert "1 NACE section: C (BioPoly GmbH, Acme Inc)." in sectors["explanation"]
    assert "1 ecosystem: Agri-food (BioPoly France SARL)." in sectors["explanation"]
    assert "More than one NACE section or ecosystem is needed." in sectors["explanation"]
    assert "No NACE codes or ecosystems on record: Nowak sp. z o.o." in sectors["explanation"]
    assert report["eligible"] is False, "one criterion fails"


async def test_an_eligible_consortium_reports_eligible(
    registry: httpx.AsyncClient, consortium: Consortium
) -> None:
    vc = await create(registry, consortium)
    report = (await registry.get(f"{VC}/{vc['id']}/eligibility", headers=auth("sme"))).json()
    assert report["eligible"] is True
    assert [i["met"] for i in report["criteria"]] == [True, True, True]
    sectors = report["criteria"][2]
    assert (
        "3 NACE sections: A (Agro Pack SAS); C (BioPoly GmbH); Q (Università di Bologna)."
        in sectors["explanation"]
    )
    assert (
        "intermediation, not a sector of the chain): Olympic Agri-Food Cluster."
        in (sectors["explanation"])
    ), "the lead cluster's own NACE code T94.11 is not counted"


async def test_without_planned_budget_the_budget_item_is_not_assessable(
    registry: httpx.AsyncClient, consortium: Consortium
) -> None:
    c = consortium
    vc = await create(
        registry,
        c,
        participants=[{"actor_id": a, "role": "partner"} for a in (c.sme_de, c.sme_fr)],
    )
    report = (await registry.get(f"{VC}/{vc['id']}/eligibility", headers=auth())).json()
    budget = report["criteria"][1]
    assert (budget["met"], budget["measured"]) == (None, None)
    assert budget["explanation"].startswith("Not assessable: no participant has a planned budget")
    assert report["eligible"] is False


# --- validation ------------------------------------------------------------------------


async def test_domain_validation_is_a_422_naming_the_field_and_writes_nothing(
    registry: httpx.AsyncClient, stack: TestStack, consortium: Consortium
) -> None:
    c = consortium
    gone = await new_actor(registry, "sme", "ES")
    deactivated = await registry.post(
        f"/v1/actors/{gone}/deactivate", headers={**auth(), "If-Match": '"1"'}
    )
    assert deactivated.status_code == 200, deactivated.text
    nobody = str(uuid.uuid4())
    body = chain_body(
        c,
        lead_actor_ids=[c.lead, c.sme_de, nobody],
        participants=[
            {"actor_id": c.sme_fr, "stage": 2, "role": "partner"},
            {"actor_id": nobody, "role": "partner"},
            {"actor_id": gone, "role": "partner"},
            {"actor_id": c.uni_it, "role": "associated", "planned_budget": "5"},
        ],
    )

    response = await registry.post(VC, json=body, headers=auth())

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = {tuple(e["loc"]): e["msg"] for e in response.json()["errors"]}
    assert errors == {
        ("body", "lead_actor_ids", 1): f"actor {c.sme_de} is a sme; a lead must be a "
        "cluster_organisation or sme_intermediary",
        ("body", "lead_actor_ids", 2): f"no actor {nobody}",
        ("body", "participants", 0, "stage"): "no stage at position 2: there are 2 stages "
        "(positions start at 0)",
        ("body", "participants", 1, "actor_id"): f"no actor {nobody}",
        ("body", "participants", 2, "actor_id"): f"actor {gone} is deactivated",
        ("body", "participants", 3, "planned_budget"): "an associated participant takes part "
        "without budget: leave it empty or 0",
    }
    assert await outbox(stack) == []
    assert (await registry.get(VC, headers=auth())).json()["items"] == []


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"ecosystems": ["space"]}, ["body", "ecosystems", 0]),
        (
            {"stages": [{"name": "X", "competences": ["magic"]}]},
            ["body", "stages", 0, "competences", 0],
        ),
        (
            {"participants": [{"actor_id": "x", "role": "partner"}]},
            ["body", "participants", 0, "actor_id"],
        ),
        (
            {"participants": [{"actor_id": str(uuid.uuid4()), "role": "boss"}]},
            ["body", "participants", 0, "role"],
        ),
        (
            {
                "participants": [
                    {"actor_id": str(uuid.uuid4()), "role": "partner", "planned_budget": "-1"}
                ]
            },
            ["body", "participants", 0, "planned_budget"],
        ),
        (
            {
                "participants": [
                    {"actor_id": str(uuid.uuid4()), "role": "partner", "planned_budget": "1.005"}
                ]
            },
            ["body", "participants", 0, "planned_budget"],
        ),
        ({"lead_actor_ids": []}, ["body", "lead_actor_ids"]),
        ({"title": "  "}, ["body", "title"]),
        ({"status": "open"}, ["body", "status"]),
    ],
)
async def test_schema_validation_is_a_422_naming_the_field(
    registry: httpx.AsyncClient, consortium: Consortium, change: dict[str, Any], loc: list[Any]
) -> None:
    response = await registry.post(VC, json=chain_body(consortium, **change), headers=auth())
    assert response.status_code == 422
    assert loc in [e["loc"] for e in response.json()["errors"]], response.json()


async def test_a_bad_status_body_is_a_422(
    registry: httpx.AsyncClient, consortium: Consortium
) -> None:
    vc = await create(registry, consortium)
    response = await registry.post(
        f"{VC}/{vc['id']}/status", json={"to": "paused"}, headers={**auth(), "If-Match": '"1"'}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "to"]


# --- 404 -------------------------------------------------------------------------------


async def test_an_unknown_value_chain_is_a_404_everywhere(
    registry: httpx.AsyncClient, consortium: Consortium
) -> None:
    url = f"{VC}/{uuid.uuid4()}"
    headers = {**auth(), "If-Match": '"1"'}
    responses = [
        await registry.get(url, headers=headers),
        await registry.get(f"{url}/eligibility", headers=headers),
        await registry.put(url, json=chain_body(consortium), headers=headers),
        await registry.post(f"{url}/status", json={"to": "open"}, headers=headers),
    ]
    for response in responses:
        assert response.status_code == 404, response.request.url
        assert response.headers["content-type"] == "application/problem+json"
    malformed = await registry.get(f"{VC}/not-a-uuid", headers=auth())
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["loc"] == ["path", "value_chain_id"]


# --- 401 / 403 -------------------------------------------------------------------------


def endpoints(vc_id: str, body: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    return [
        ("POST", VC, body),
        ("GET", VC, None),
        ("GET", f"{VC}/{vc_id}", None),
        ("PUT", f"{VC}/{vc_id}", body),
        ("POST", f"{VC}/{vc_id}/status", {"to": "open"}),
        ("GET", f"{VC}/{vc_id}/eligibility", None),
    ]


async def test_every_endpoint_needs_a_token(
    registry: httpx.AsyncClient, consortium: Consortium
) -> None:
    vc = await create(registry, consortium)
    for method, url, body in endpoints(vc["id"], chain_body(consortium)):
        for headers in ({}, {"Authorization": "Bearer not.a.jwt"}):
            response = await registry.request(
                method, url, json=body, headers={**headers, "If-Match": '"1"'}
            )
            assert response.status_code == 401, (method, url)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("role", READER_ROLES)
async def test_readers_read_but_do_not_write(
    registry: httpx.AsyncClient, stack: TestStack, consortium: Consortium, role: str
) -> None:
    vc = await create(registry, consortium)
    headers = {**role_auth(role, actor_id=consortium.lead), "If-Match": '"1"'}
    for method, url, body in endpoints(vc["id"], chain_body(consortium)):
        response = await registry.request(method, url, json=body, headers=headers)
        expected = 200 if method == "GET" else 403
        assert response.status_code == expected, (role, method, url, response.text)
        if expected == 403:
            assert response.headers["content-type"] == "application/problem+json"
    assert len(await outbox(stack)) == 1


async def test_a_cluster_manager_writes_only_the_value_chains_it_leads(
    registry: httpx.AsyncClient, stack: TestStack, consortium: Consortium
) -> None:
    c = consortium
    other_cluster = await new_actor(registry, "cluster_organisation", "AT")
    vc = await create(registry, c)
    outsider = {**manager(other_cluster), "If-Match": '"1"'}

    for method, url, body in endpoints(vc["id"], chain_body(c)):
        response = await registry.request(method, url, json=body, headers=outsider)
        expected = 200 if method == "GET" else 403
        assert response.status_code == expected, (method, url, response.text)
    no_actor = await registry.post(VC, json=chain_body(c), headers=auth("cluster_manager"))
    assert no_actor.status_code == 403

    # Its own organisation must stay among the leads when it replaces the content ...
    handover = await registry.put(
        f"{VC}/{vc['id']}",
        json=chain_body(c, lead_actor_ids=[other_cluster]),
        headers={**manager(c.lead), "If-Match": '"1"'},
    )
    assert handover.status_code == 403
    # ... but it may add a co-lead, who may then write too.
    co_lead = await registry.put(
        f"{VC}/{vc['id']}",
        json=chain_body(c, lead_actor_ids=[c.lead, other_cluster]),
        headers={**manager(c.lead), "If-Match": '"1"'},
    )
    assert co_lead.status_code == 200, co_lead.text
    opened = await registry.post(
        f"{VC}/{vc['id']}/status",
        json={"to": "open"},
        headers={**manager(other_cluster), "If-Match": '"2"'},
    )
    assert opened.status_code == 200, opened.text
    # An admin may hand a value chain over.
    admin = await registry.put(
        f"{VC}/{vc['id']}",
        json=chain_body(c, lead_actor_ids=[other_cluster]),
        headers={**auth("admin"), "If-Match": '"3"'},
    )
    assert admin.status_code == 200, admin.text
    assert [e["sequence"] for e in await outbox(stack)] == [1, 2, 3, 3, 4]


async def test_the_report_follows_control_through_an_outside_holding_in_one_query(
    stack: TestStack, consortium: Consortium
) -> None:
    app = create_app(RegistrySettings(**stack.settings_kwargs("registry")))  # type: ignore[arg-type]
    async with running_app(app, "http://registry") as registry:
        c = consortium
        holding = await new_actor(registry, "large_enterprise", "LU", "Holding SA")
        at = await new_actor(
            registry,
            "sme",
            "AT",
            "Alpen GmbH",
            owners=[{"owner_actor_id": holding, "share_percent": "60"}],
        )
        be = await new_actor(
            registry,
            "sme",
            "BE",
            "Brabant NV",
            owners=[{"owner_actor_id": holding, "share_percent": "30", "controls": True}],
        )
        minority = await new_actor(
            registry,
            "sme",
            "NL",
            "Delta BV",
            owners=[{"owner_actor_id": holding, "share_percent": "50"}],
        )
        small = await create(registry, c, participants=[{"actor_id": at, "role": "partner"}])
        large = await create(
            registry,
            c,
            participants=[
                {"actor_id": a, "role": "partner"} for a in (at, be, minority, c.sme_de, c.sme_fr)
            ],
        )

        statements: list[str] = []

        def count(*args: Any) -> None:
            # Only this request's reads (the outbox relay and the retention sweep share
            # the engine).
            if "outbox" not in str(args[2]) and not str(args[2]).startswith("DELETE"):
                statements.append(str(args[2]))

        # Warm the pool first: a new connection runs set-up statements of its own.
        assert (await registry.get(f"{VC}/{small['id']}/eligibility", headers=auth())).is_success
        engine = app.state.engine.sync_engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            few = await registry.get(f"{VC}/{small['id']}/eligibility", headers=auth())
            few_statements = len(statements)
            statements.clear()
            many = await registry.get(f"{VC}/{large['id']}/eligibility", headers=auth())
        finally:
            event.remove(engine, "before_cursor_execute", count)

    assert few.status_code == many.status_code == 200
    assert len(statements) == few_statements, "actor facts load in one query, whatever the size"
    assert sum("FROM actors" in s for s in statements) == 1, statements
    entities = many.json()["criteria"][0]
    # Alpen (60 %) and Brabant (control) are linked through the holding, which is not a
    # participant; Delta (exactly 50 %) is not linked.
    assert entities["details"]["merged"] == [[at, be]]
    assert "counted as one legal entity: Alpen GmbH, Brabant NV." in entities["explanation"]
    assert "Holding SA" not in entities["explanation"]
    # EL (lead), AT/BE (one entity), NL, DE, FR
    assert entities["measured"] == "5"
