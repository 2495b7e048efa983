"""`make demo`: the demo data set loads through the public API, and loading it again adds
nothing. A smaller size than `make demo`'s 2,000 actors, same code path."""

from __future__ import annotations

from collections import Counter
from typing import Any

import asyncpg
import httpx
from synergia_devstack.demo import DemoSize, generate, load

from tests.support.stack import TestStack, auth, token

SIZE = DemoSize(actors=120, clusters=4, value_chains=3)
SEED = 7
# The subject `synergia-dev demo` uses: Idempotency-Keys are kept per caller.
ADMIN = token("admin", subject="dev-admin")


async def _pages(registry: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
        response = await registry.get(path, params=query, headers=auth("viewer"))
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def _snapshot(registry: httpx.AsyncClient, stack: TestStack) -> dict[str, Any]:
    """What a second run must not change: every list the frontends read, and the events."""
    clusters = await _pages(registry, "/v1/clusters")
    members = {
        c["id"]: sorted(
            m["actor_id"]
            for m in await _pages(
                registry, f"/v1/clusters/{c['id']}/members", include_former="true"
            )
        )
        for c in clusters
    }
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        events = await conn.fetchval("SELECT count(*) FROM outbox")
    finally:
        await conn.close()
    return {
        "actors": sorted((a["id"], a["version"]) for a in await _pages(registry, "/v1/actors")),
        "clusters": sorted((c["id"], c["version"], c["member_count"]) for c in clusters),
        "members": members,
        "value_chains": sorted(
            (v["id"], v["version"], v["status"]) for v in await _pages(registry, "/v1/value-chains")
        ),
        "events": events,
    }


async def test_demo_loads_a_realistic_data_set_through_the_api(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    plan = generate(SEED, SIZE)
    report = await load(registry, plan, token=ADMIN, concurrency=8)
    assert report.problems == []
    assert report.actors.created == SIZE.actors

    actors = await _pages(registry, "/v1/actors")
    assert len(actors) == SIZE.actors
    # Every country of the vocabulary fits in 120 actors: at least 20, with EL, the UK,
    # associated countries and a third country among them.
    countries = {a["country"] for a in actors}
    assert len(countries) >= 20
    assert {"EL", "UK", "NO", "CH", "IL", "TR", "RS"} <= countries
    assert "third_country" in {a["country_standing"] for a in actors}
    kinds = Counter(a["kind"] for a in actors)
    assert kinds["sme"] > SIZE.actors / 2
    assert kinds["cluster_organisation"] == SIZE.clusters
    smes = [a for a in actors if a["kind"] == "sme"]
    computed = [a for a in smes if a["sme"]["computed"] in ("micro", "small", "medium")]
    assert len(computed) >= 0.9 * len(smes)
    assert all(a["nace_codes"] and a["ecosystems"] and a["competences"] for a in actors)
    assert all(a["nuts_code"] for a in actors if a["country"] not in ("IL", "US", "JP"))
    assert sum(1 for a in actors if a["offers"] or a["needs"]) > SIZE.actors / 2
    assert any(a["owners"] for a in actors)
    # The search filters find what the plan put there.
    search = await _pages(registry, "/v1/actors", kind="cluster_organisation")
    assert len(search) == SIZE.clusters
    assert len(await _pages(registry, "/v1/actors", country="GR")) == sum(
        1 for a in plan.actors if a.country == "EL"
    )

    clusters = await _pages(registry, "/v1/clusters")
    assert len(clusters) == SIZE.clusters
    for cluster in clusters:
        planned = next(c for c in plan.clusters if report.ids[c.actor_key] == cluster["id"])
        current = [m for m in planned.members if m.left_on is None]
        assert cluster["member_count"] == len(current) >= 8
        assert cluster["ecosystems"] == planned.profile["ecosystems"]

    chains = await _pages(registry, "/v1/value-chains")
    assert Counter(v["status"] for v in chains) == {"formed": 1, "open": 1, "draft": 1}
    by_id = {a["id"]: a for a in actors}
    for chain in chains:
        assert 4 <= len(chain["stages"]) <= 6
        assert len({by_id[p["actor_id"]]["country"] for p in chain["participants"]}) >= 3
        response = await registry.get(
            f"/v1/value-chains/{chain['id']}/eligibility", headers=auth("viewer")
        )
        assert response.status_code == 200, response.text
        assert response.json()["eligible"] is True, response.text

    assert report.created == (
        SIZE.actors
        + SIZE.clusters
        + report.memberships.created
        + report.departures.created
        + SIZE.value_chains
        + report.transitions.created
    )
    assert report.memberships.created == sum(len(c.members) for c in plan.clusters)
    assert report.transitions.created == 3  # draft → open → formed, and draft → open


async def test_the_demo_registers_actors_in_batches_and_says_how_far_it_is(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    """`make demo` must not be silent for minutes nor send a request per actor: the actors
    go in batches (POST /v1/actors:batch-create) and each step reports its progress."""
    lines: list[str] = []
    sent: Counter[str] = Counter()

    async def record(request: httpx.Request) -> None:
        sent[f"{request.method} {request.url.path}"] += 1

    registry.event_hooks["request"].append(record)
    report = await load(
        registry, generate(SEED, SIZE), token=ADMIN, concurrency=8, log=lines.append
    )
    assert report.actors.created == SIZE.actors
    assert sent["POST /v1/actors"] == 0
    # At this size, one batch of the owners and one of the actors they own.
    assert sent["POST /v1/actors:batch-create"] == 2
    actors_done = [line for line in lines if line.startswith(f"actors: {SIZE.actors}/")]
    assert actors_done
    assert "100 %" in actors_done[0]
    for step in ("cluster memberships", "value chains"):
        assert any(line.startswith(f"{step}: ") and "100 %" in line for line in lines), lines
    # Progress comes before each step's summary, in the order the steps run.
    order = [line.split(":")[0] for line in lines]
    assert order.index("actors") < order.index("cluster memberships") < order.index("value chains")


async def test_a_second_run_creates_nothing(registry: httpx.AsyncClient, stack: TestStack) -> None:
    plan = generate(SEED, SIZE)
    first = await load(registry, plan, token=ADMIN, concurrency=8)
    before = await _snapshot(registry, stack)

    second = await load(registry, plan, token=ADMIN, concurrency=8)

    assert second.created == 0, second.render()
    assert second.actors.replayed == SIZE.actors
    assert second.memberships.replayed == first.memberships.created
    assert second.value_chains.replayed == SIZE.value_chains
    assert second.ids == first.ids
    assert second.problems == []
    assert await _snapshot(registry, stack) == before
