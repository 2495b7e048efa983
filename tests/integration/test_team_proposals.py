"""Team proposals through the real path: a value chain and its candidates registered in the
registry, projected by matching, teams solved by CP-SAT, accepted as an event that the
registry consumes to add the team to the value chain."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from synergia_matching.network import repository as network
from synergia_matching.proposals import repository as proposals
from synergia_shared.http.pagination import encode_cursor

from tests.support.actors import LARGE, register
from tests.support.events import metric
from tests.support.stack import TestStack, auth


def offer(title: str) -> list[dict[str, str]]:
    return [{"type": "technology_offer", "title": title}]


def manager(actor_id: str) -> dict[str, str]:
    return auth("cluster_manager", actor_id=actor_id, subject=f"manager-of-{actor_id}")


class World:
    lead: str
    chain: str
    stages: list[dict[str, Any]]
    ids: dict[str, str]


@pytest.fixture
async def world(registry: httpx.AsyncClient, matching: httpx.AsyncClient) -> World:
    w = World()
    w.lead = await register(
        registry,
        "Baltic Battery Cluster",
        "LT",
        kind="cluster_organisation",
        figures=LARGE,
        nace_codes=["94.11"],
    )
    w.ids = {
        "collector": await register(
            registry,
            "Collecta Oy",
            "FI",
            offers=offer("Collection of spent batteries"),
            nace_codes=["E38.11"],
        ),
        "collector_de": await register(
            registry,
            "Sammel GmbH",
            "DE",
            offers=offer("Battery collection and sorting"),
            nace_codes=["E38.11"],
        ),
        "refiner": await register(
            registry,
            "Hydromet SAS",
            "FR",
            offers=offer("Hydrometallurgy of battery black mass"),
            nace_codes=["C24.45"],
        ),
        "cathode": await register(
            registry,
            "Cathoda SpA",
            "IT",
            offers=offer("Cathode materials from recovered metals"),
            nace_codes=["C20.13"],
        ),
        "big_cathode": await register(
            registry,
            "Megacathode AG",
            "AT",
            kind="large_enterprise",
            figures=LARGE,
            offers=offer("Cathode materials at scale"),
            nace_codes=["C20.13"],
        ),
    }
    chain = await registry.post(
        "/v1/value-chains",
        json={
            "title": "Closed-loop battery materials",
            "lead_actor_ids": [w.lead],
            "ecosystems": ["energy_intensive"],
            "stages": [
                {"name": "Collection", "keywords": ["battery collection"]},
                {"name": "Refining", "description": "hydrometallurgy of black mass"},
                {"name": "Cathode materials", "keywords": ["cathode"]},
            ],
            "participants": [{"actor_id": w.lead, "role": "coordinator"}],
        },
        headers=manager(w.lead),
    )
    assert chain.status_code == 201, chain.text
    w.chain = chain.json()["id"]
    w.stages = chain.json()["stages"]
    await until_projected(matching, w)
    return w


async def until_projected(matching: httpx.AsyncClient, w: World, timeout: float = 30.0) -> None:
    """The chain and every actor have reached matching."""
    deadline = asyncio.get_running_loop().time() + timeout
    for actor_id in [w.lead, *w.ids.values()]:
        while (await matching.get(f"/v1/profiles/{actor_id}", headers=auth())).status_code != 200:
            assert asyncio.get_running_loop().time() < deadline, f"{actor_id} never arrived"
            await asyncio.sleep(0.05)
    while True:
        probe = await matching.post(
            f"/v1/value-chains/{w.chain}/team-proposals",
            json={
                "stage_budgets": [
                    {"stage_id": "00000000-0000-0000-0000-000000000000", "budget": "1"}
                ]
            },
            headers=auth(),
        )
        if probe.status_code == 422:  # the chain is known: only the stage id is wrong
            return
        assert asyncio.get_running_loop().time() < deadline, probe.text
        await asyncio.sleep(0.05)


def budgets(w: World, amounts: list[str]) -> list[dict[str, str]]:
    return [{"stage_id": s["id"], "budget": a} for s, a in zip(w.stages, amounts, strict=True)]


async def outbox(stack: TestStack, service: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(stack.dsn(service))
    try:
        rows = await conn.fetch("SELECT payload FROM outbox ORDER BY id")
    finally:
        await conn.close()
    return [json.loads(r["payload"]) for r in rows]


async def test_teams_cover_every_stage_across_borders_and_acceptance_reaches_the_registry(
    stack: TestStack, registry: httpx.AsyncClient, matching: httpx.AsyncClient, world: World
) -> None:
    response = await matching.post(
        f"/v1/value-chains/{world.chain}/team-proposals",
        json={"k": 2, "stage_budgets": budgets(world, ["100000", "300000", "200000"])},
        headers=manager(world.lead),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == "proposed"
    first, second = body["proposals"]
    assert first["solver_status"] == "optimal"
    assert first["objective"]["total"] >= second["objective"]["total"]
    assert {frozenset(m["actor_id"] for m in p["members"]) for p in (first, second)}.__len__() == 2

    members = {m["legal_name"]: m for m in first["members"]}
    assert members["Baltic Battery Cluster"]["must_include"], "the lead is in every team"
    assert members["Baltic Battery Cluster"]["role"] == "coordinator"
    covered = [s["name"] for m in first["members"] for s in m["stages"]]
    assert sorted(covered) == ["Cathode materials", "Collection", "Refining"]
    assert members["Hydromet SAS"]["stages"] == [
        {"id": world.stages[1]["id"], "name": "Refining", "fit": 0.75, "weak_fit": False}
    ], "each member says how well it fits each of its stages"
    assert first["weak_fits"] == []
    assert "Megacathode AG" not in members, "the SME budget share and SME focus prefer Cathoda"
    assert len(first["countries"]) >= 3
    assert first["independent_entities"] >= 3
    assert first["sme_share_basis"] == "budget"
    assert float(first["sme_share"]) >= 0.75
    assert (
        sum(t["contribution"] for t in first["objective"]["terms"]) == first["objective"]["total"]
    )
    assert all(t["explanation"] for t in first["objective"]["terms"])

    stored = await matching.get(f"/v1/team-proposals/{first['id']}", headers=auth("viewer"))
    assert stored.status_code == 200
    assert stored.json() == first

    # Accept: once, as an event, and the registry adds the team to the value chain.
    accepted = await matching.post(
        f"/v1/team-proposals/{first['id']}/accept", headers=manager(world.lead)
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    again = await matching.post(
        f"/v1/team-proposals/{first['id']}/accept", headers=manager(world.lead)
    )
    assert again.status_code == 200
    assert again.json() == accepted.json(), "a retried accept changes nothing"
    refused = await matching.post(
        f"/v1/team-proposals/{first['id']}/decline", json={}, headers=manager(world.lead)
    )
    assert refused.status_code == 409
    events = [e for e in await outbox(stack, "matching") if "proposal" in e["type"]]
    assert [e["type"] for e in events] == ["eu.synergia.matching.proposal.accepted.v1"]
    assert events[0]["subject"] == first["id"]

    deadline = asyncio.get_running_loop().time() + 30
    while True:
        chain = (await registry.get(f"/v1/value-chains/{world.chain}", headers=auth())).json()
        if len(chain["participants"]) == len(first["members"]):
            break
        assert asyncio.get_running_loop().time() < deadline, chain["participants"]
        await asyncio.sleep(0.1)
    by_actor = {p["actor_id"]: p for p in chain["participants"]}
    hydromet = by_actor[world.ids["refiner"]]
    assert hydromet["stage_id"] == world.stages[1]["id"]
    assert hydromet["role"] == "partner"
    assert float(hydromet["planned_budget"]) == 300000
    assert by_actor[world.lead]["role"] == "coordinator", "kept as it was"

    # The chain has its team: the runner-up cannot be accepted too (the registry would
    # merge a second team into the chain).
    second_team = await matching.post(
        f"/v1/team-proposals/{second['id']}/accept", headers=manager(world.lead)
    )
    assert second_team.status_code == 409, second_team.text
    assert second_team.json()["type"].endswith("/team-already-accepted")
    assert first["id"] in second_team.json()["detail"]

    declined = await matching.post(
        f"/v1/team-proposals/{second['id']}/decline",
        json={"reason": "we already have a refiner"},
        headers=auth("admin"),
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["decision_reason"] == "we already have a refiner"
    assert declined.json()["decided_by"] == "test-admin"

    # Both stay listed with their decisions, a page at a time.
    listed: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = await matching.get(
            f"/v1/value-chains/{world.chain}/team-proposals", params=params, headers=auth("sme")
        )
        assert page.status_code == 200, page.text
        listed += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert [(p["rank"], p["status"]) for p in listed] == [(1, "accepted"), (2, "declined")]


async def test_when_no_team_is_possible_the_reasons_name_the_stage(
    registry: httpx.AsyncClient,
    matching: httpx.AsyncClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    current = await registry.get(f"/v1/value-chains/{world.chain}", headers=auth())
    body = {
        "title": "Closed-loop battery materials",
        "lead_actor_ids": [world.lead],
        "stages": [
            {"name": "Collection", "keywords": ["battery collection"]},
            {"name": "Quantum teleportation", "keywords": ["teleportation"]},
        ],
        "participants": [{"actor_id": world.lead, "role": "coordinator"}],
    }
    replaced = await registry.put(
        f"/v1/value-chains/{world.chain}",
        json=body,
        headers={**manager(world.lead), "If-Match": current.headers["etag"]},
    )
    assert replaced.status_code == 200, replaced.text
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        response = await matching.post(
            f"/v1/value-chains/{world.chain}/team-proposals", json={}, headers=auth()
        )
        assert response.status_code == 200, response.text
        if response.json()["outcome"] == "no_team":
            break
        assert asyncio.get_running_loop().time() < deadline, "the new stages never arrived"
        await asyncio.sleep(0.1)
    reasons = response.json()["reasons"]
    assert any("Quantum teleportation" in r for r in reasons), reasons
    assert response.json()["proposals"] == []

    # The chain is read and checked once per request; its few candidates were all read
    # by the first read, so "no team" reads them no second time, and answers the same.
    reads: list[str] = []
    for module, name in [(network, "get_value_chain"), (proposals, "candidates")]:
        monkeypatch.setattr(module, name, counted(reads, name, getattr(module, name)))
    again = await matching.post(
        f"/v1/value-chains/{world.chain}/team-proposals", json={}, headers=auth()
    )
    assert again.status_code == 200, again.text
    assert again.json()["reasons"] == reasons
    assert reads == ["get_value_chain", "candidates"]


def counted(
    reads: list[str], name: str, read: Callable[..., Awaitable[Any]]
) -> Callable[..., Awaitable[Any]]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        reads.append(name)
        return await read(*args, **kwargs)

    return wrapper


async def test_proposals_are_guarded(matching: httpx.AsyncClient, world: World) -> None:
    path = f"/v1/value-chains/{world.chain}/team-proposals"
    assert (await matching.post(path, json={})).status_code == 401
    other_cluster = manager("00000000-0000-0000-0000-0000000000aa")
    assert (await matching.post(path, json={}, headers=other_cluster)).status_code == 403
    assert (await matching.post(path, json={}, headers=auth("sme"))).status_code == 403
    unknown = await matching.post(
        "/v1/value-chains/00000000-0000-0000-0000-000000000001/team-proposals",
        json={},
        headers=auth(),
    )
    assert unknown.status_code == 404
    for body, loc in [
        ({"k": 0}, ["body", "k"]),
        ({"min_sme_budget_share": "1.5"}, ["body", "min_sme_budget_share"]),
        ({"must_include": ["00000000-0000-0000-0000-000000000002"]}, ["body", "must_include", 0]),
        ({"colour": "red"}, ["body", "colour"]),
    ]:
        bad = await matching.post(path, json=body, headers=auth())
        assert bad.status_code == 422, bad.text
        assert loc in [e["loc"] for e in bad.json()["errors"]]

    proposed = await matching.post(path, json={"k": 1}, headers=auth())
    proposal_id = proposed.json()["proposals"][0]["id"]
    accept = f"/v1/team-proposals/{proposal_id}/accept"
    assert (await matching.post(accept)).status_code == 401
    assert (await matching.post(accept, headers=other_cluster)).status_code == 403
    assert (await matching.post(accept, headers=auth("viewer"))).status_code == 403
    missing = await matching.post(
        "/v1/team-proposals/00000000-0000-0000-0000-000000000003/accept", headers=auth()
    )
    assert missing.status_code == 404


async def solves(matching: httpx.AsyncClient) -> float:
    """How many team solves that found proposals the service has run."""
    return await metric(matching, "synergia_matching_team_solve_seconds_count", outcome="proposals")


async def test_a_retried_proposal_request_answers_the_same_and_stores_nothing_twice(
    stack: TestStack, matching: httpx.AsyncClient, world: World
) -> None:
    path = f"/v1/value-chains/{world.chain}/team-proposals"
    headers = {**manager(world.lead), "Idempotency-Key": "teams-2026-11-24"}
    solves_before = await solves(matching)

    async def other_request_same_key() -> httpx.Response:
        await asyncio.sleep(0.02)  # after the first: solving or done, it is refused either way
        return await matching.post(path, json={"k": 1}, headers=headers)

    # Two at once (a client timing out and retrying), the key reused meanwhile with
    # another request, then a third later.
    first, twin, other_twin = await asyncio.gather(
        matching.post(path, json={"k": 2}, headers=headers),
        matching.post(path, json={"k": 2}, headers=headers),
        other_request_same_key(),
    )
    later = await matching.post(path, json={"k": 2}, headers=headers)
    assert await solves(matching) == solves_before + 1, "the twin waited, it did not solve"
    assert other_twin.status_code == 422, other_twin.text
    assert other_twin.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    for response in (first, twin, later):
        assert response.status_code == 200, response.text
    assert first.json() == twin.json() == later.json()
    assert later.headers["idempotent-replayed"] == "true"
    replays = [r.headers.get("idempotent-replayed") for r in (first, twin)]
    assert sorted(replays, key=str) == [None, "true"], "one computed, its twin replayed"

    conn = await asyncpg.connect(stack.dsn("matching"))
    try:
        stored = await conn.fetchval("SELECT count(*) FROM team_proposals")
    finally:
        await conn.close()
    assert stored == 2, "one request's proposals, not three"

    other_body = await matching.post(path, json={"k": 1}, headers=headers)
    assert other_body.status_code == 422
    assert other_body.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_an_accept_and_a_decline_racing_on_one_proposal_decide_it_once(
    stack: TestStack, matching: httpx.AsyncClient, world: World
) -> None:
    proposed = await matching.post(
        f"/v1/value-chains/{world.chain}/team-proposals", json={"k": 1}, headers=auth()
    )
    assert proposed.status_code == 200, proposed.text
    proposal_id = proposed.json()["proposals"][0]["id"]
    accept, decline = await asyncio.gather(
        matching.post(f"/v1/team-proposals/{proposal_id}/accept", headers=manager(world.lead)),
        matching.post(
            f"/v1/team-proposals/{proposal_id}/decline", json={}, headers=manager(world.lead)
        ),
    )
    assert sorted([accept.status_code, decline.status_code]) == [200, 409]
    winner = accept if accept.status_code == 200 else decline
    stored = await matching.get(f"/v1/team-proposals/{proposal_id}", headers=auth("viewer"))
    assert stored.json()["status"] == winner.json()["status"]
    events = [e for e in await outbox(stack, "matching") if "proposal" in e["type"]]
    assert len(events) == 1, "one decision, one event"
    assert events[0]["type"].endswith(f"proposal.{winner.json()['status']}.v1")


async def test_a_proposals_cursor_is_checked_and_bound_to_its_value_chain(
    matching: httpx.AsyncClient, world: World
) -> None:
    path = f"/v1/value-chains/{world.chain}/team-proposals"
    forged = encode_cursor([str(world.chain), "2024-01-01T00:00:00+00:00", 5, 1])
    other_chain = encode_cursor(
        [str(uuid.uuid4()), "2024-01-01T00:00:00+00:00", str(uuid.uuid4()), 1]
    )
    for cursor in (forged, other_chain, "garbage"):
        response = await matching.get(path, params={"cursor": cursor}, headers=auth("viewer"))
        assert response.status_code == 422, (cursor, response.text)
        assert response.json()["errors"][0]["loc"] == ["query", "cursor"]


async def test_a_member_placed_on_a_stage_it_hardly_fits_is_flagged_as_a_weak_fit(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    w = World()
    w.lead = await register(
        registry, "Health Logistics Cluster", "BE", kind="cluster_organisation", figures=LARGE
    )
    w.ids = {
        "courier": await register(
            registry,
            "Koerier Medisch BV",
            "NL",
            offers=offer("Cold-chain logistics of samples"),
            nace_codes=["H49.41"],
        ),
        "lab": await register(
            registry,
            "Laboratoire Diagnostic SA",
            "FR",
            offers=offer("Molecular diagnostics laboratory"),
            nace_codes=["N71.20"],
        ),
    }
    chain = await registry.post(
        "/v1/value-chains",
        json={
            "title": "Point-of-care testing",
            "lead_actor_ids": [w.lead],
            "stages": [
                {"name": "Sample logistics", "keywords": ["logistics"]},
                {"name": "Diagnostics", "description": "molecular laboratory and logistics"},
            ],
            "participants": [{"actor_id": w.lead, "role": "coordinator"}],
        },
        headers=manager(w.lead),
    )
    assert chain.status_code == 201, chain.text
    w.chain = chain.json()["id"]
    await until_projected(matching, w)

    # Room for the lead and one more: only the courier can cover both stages, and it
    # offers one of the four things Diagnostics asks for.
    response = await matching.post(
        f"/v1/value-chains/{w.chain}/team-proposals",
        json={
            "k": 1,
            "max_team_size": 2,
            "min_countries": 2,
            "min_entities": 2,
            "min_nace_sections": 1,
        },
        headers=manager(w.lead),
    )
    assert response.status_code == 200, response.text
    (proposal,) = response.json()["proposals"]
    courier = next(m for m in proposal["members"] if m["legal_name"] == "Koerier Medisch BV")
    fits = {s["name"]: (s["fit"], s["weak_fit"]) for s in courier["stages"]}
    assert fits == {"Sample logistics": (1.0, False), "Diagnostics": (0.25, True)}, fits
    assert proposal["weak_fits"] == [
        "Koerier Medisch BV is placed on stage 'Diagnostics' with a weak fit (0.25 of 1: under "
        "0.5, it offers less than half of what the stage asks for)"
    ]

    # With room for the lab, the strong fit wins and nothing is flagged.
    roomy = await matching.post(
        f"/v1/value-chains/{w.chain}/team-proposals",
        json={"k": 1, "max_team_size": 3, "min_countries": 2, "min_entities": 2},
        headers=manager(w.lead),
    )
    (best,) = roomy.json()["proposals"]
    placed = {s["name"]: m["legal_name"] for m in best["members"] for s in m["stages"]}
    assert placed == {
        "Sample logistics": "Koerier Medisch BV",
        "Diagnostics": "Laboratoire Diagnostic SA",
    }
    assert best["weak_fits"] == []
