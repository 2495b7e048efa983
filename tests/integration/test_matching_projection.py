"""matching's projection of the registry: actors with their ownership links, cluster
profiles and memberships, value chains; and a rebuild from the topics equals the live one."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from synergia_devstack.postgres import create_database, drop_database
from synergia_matching.app import create_app as create_matching
from synergia_matching.rebuild import RebuildRefused, rebuild_projections
from synergia_matching.settings import MatchingSettings
from synergia_shared.bus import create_producer
from synergia_shared.db import create_engine, create_session_factory
from synergia_shared.events.topics import REGISTRY_ACTOR

from tests.support.actors import MICRO
from tests.support.events import actor_event
from tests.support.matching import dump
from tests.support.stack import TEMPLATE_PREFIX, TestStack, auth, running_app, sqlalchemy_url


async def actor(registry: httpx.AsyncClient, name: str, country: str, **fields: Any) -> str:
    body = {"legal_name": name, "kind": "sme", "country": country, **fields}
    response = await registry.post("/v1/actors", json=body, headers=auth())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def build_world(registry: httpx.AsyncClient) -> dict[str, str]:
    """A small world touching every projected event type."""
    holding = await actor(registry, "Ceramica Holding SpA", "IT", kind="large_enterprise")
    sub = await actor(
        registry,
        "Ceramica Tech Srl",
        "IT",
        owners=[{"owner_actor_id": holding, "share_percent": "60"}],
        offers=[{"type": "technology_offer", "title": "Recycled ceramic powders"}],
        competences=["advanced_materials"],
    )
    recycler = await actor(
        registry,
        "Batteries Circulaires SAS",
        "FR",
        needs=[{"type": "technology_request", "title": "Battery recycling hydrometallurgy"}],
        financials=[{"year": y, **MICRO} for y in (2023, 2024)],
        contacts=[
            {
                "name": "Léa Martin",
                "email": "lea@bc.example.fr",
                "consent_given_at": "2026-01-15T10:00:00Z",
                "share_with_partners": True,
            }
        ],
    )
    gone = await actor(registry, "Closed Oy", "FI")
    cluster = await actor(registry, "Nordic Materials Cluster", "SE", kind="cluster_organisation")

    # An update, a deactivation and an erasure.
    current = await registry.get(f"/v1/actors/{sub}", headers=auth())
    patched = await registry.patch(
        f"/v1/actors/{sub}",
        json={"keywords": ["ceramics", "powder metallurgy"]},
        headers={**auth(), "If-Match": current.headers["etag"]},
    )
    assert patched.status_code == 200, patched.text
    erased = await registry.delete(f"/v1/actors/{recycler}/personal-data", headers=auth())
    assert erased.status_code == 204, erased.text

    profile = await registry.put(
        f"/v1/clusters/{cluster}/profile",
        json={"ecosystems": ["energy_intensive"], "s3_priorities": ["Advanced materials"]},
        headers={**auth(), "If-Match": '"0"'},
    )
    assert profile.status_code == 200, profile.text
    for member in (sub, recycler, gone):
        joined = await registry.post(
            f"/v1/clusters/{cluster}/members", json={"actor_id": member}, headers=auth()
        )
        assert joined.status_code == 201, joined.text
    left = await registry.post(
        f"/v1/clusters/{cluster}/members/{gone}/leave", json={}, headers=auth()
    )
    assert left.status_code == 200, left.text
    current = await registry.get(f"/v1/actors/{gone}", headers=auth())
    deactivated = await registry.post(
        f"/v1/actors/{gone}/deactivate",
        json={"reason": "closed"},
        headers={**auth(), "If-Match": current.headers["etag"]},
    )
    assert deactivated.status_code == 200, deactivated.text

    chain = await registry.post(
        "/v1/value-chains",
        json={
            "title": "Critical raw materials from waste",
            "lead_actor_ids": [cluster],
            "stages": [
                {"name": "Collection", "competences": ["logistics"]},
                {"name": "Recovery", "competences": ["materials_recycling"]},
            ],
            "participants": [
                {"actor_id": cluster, "role": "coordinator"},
                {"actor_id": recycler, "stage": 1, "role": "partner", "planned_budget": "250000"},
            ],
        },
        headers=auth(),
    )
    assert chain.status_code == 201, chain.text
    return {
        "holding": holding,
        "sub": sub,
        "recycler": recycler,
        "gone": gone,
        "cluster": cluster,
        "chain": chain.json()["id"],
    }


async def live_projection(stack: TestStack, ready: Any, timeout: float = 30.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        tables = await dump(stack.dsn("matching"))
        if ready(tables):
            return tables
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the live projection never got there: {tables}")
        await asyncio.sleep(0.1)


def live_matching(stack: TestStack) -> Any:
    """The matching app with its consumers; a rebuild runs once it has stopped (the
    rebuild takes the consumer groups over and refuses while live consumers hold them)."""
    settings = MatchingSettings(**stack.settings_kwargs("matching"))  # type: ignore[arg-type]
    return running_app(create_matching(settings), "http://matching")


async def test_projection_follows_the_registry_and_a_rebuild_equals_it(
    stack: TestStack, registry: httpx.AsyncClient
) -> None:
    ids = await build_world(registry)

    def ready(t: dict[str, list[dict[str, Any]]]) -> bool:
        by_id = {str(r["actor_id"]): r for r in t["actor_profiles"]}
        return (
            len(by_id) == 5
            and "powder metallurgy" in by_id[ids["sub"]]["keywords"]
            and not by_id[ids["gone"]]["active"]
            and by_id[ids["recycler"]]["shared_contacts"] == "[]"
            and any(m["left_on"] is not None for m in t["cluster_memberships"])
            and len(t["cluster_memberships"]) == 3
            and len(t["value_chains"]) == 1
            and len(t["cluster_profiles"]) == 1
        )

    async with live_matching(stack):
        live = await live_projection(stack, ready)

    # What matching needs to match, as the events told it.
    links = live["ownership_links"]
    assert [(str(r["actor_id"]), str(r["owner_actor_id"])) for r in links] == [
        (ids["sub"], ids["holding"])
    ]
    sub = next(r for r in live["actor_profiles"] if str(r["actor_id"]) == ids["sub"])
    assert "Recycled ceramic powders" in sub["offers_text"]
    assert "Advanced materials" in sub["offers_text"], "competence labels, not codes"
    assert "ceram" in sub["offers_document"], "English stems"
    recycler = next(r for r in live["actor_profiles"] if str(r["actor_id"]) == ids["recycler"])
    assert "hydrometallurgy" in recycler["needs_text"]
    assert recycler["sme_category"] == "micro"
    chain = live["value_chains"][0]
    assert str(chain["value_chain_id"]) == ids["chain"]
    assert [str(a) for a in chain["lead_actor_ids"]] == [ids["cluster"]]
    assert '"Recovery"' in chain["stages"]
    profile = live["cluster_profiles"][0]
    assert profile["s3_priorities"] == ["Advanced materials"]

    # Rebuild into a fresh database from the topics alone.
    rebuilt_db = f"{stack.database('matching')}_rebuilt"
    await create_database(stack.server_url, rebuilt_db, template=f"{TEMPLATE_PREFIX}matching")
    try:
        settings = MatchingSettings(
            **{  # type: ignore[arg-type]
                **stack.settings_kwargs("matching"),
                "database_url": sqlalchemy_url(stack.server_url, rebuilt_db),
            }
        )
        engine = create_engine(settings)
        try:
            report = await rebuild_projections(
                create_session_factory(engine), settings, reset=False
            )
        finally:
            await engine.dispose()
        assert report.failed == []
        assert report.applied == report.events_read >= 14, "every event, once"
        rebuilt = await dump(f"{stack.server_url.rsplit('/', 1)[0]}/{rebuilt_db}")
    finally:
        await drop_database(stack.server_url, rebuilt_db)

    assert rebuilt == live


async def test_a_rebuild_refuses_a_filled_projection_unless_reset(
    stack: TestStack, registry: httpx.AsyncClient
) -> None:
    actor_id = await actor(registry, "Lone Actor GmbH", "DE")
    async with live_matching(stack):
        await live_projection(stack, lambda t: len(t["actor_profiles"]) == 1)
    settings = MatchingSettings(**stack.settings_kwargs("matching"))  # type: ignore[arg-type]
    engine = create_engine(settings)
    try:
        sessions = create_session_factory(engine)
        with pytest.raises(RebuildRefused, match="not empty"):
            await rebuild_projections(sessions, settings, reset=False)
        report = await rebuild_projections(sessions, settings, reset=True)
    finally:
        await engine.dispose()
    assert report.failed == []
    tables = await dump(stack.dsn("matching"))
    assert [str(r["actor_id"]) for r in tables["actor_profiles"]] == [actor_id]


async def test_a_rebuild_reads_the_last_compressed_batch_of_every_partition(
    stack: TestStack,
) -> None:
    """Events published in big gzip batches (as the relay sends them) are all rebuilt,
    also where a broker reports a partition's end short of its last batch."""
    producer = create_producer(stack.kafka, "test-batches")
    await producer.start()
    try:
        sent = []
        for i in range(300):
            event = actor_event(f"Batch Actor {i}", country="PT")
            sent.append(
                await producer.send(
                    f"{stack.topic_prefix}{REGISTRY_ACTOR}",
                    value=event.to_bytes(),
                    key=event.subject.encode(),
                )
            )
        await asyncio.gather(*sent)
    finally:
        await producer.stop()

    settings = MatchingSettings(**stack.settings_kwargs("matching"))  # type: ignore[arg-type]
    engine = create_engine(settings)
    try:
        report = await rebuild_projections(create_session_factory(engine), settings, reset=False)
    finally:
        await engine.dispose()
    assert report.failed == []
    assert report.applied == 300
    tables = await dump(stack.dsn("matching"))
    assert len(tables["actor_profiles"]) == 300
