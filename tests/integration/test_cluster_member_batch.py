"""registry: POST /v1/clusters/{id}/members:batch-join records many memberships as one
change, each as POST …/members (and …/leave) would, against real PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.test_clusters_api import (
    MEMBER_JOINED,
    MEMBER_LEFT,
    assert_problem,
    cluster_events,
    create_actor,
    create_cluster,
    join,
)
from tests.support.stack import TestStack, auth


async def batch_join(
    registry: httpx.AsyncClient,
    cluster_id: str,
    items: list[dict[str, Any]],
    role: str = "admin",
    **headers: str,
) -> httpx.Response:
    return await registry.post(
        f"/v1/clusters/{cluster_id}/members:batch-join",
        json={"items": items},
        headers={**auth(role), **headers},
    )


async def members(registry: httpx.AsyncClient, cluster_id: str) -> list[dict[str, Any]]:
    response = await registry.get(
        f"/v1/clusters/{cluster_id}/members",
        params={"include_former": "true"},
        headers=auth("viewer"),
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_batch_records_each_membership_and_departure_with_events_in_order(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    cluster = await create_cluster(registry)
    first, second, third = [await create_actor(registry, f"Member {n}") for n in range(3)]
    assert (await join(registry, cluster, first, joined_on="2020-01-01")).status_code == 201

    response = await batch_join(
        registry,
        cluster,
        [
            {"actor_id": second, "joined_on": "2021-03-01", "committed": False},
            {"actor_id": third, "joined_on": "2019-05-01", "left_on": "2023-12-31"},
        ],
    )

    assert response.status_code == 201, response.text
    recorded = response.json()["items"]
    assert [(m["actor_id"], m["current"], m["left_on"]) for m in recorded] == [
        (second, True, None),
        (third, False, "2023-12-31"),
    ]
    assert recorded[0]["committed"] is False
    listed = {m["actor_id"]: m["current"] for m in await members(registry, cluster)}
    assert listed == {first: True, second: True, third: False}
    events = await cluster_events(stack)
    assert [(e["type"], e["data"]["member_actor_id"], e["sequence"]) for e in events] == [
        (MEMBER_JOINED, first, 1),
        (MEMBER_JOINED, second, 2),
        (MEMBER_JOINED, third, 3),
        (MEMBER_LEFT, third, 4),
    ]
    cluster_view = await registry.get(f"/v1/clusters/{cluster}", headers=auth("viewer"))
    assert cluster_view.json()["version"] == 4
    assert cluster_view.json()["member_count"] == 2


async def test_one_bad_item_refuses_the_batch_naming_each_item(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    cluster = await create_cluster(registry)
    good = await create_actor(registry, "Good Member")
    unknown = "00000000-0000-4000-8000-000000000001"
    response = await batch_join(
        registry,
        cluster,
        [
            {"actor_id": good},
            {"actor_id": unknown},
            {"actor_id": cluster},
            {"actor_id": good},
            {"actor_id": good, "joined_on": "2099-01-01"},
        ],
    )
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["errors"]] == [
        ["body", "items", 1, "actor_id"],
        ["body", "items", 2, "actor_id"],
        ["body", "items", 3, "actor_id"],
        ["body", "items", 4, "actor_id"],
    ]
    left_too_early = await batch_join(
        registry, cluster, [{"actor_id": good, "joined_on": "2022-01-01", "left_on": "2021-01-01"}]
    )
    assert_problem(left_too_early, 422, ["body", "items", 0, "left_on"])
    assert await members(registry, cluster) == []
    assert await cluster_events(stack) == []


async def test_an_actor_already_a_current_member_is_a_409_and_nothing_is_written(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    cluster = await create_cluster(registry)
    member, newcomer = [await create_actor(registry, f"Actor {n}") for n in range(2)]
    assert (await join(registry, cluster, member)).status_code == 201
    response = await batch_join(registry, cluster, [{"actor_id": newcomer}, {"actor_id": member}])
    assert_problem(response, 409)
    assert "item 1" in response.json()["detail"]
    assert [m["actor_id"] for m in await members(registry, cluster)] == [member]
    assert len(await cluster_events(stack)) == 1


async def test_a_retry_with_the_same_key_replays_and_others_may_not_write(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    cluster = await create_cluster(registry)
    member = await create_actor(registry, "Retried Member")
    items = [{"actor_id": member, "joined_on": "2024-02-01"}]
    first = await batch_join(registry, cluster, items, **{"Idempotency-Key": "members-1"})
    again = await batch_join(registry, cluster, items, **{"Idempotency-Key": "members-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(await cluster_events(stack)) == 1
    other = await create_actor(registry, "Other Member")
    refused = await batch_join(registry, cluster, [{"actor_id": other}], role="sme")
    assert refused.status_code == 403, refused.text
