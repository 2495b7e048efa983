"""registry: /v1/clusters against real PostgreSQL, with the outbox in the same transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from synergia_registry.clusters.repository import current_cluster_ids_of
from synergia_shared.db import create_session_factory, unit_of_work

from tests.support.stack import TestStack, auth

CLUSTER_TOPIC = "registry.cluster"
PROFILE_UPDATED = "eu.synergia.registry.cluster.profile-updated.v1"
MEMBER_JOINED = "eu.synergia.registry.cluster.member-joined.v1"
MEMBER_LEFT = "eu.synergia.registry.cluster.member-left.v1"

PROFILE = {
    "ecosystems": ["agri_food", "digital", "agri_food"],
    "s3_priorities": ["Agro-food value chains", "Precision agriculture"],
    "esca_label": "silver",
    "esca_valid_until": "2099-06-30",
    "management_fte": "2.5",
}
# A cluster's first profile is based on version 0, the ETag its GET shows before.
FIRST = {"If-Match": '"0"'}
FIRST_WRITE = {**auth("admin"), **FIRST}


# --- helpers -------------------------------------------------------------------------------


async def create_actor(
    registry: httpx.AsyncClient, name: str, kind: str = "sme", country: str = "DE"
) -> str:
    response = await registry.post(
        "/v1/actors",
        json={"legal_name": name, "kind": kind, "country": country},
        headers=auth("admin"),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def create_cluster(
    registry: httpx.AsyncClient, name: str = "Olympic Agri-Food Cluster", country: str = "GR"
) -> str:
    return await create_actor(registry, name, "cluster_organisation", country)


async def join(
    registry: httpx.AsyncClient,
    cluster_id: str,
    actor_id: str,
    headers: dict[str, str] | None = None,
    **body: Any,
) -> httpx.Response:
    return await registry.post(
        f"/v1/clusters/{cluster_id}/members",
        json={"actor_id": actor_id, **body},
        headers=headers or auth("admin"),
    )


async def cluster_events(stack: TestStack) -> list[dict[str, Any]]:
    """The registry.cluster events in the outbox, in order, as CloudEvents."""
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        rows = await conn.fetch(
            "SELECT event_type, aggregate_id, aggregate_type, payload FROM outbox "
            "WHERE topic = $1 ORDER BY id",
            CLUSTER_TOPIC,
        )
    finally:
        await conn.close()
    events = []
    for row in rows:
        envelope = json.loads(row["payload"])
        assert envelope["type"] == row["event_type"]
        assert envelope["subject"] == row["aggregate_id"]
        assert row["aggregate_type"] == "cluster"
        events.append(envelope)
    return events


async def db_today(stack: TestStack) -> date:
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        value: date = await conn.fetchval("SELECT current_date")
        return value
    finally:
        await conn.close()


async def sql(stack: TestStack, statement: str, *args: object) -> None:
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        await conn.execute(statement, *args)
    finally:
        await conn.close()


def assert_problem(response: httpx.Response, status: int, loc: list[Any] | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    if loc is not None:
        assert [e["loc"] for e in problem["errors"]] == [loc], problem


# --- profile ---------------------------------------------------------------------------------


async def test_first_profile_needs_no_if_match_and_then_if_match_is_required(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    cluster_id = await create_cluster(registry)

    before = await registry.get(f"/v1/clusters/{cluster_id}", headers=auth("viewer"))
    assert before.status_code == 200
    assert before.headers["etag"] == '"0"'
    assert before.json()["version"] == 0
    assert before.json()["ecosystems"] == []
    assert before.json()["esca_label"] is None

    put = await registry.put(
        f"/v1/clusters/{cluster_id}/profile", json=PROFILE, headers=FIRST_WRITE
    )
    assert put.status_code == 200, put.text
    assert put.headers["etag"] == '"1"'
    body = put.json()
    assert body["id"] == cluster_id
    assert body["country"] == "EL"
    assert body["ecosystems"] == ["agri_food", "digital"], "repeats dropped, order kept"
    assert body["s3_priorities"] == PROFILE["s3_priorities"]
    assert body["esca_label"] == "silver"
    assert body["esca_valid_until"] == "2099-06-30"
    assert body["esca_label_valid"] is True
    assert body["management_fte"] == "2.50"
    assert body["version"] == 1
    assert body["member_count"] == 0
    assert body["completeness"]["complete"] is False

    fetched = await registry.get(f"/v1/clusters/{cluster_id}", headers=auth("investor"))
    assert fetched.json() == body
    assert fetched.headers["etag"] == '"1"'

    events = await cluster_events(stack)
    assert len(events) == 1
    assert events[0]["type"] == PROFILE_UPDATED
    assert events[0]["subject"] == cluster_id
    assert events[0]["sequence"] == 1
    assert events[0]["data"] == {
        "cluster_id": cluster_id,
        "ecosystems": ["agri_food", "digital"],
        "s3_priorities": PROFILE["s3_priorities"],
        "esca_label": "silver",
        "esca_valid_until": "2099-06-30",
        "management_fte": "2.50",
        "version": 1,
    }

    blind = await registry.put(f"/v1/clusters/{cluster_id}/profile", json={}, headers=auth("admin"))
    assert_problem(blind, 428)
    stale = await registry.put(
        f"/v1/clusters/{cluster_id}/profile",
        json={},
        headers={**auth("admin"), "If-Match": '"0"'},
    )
    assert_problem(stale, 412)
    assert stale.headers["etag"] == '"1"'
    garbage = await registry.put(
        f"/v1/clusters/{cluster_id}/profile",
        json={},
        headers={**auth("admin"), "If-Match": "yesterday"},
    )
    assert_problem(garbage, 422, ["header", "If-Match"])

    cleared = await registry.put(
        f"/v1/clusters/{cluster_id}/profile",
        json={"management_fte": 0.5},
        headers={**auth("admin"), "If-Match": '"1"'},
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.headers["etag"] == '"2"'
    assert cleared.json()["ecosystems"] == [], "PUT replaces the whole profile"
    assert cleared.json()["esca_label"] is None
    assert cleared.json()["management_fte"] == "0.50"
    assert [e["sequence"] for e in await cluster_events(stack)] == [1, 2]


async def test_a_stale_if_match_on_a_fresh_cluster_is_412(registry: httpx.AsyncClient) -> None:
    cluster_id = await create_cluster(registry)
    response = await registry.put(
        f"/v1/clusters/{cluster_id}/profile",
        json=PROFILE,
        headers={**auth("admin"), "If-Match": '"3"'},
    )
    assert_problem(response, 412)


@pytest.mark.parametrize(
    ("patch", "loc", "needle"),
    [
        ({"ecosystems": ["agri_food", "space_mining"]}, ["body", "ecosystems", 1], "Input should"),
        ({"esca_label": "platinum"}, ["body", "esca_label"], "Input should"),
        ({"esca_valid_until": None}, ["body", "esca_valid_until"], "required with an esca_label"),
        (
            {"esca_label": None},
            ["body", "esca_valid_until"],
            "only allowed with an esca_label",
        ),
        ({"management_fte": "-1"}, ["body", "management_fte"], "greater than or equal"),
        ({"management_fte": "0.125"}, ["body", "management_fte"], "decimal places"),
        ({"s3_priorities": ["  "]}, ["body", "s3_priorities", 0], "at least 1 character"),
        ({"colour": "blue"}, ["body", "colour"], "unknown field"),
    ],
)
async def test_bad_profile_is_a_422_naming_the_field(
    registry: httpx.AsyncClient,
    stack: TestStack,
    patch: dict[str, Any],
    loc: list[Any],
    needle: str,
) -> None:
    cluster_id = await create_cluster(registry)
    response = await registry.put(
        f"/v1/clusters/{cluster_id}/profile", json={**PROFILE, **patch}, headers=FIRST_WRITE
    )
    assert_problem(response, 422)
    errors = response.json()["errors"]
    assert any(e["loc"] == loc and needle in e["msg"] for e in errors), errors
    assert await cluster_events(stack) == [], "nothing half-applied"


async def test_profile_of_an_actor_that_is_not_a_cluster_is_422_and_of_none_404(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await create_actor(registry, "Baltic Photonics UAB", "sme", "LT")
    not_cluster = await registry.put(
        f"/v1/clusters/{sme}/profile", json=PROFILE, headers=FIRST_WRITE
    )
    assert_problem(not_cluster, 422, ["path", "cluster_id"])
    assert "not a cluster_organisation" in not_cluster.json()["errors"][0]["msg"]

    missing = await registry.put(
        f"/v1/clusters/{uuid.uuid4()}/profile", json=PROFILE, headers=FIRST_WRITE
    )
    assert_problem(missing, 404)
    assert await cluster_events(stack) == []

    for path in ("", "/members", "/completeness"):
        for cluster in (sme, str(uuid.uuid4())):
            response = await registry.get(f"/v1/clusters/{cluster}{path}", headers=auth("viewer"))
            assert_problem(response, 404)


async def test_malformed_cluster_id_is_a_422_naming_the_path(
    registry: httpx.AsyncClient,
) -> None:
    response = await registry.get("/v1/clusters/not-a-uuid", headers=auth("viewer"))
    assert_problem(response, 422, ["path", "cluster_id"])


# --- members ---------------------------------------------------------------------------------


async def test_join_list_leave_and_rejoin_with_events_in_order(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    cluster_id = await create_cluster(registry)
    member_id = await create_actor(registry, "Thessaly Olive Oil S.A.", "sme", "GR")
    today = await db_today(stack)

    headers = {**auth("admin"), "Idempotency-Key": "join-thessaly-1"}
    joined = await join(registry, cluster_id, member_id, headers, joined_on="2024-01-15")
    assert joined.status_code == 201, joined.text
    member = joined.json()
    assert member["cluster_id"] == cluster_id
    assert member["actor_id"] == member_id
    assert member["legal_name"] == "Thessaly Olive Oil S.A."
    assert member["kind"] == "sme"
    assert member["country"] == "EL"
    assert member["joined_on"] == "2024-01-15"
    assert member["left_on"] is None
    assert member["committed"] is True
    assert member["current"] is True

    retry = await join(registry, cluster_id, member_id, headers, joined_on="2024-01-15")
    assert retry.status_code == 201
    assert retry.json() == member
    assert retry.headers["idempotent-replayed"] == "true"

    again = await join(registry, cluster_id, member_id)
    assert_problem(again, 409)

    cluster = await registry.get(f"/v1/clusters/{cluster_id}", headers=auth("viewer"))
    assert cluster.headers["etag"] == '"1"', "a membership change moves the cluster's version"
    assert cluster.json()["member_count"] == 1
    assert cluster.json()["committed_member_count"] == 1

    members = await registry.get(f"/v1/clusters/{cluster_id}/members", headers=auth("sme"))
    assert members.status_code == 200
    assert members.json() == {"items": [member], "next_cursor": None}

    left = await registry.post(
        f"/v1/clusters/{cluster_id}/members/{member_id}/leave", json={}, headers=auth("admin")
    )
    assert left.status_code == 200, left.text
    assert left.json()["left_on"] == today.isoformat()
    assert left.json()["current"] is False
    assert left.json()["membership_id"] == member["membership_id"]

    gone = await registry.post(
        f"/v1/clusters/{cluster_id}/members/{member_id}/leave", json={}, headers=auth("admin")
    )
    assert_problem(gone, 404)

    current = await registry.get(f"/v1/clusters/{cluster_id}/members", headers=auth("viewer"))
    assert current.json()["items"] == []
    history = await registry.get(
        f"/v1/clusters/{cluster_id}/members",
        params={"include_former": "true"},
        headers=auth("viewer"),
    )
    assert [m["membership_id"] for m in history.json()["items"]] == [member["membership_id"]]

    rejoined = await join(registry, cluster_id, member_id, committed=False)
    assert rejoined.status_code == 201, rejoined.text
    assert rejoined.json()["joined_on"] == today.isoformat()
    assert rejoined.json()["committed"] is False
    history = await registry.get(
        f"/v1/clusters/{cluster_id}/members",
        params={"include_former": "true"},
        headers=auth("viewer"),
    )
    assert len(history.json()["items"]) == 2

    events = await cluster_events(stack)
    assert [(e["type"], e["sequence"], e["subject"]) for e in events] == [
        (MEMBER_JOINED, 1, cluster_id),
        (MEMBER_LEFT, 2, cluster_id),
        (MEMBER_JOINED, 3, cluster_id),
    ]
    assert events[0]["data"] == {
        "cluster_id": cluster_id,
        "member_actor_id": member_id,
        "joined_on": "2024-01-15",
        "committed": True,
    }
    assert events[1]["data"] == {
        "cluster_id": cluster_id,
        "member_actor_id": member_id,
        "left_on": today.isoformat(),
    }
    assert events[2]["data"]["committed"] is False

    after = await registry.get(f"/v1/clusters/{cluster_id}", headers=auth("viewer"))
    assert after.headers["etag"] == '"3"'
    assert after.json()["member_count"] == 1
    assert after.json()["committed_member_count"] == 0

    stale_profile = await registry.put(
        f"/v1/clusters/{cluster_id}/profile",
        json=PROFILE,
        headers={**auth("admin"), "If-Match": '"1"'},
    )
    assert_problem(stale_profile, 412)
    profile = await registry.put(
        f"/v1/clusters/{cluster_id}/profile",
        json=PROFILE,
        headers={**auth("admin"), "If-Match": after.headers["etag"]},
    )
    assert profile.status_code == 200
    assert (await cluster_events(stack))[-1]["sequence"] == 4


async def test_a_scheduled_departure_keeps_the_member_current_until_then(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    cluster_id = await create_cluster(registry)
    member_id = await create_actor(registry, "Aristotle University of Thessaloniki", "university")
    today = await db_today(stack)
    assert (await join(registry, cluster_id, member_id)).status_code == 201
    later = (today + timedelta(days=30)).isoformat()

    scheduled = await registry.post(
        f"/v1/clusters/{cluster_id}/members/{member_id}/leave",
        json={"left_on": later},
        headers=auth("admin"),
    )
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["left_on"] == later
    assert scheduled.json()["current"] is True

    members = await registry.get(f"/v1/clusters/{cluster_id}/members", headers=auth("viewer"))
    assert [m["actor_id"] for m in members.json()["items"]] == [member_id]
    assert_problem(await join(registry, cluster_id, member_id), 409)
    again = await registry.post(
        f"/v1/clusters/{cluster_id}/members/{member_id}/leave", json={}, headers=auth("admin")
    )
    assert_problem(again, 409)


async def test_leaving_before_joining_is_422_and_a_non_member_404(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    cluster_id = await create_cluster(registry)
    member_id = await create_actor(registry, "Fraunhofer IPT", "research_organisation")
    stranger = await create_actor(registry, "Stranger GmbH")
    assert (await join(registry, cluster_id, member_id, joined_on="2025-05-01")).status_code == 201

    early = await registry.post(
        f"/v1/clusters/{cluster_id}/members/{member_id}/leave",
        json={"left_on": "2025-04-30"},
        headers=auth("admin"),
    )
    assert_problem(early, 422, ["body", "left_on"])

    not_member = await registry.post(
        f"/v1/clusters/{cluster_id}/members/{stranger}/leave", headers=auth("admin")
    )
    assert_problem(not_member, 404)
    unknown_cluster = await registry.post(
        f"/v1/clusters/{uuid.uuid4()}/members/{member_id}/leave", headers=auth("admin")
    )
    assert_problem(unknown_cluster, 404)
    bad_body = await registry.post(
        f"/v1/clusters/{cluster_id}/members/{member_id}/leave",
        json={"left_on": "soon"},
        headers=auth("admin"),
    )
    assert_problem(bad_body, 422, ["body", "left_on"])
    assert [e["type"] for e in await cluster_events(stack)] == [MEMBER_JOINED]


async def test_bad_joins_are_422_naming_the_field(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    cluster_id = await create_cluster(registry)
    other = await create_actor(registry, "Former Member Ltd")
    sme = await create_actor(registry, "Plain SME", "sme")
    today = await db_today(stack)
    tomorrow = (today + timedelta(days=1)).isoformat()

    unknown = await join(registry, cluster_id, str(uuid.uuid4()))
    assert_problem(unknown, 422, ["body", "actor_id"])
    itself = await join(registry, cluster_id, cluster_id)
    assert_problem(itself, 422, ["body", "actor_id"])
    future = await join(registry, cluster_id, other, joined_on=tomorrow)
    assert_problem(future, 422, ["body", "joined_on"])
    malformed = await join(registry, cluster_id, "not-a-uuid")
    assert_problem(malformed, 422, ["body", "actor_id"])
    extra = await join(registry, cluster_id, other, role="chair")
    assert_problem(extra, 422, ["body", "role"])

    # Overlap with the actor's previous membership of this cluster.
    assert (await join(registry, cluster_id, other, joined_on="2024-01-01")).status_code == 201
    left = await registry.post(
        f"/v1/clusters/{cluster_id}/members/{other}/leave",
        json={"left_on": "2024-06-01"},
        headers=auth("admin"),
    )
    assert left.status_code == 200
    overlap = await join(registry, cluster_id, other, joined_on="2024-05-01")
    assert_problem(overlap, 422, ["body", "joined_on"])

    # Deactivation is set directly in the database (here and below) so that this test does
    # not depend on the actors API's deactivation endpoint, which is being rewritten.
    await sql(stack, "UPDATE actors SET active = false WHERE id = $1", uuid.UUID(sme))
    deactivated = await join(registry, cluster_id, sme)
    assert_problem(deactivated, 422, ["body", "actor_id"])

    not_cluster = await join(registry, sme, other)
    assert_problem(not_cluster, 422, ["path", "cluster_id"])
    missing = await join(registry, str(uuid.uuid4()), other)
    assert_problem(missing, 404)

    await sql(stack, "UPDATE actors SET active = false WHERE id = $1", uuid.UUID(cluster_id))
    closed = await join(registry, cluster_id, await create_actor(registry, "Late SME"))
    assert_problem(closed, 409)

    assert [e["type"] for e in await cluster_events(stack)] == [MEMBER_JOINED, MEMBER_LEFT]


async def test_an_idempotency_key_reused_for_another_member_is_422(
    registry: httpx.AsyncClient,
) -> None:
    cluster_id = await create_cluster(registry)
    first = await create_actor(registry, "First SME")
    second = await create_actor(registry, "Second SME")
    headers = {**auth("admin"), "Idempotency-Key": "join-1"}
    assert (await join(registry, cluster_id, first, headers)).status_code == 201
    reused = await join(registry, cluster_id, second, headers)
    assert_problem(reused, 422, ["header", "Idempotency-Key"])


# --- completeness ------------------------------------------------------------------------------


async def test_completeness_reports_what_is_missing_until_the_cluster_is_complete(
    registry: httpx.AsyncClient,
) -> None:
    cluster_id = await create_cluster(registry)
    for i in range(13):
        sme = await create_actor(registry, f"Agri SME {i:02d}", "sme", "EL")
        assert (await join(registry, cluster_id, sme)).status_code == 201
    observer = await create_actor(registry, "University of Patras", "university", "EL")
    assert (await join(registry, cluster_id, observer, committed=False)).status_code == 201

    report = await registry.get(f"/v1/clusters/{cluster_id}/completeness", headers=auth("viewer"))
    assert report.status_code == 200
    body = report.json()
    assert body["cluster_id"] == cluster_id
    assert body["complete"] is False
    assert "European Cluster Collaboration Platform" in body["source"]
    criteria = {c["criterion"]: c for c in body["criteria"]}
    assert criteria["management_fte"] == {
        "criterion": "management_fte",
        "met": False,
        "value": None,
        "threshold": 0.5,
        "missing": "cluster management FTE not recorded; at least 0.5 FTE needed",
        "helix_groups": None,
    }
    assert criteria["committed_members"] == {
        "criterion": "committed_members",
        "met": False,
        "value": 13,
        "threshold": 15,
        "missing": "13 committed members, 2 more needed",
        "helix_groups": None,
    }
    assert criteria["member_types"]["met"] is False, "an uncommitted university does not count"
    assert criteria["member_types"]["helix_groups"] == ["business"]

    profile = await registry.put(
        f"/v1/clusters/{cluster_id}/profile",
        json={"management_fte": "0.5"},
        headers={**auth("admin"), "If-Match": '"14"'},
    )
    assert profile.status_code == 200, profile.text
    authority = await create_actor(registry, "Region of Thessaly", "public_authority", "EL")
    assert (await join(registry, cluster_id, authority)).status_code == 201
    almost = (await registry.get(f"/v1/clusters/{cluster_id}", headers=auth("viewer"))).json()
    assert almost["completeness"]["complete"] is False
    assert almost["member_count"] == 15
    assert almost["committed_member_count"] == 14

    university = await create_actor(registry, "Agricultural University of Athens", "university")
    assert (await join(registry, cluster_id, university)).status_code == 201
    done = await registry.get(f"/v1/clusters/{cluster_id}/completeness", headers=auth("viewer"))
    assert done.json()["complete"] is True
    criteria = {c["criterion"]: c for c in done.json()["criteria"]}
    assert criteria["management_fte"]["value"] == 0.5
    assert criteria["committed_members"]["value"] == 15
    assert criteria["member_types"]["value"] == 3
    assert criteria["member_types"]["helix_groups"] == ["business", "research_education", "public"]
    assert all(c["met"] and c["missing"] is None for c in criteria.values())


# --- lists -------------------------------------------------------------------------------------


async def page_through(
    registry: httpx.AsyncClient, path: str, limit: int, **params: str
) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": str(limit), **({"cursor": cursor} if cursor else {})}
        response = await registry.get(path, params=query, headers=auth("viewer"))
        assert response.status_code == 200, response.text
        pages.append(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "pagination does not end"


async def test_clusters_are_listed_by_name_across_pages_and_filtered(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    names = ["Delta Cluster", "Alpha Cluster", "Echo Cluster", "Bravo Cluster", "Charlie Cluster"]
    ids = {name: await create_cluster(registry, name, "DE") for name in names}
    greek = await create_cluster(registry, "Foxtrot Cluster", "GR")
    await create_actor(registry, "Not A Cluster AG", "sme", "DE")

    pages = await page_through(registry, "/v1/clusters", 2)
    assert [len(p) for p in pages] == [2, 2, 2]
    listed = [item["legal_name"] for page in pages for item in page]
    assert listed == sorted([*names, "Foxtrot Cluster"])
    first = pages[0][0]
    assert first["id"] == ids["Alpha Cluster"]
    assert first["version"] == 0
    assert first["member_count"] == 0
    assert first["ecosystems"] == []

    by_country = await registry.get(
        "/v1/clusters", params={"country": "gr"}, headers=auth("viewer")
    )
    assert [c["id"] for c in by_country.json()["items"]] == [greek], "GR finds the stored EL"

    await registry.put(
        f"/v1/clusters/{ids['Bravo Cluster']}/profile", json=PROFILE, headers=FIRST_WRITE
    )
    await registry.put(
        f"/v1/clusters/{ids['Delta Cluster']}/profile",
        json={**PROFILE, "ecosystems": ["health"], "esca_label": "gold"},
        headers=FIRST_WRITE,
    )
    expired = {**PROFILE, "esca_label": "gold", "esca_valid_until": "2020-12-31"}
    await registry.put(
        f"/v1/clusters/{ids['Echo Cluster']}/profile", json=expired, headers=FIRST_WRITE
    )

    digital = await registry.get(
        "/v1/clusters", params={"ecosystem": "digital"}, headers=auth("viewer")
    )
    assert [c["legal_name"] for c in digital.json()["items"]] == ["Bravo Cluster", "Echo Cluster"]
    gold = await registry.get("/v1/clusters", params={"esca_label": "gold"}, headers=auth("viewer"))
    assert [c["legal_name"] for c in gold.json()["items"]] == ["Delta Cluster"], (
        "an expired label does not match"
    )
    echo = await registry.get(f"/v1/clusters/{ids['Echo Cluster']}", headers=auth("viewer"))
    assert echo.json()["esca_label"] == "gold"
    assert echo.json()["esca_label_valid"] is False

    both = await page_through(registry, "/v1/clusters", 1, ecosystem="agri_food", country="DE")
    assert [item["legal_name"] for page in both for item in page] == [
        "Bravo Cluster",
        "Echo Cluster",
    ]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"country": "XX"}, ["query", "country"]),
        ({"ecosystem": "space_mining"}, ["query", "ecosystem"]),
        ({"esca_label": "platinum"}, ["query", "esca_label"]),
        ({"limit": "0"}, ["query", "limit"]),
        ({"limit": "201"}, ["query", "limit"]),
        ({"cursor": "not-a-cursor"}, ["query", "cursor"]),
    ],
)
async def test_bad_list_parameters_are_422_naming_them(
    registry: httpx.AsyncClient, params: dict[str, str], loc: list[str]
) -> None:
    response = await registry.get("/v1/clusters", params=params, headers=auth("viewer"))
    assert_problem(response, 422, loc)


async def test_members_are_listed_by_name_across_pages(
    registry: httpx.AsyncClient,
) -> None:
    cluster_id = await create_cluster(registry)
    names = ["Kappa SME", "Beta University", "Zeta Authority", "Alpha SME", "Mu Investor"]
    kinds = ["sme", "university", "public_authority", "sme", "investor"]
    for name, kind in zip(names, kinds, strict=True):
        actor = await create_actor(registry, name, kind)
        assert (await join(registry, cluster_id, actor)).status_code == 201

    path = f"/v1/clusters/{cluster_id}/members"
    pages = await page_through(registry, path, 2)
    assert [len(p) for p in pages] == [2, 2, 1]
    listed = [(m["legal_name"], m["kind"]) for page in pages for m in page]
    assert listed == sorted(zip(names, kinds, strict=True))

    bad = await registry.get(path, params={"cursor": "eyJ4Ijox"}, headers=auth("viewer"))
    assert_problem(bad, 422, ["query", "cursor"])


async def test_current_cluster_ids_of_an_actor(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    first = await create_cluster(registry, "First Cluster")
    second = await create_cluster(registry, "Second Cluster")
    former = await create_cluster(registry, "Former Cluster")
    member = await create_actor(registry, "Busy SME")
    for cluster_id in (first, second, former):
        assert (await join(registry, cluster_id, member, joined_on="2024-01-01")).status_code == 201
    await registry.post(
        f"/v1/clusters/{former}/members/{member}/leave",
        json={"left_on": "2024-12-31"},
        headers=auth("admin"),
    )

    engine = create_async_engine(stack.database_url("registry"))
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            found = await current_cluster_ids_of(session, uuid.UUID(member))
            nothing = await current_cluster_ids_of(session, uuid.uuid4())
    finally:
        await engine.dispose()
    assert sorted(found) == sorted([uuid.UUID(first), uuid.UUID(second)])
    assert nothing == []


# --- access ------------------------------------------------------------------------------------

Request = Callable[[httpx.AsyncClient, str, str, dict[str, str]], Awaitable[httpx.Response]]


def _get(path: str) -> Request:
    async def call(
        client: httpx.AsyncClient, cluster: str, member: str, headers: dict[str, str]
    ) -> httpx.Response:
        return await client.get(path.format(cluster=cluster, member=member), headers=headers)

    return call


def _post(path: str, body: dict[str, Any] | None, method: str = "POST", **extra: str) -> Request:
    async def call(
        client: httpx.AsyncClient, cluster: str, member: str, headers: dict[str, str]
    ) -> httpx.Response:
        payload = {k: v.format(member=member) for k, v in (body or {}).items()}
        return await client.request(
            method,
            path.format(cluster=cluster, member=member),
            json=payload,
            headers={**headers, **extra},
        )

    return call


READS: dict[str, Request] = {
    "listClusters": _get("/v1/clusters"),
    "getCluster": _get("/v1/clusters/{cluster}"),
    "listClusterMembers": _get("/v1/clusters/{cluster}/members"),
    "getClusterCompleteness": _get("/v1/clusters/{cluster}/completeness"),
}
WRITES: dict[str, Request] = {
    "updateClusterProfile": _post("/v1/clusters/{cluster}/profile", {}, "PUT", **FIRST),
    "addClusterMember": _post("/v1/clusters/{cluster}/members", {"actor_id": "{member}"}),
    "recordClusterMemberLeaving": _post("/v1/clusters/{cluster}/members/{member}/leave", {}),
}
ALL = {**READS, **WRITES}


@pytest.fixture
async def cluster_and_member(registry: httpx.AsyncClient) -> tuple[str, str]:
    return await create_cluster(registry), await create_actor(registry, "Member SME")


@pytest.mark.parametrize("operation", list(ALL))
async def test_every_endpoint_needs_a_token(
    registry: httpx.AsyncClient, cluster_and_member: tuple[str, str], operation: str
) -> None:
    cluster, member = cluster_and_member
    for headers in ({}, {"Authorization": "Bearer not.a.jwt"}):
        response = await ALL[operation](registry, cluster, member, headers)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("operation", list(READS))
async def test_reads_need_a_role(
    registry: httpx.AsyncClient, cluster_and_member: tuple[str, str], operation: str
) -> None:
    cluster, member = cluster_and_member
    roleless = await READS[operation](registry, cluster, member, auth("janitor"))
    assert_problem(roleless, 403)
    for role in ("viewer", "investor", "sme", "authority", "cluster_manager", "admin"):
        claims = {"region": "EL61"} if role == "authority" else {}
        allowed = await READS[operation](registry, cluster, member, auth(role, **claims))
        assert allowed.status_code == 200, (role, allowed.text)


@pytest.mark.parametrize("operation", list(WRITES))
async def test_writes_are_for_admins_and_the_clusters_own_manager(
    registry: httpx.AsyncClient,
    stack: TestStack,
    cluster_and_member: tuple[str, str],
    operation: str,
) -> None:
    cluster, member = cluster_and_member
    other_cluster = await create_cluster(registry, "Someone Else's Cluster")
    call = WRITES[operation]
    for role in ("viewer", "investor", "sme", "authority", "janitor"):
        claims = {"region": "EL61"} if role == "authority" else {}
        response = await call(registry, cluster, member, auth(role, actor_id=cluster, **claims))
        assert_problem(response, 403)
    for headers in (
        auth("cluster_manager", actor_id=other_cluster),
        auth("cluster_manager"),
        auth("sme", actor_id=cluster),
    ):
        response = await call(registry, cluster, member, headers)
        assert_problem(response, 403)
        assert "cluster" in response.json()["detail"]
    assert await cluster_events(stack) == [], "nothing was written by a forbidden caller"

    if operation == "recordClusterMemberLeaving":
        assert (await join(registry, cluster, member)).status_code == 201
    own = await call(registry, cluster, member, auth("cluster_manager", actor_id=cluster))
    assert own.status_code in (200, 201), own.text


async def test_a_cluster_manager_runs_its_own_cluster(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    cluster_id = await create_cluster(registry)
    member_id = await create_actor(registry, "Managed Member SME")
    manager = auth("cluster_manager", actor_id=cluster_id)

    profile = await registry.put(
        f"/v1/clusters/{cluster_id}/profile", json=PROFILE, headers={**manager, **FIRST}
    )
    assert profile.status_code == 200
    joined = await join(registry, cluster_id, member_id, manager)
    assert joined.status_code == 201
    left = await registry.post(
        f"/v1/clusters/{cluster_id}/members/{member_id}/leave", json={}, headers=manager
    )
    assert left.status_code == 200
    assert [e["type"] for e in await cluster_events(stack)] == [
        PROFILE_UPDATED,
        MEMBER_JOINED,
        MEMBER_LEFT,
    ]
