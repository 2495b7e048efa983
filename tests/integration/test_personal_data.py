"""Personal data in the registry and where its copies go: the shared-contacts endpoint
and its credential, who may erase, erasure by e-mail across actors, the Idempotency-Key
answers, and the fetcher that brings shared contacts to matching (retried while the
registry is away, never written back after an erasure)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.ext.asyncio import create_async_engine
from synergia_devstack.ports import free_port
from synergia_matching.profiles import consumers as matching_consumers
from synergia_matching.profiles.models import CONTACT_TABLES
from synergia_registry.app import create_app as create_registry
from synergia_registry.settings import RegistrySettings
from synergia_shared.db import SessionFactory, create_session_factory, unit_of_work
from synergia_shared.events.base import EventData
from synergia_shared.events.registry import (
    ActorKind,
    ActorPersonalDataErasedV1,
    ActorRegisteredV1,
)
from synergia_shared.messaging.outbox import build_event
from synergia_shared.projections import contact_fetches
from synergia_shared.projections.contact_fetcher import ContactFetcher
from synergia_shared.settings import DEV_SHARED_CONTACTS_KEY

from tests.support.stack import TestStack, auth

CONSENT = "2026-01-15T10:00:00Z"
SHARED = {"name": "Maja Novak", "email": "maja.novak@lumen.example.si", "role": "CEO"}
PRIVATE = {"name": "Tine Kralj", "email": "tine.kralj@lumen.example.si"}
PROFILE: dict[str, Any] = {
    "legal_name": "Lumen Optics d.o.o.",
    "kind": "sme",
    "country": "SI",
    "contacts": [
        {**SHARED, "consent_given_at": CONSENT, "share_with_partners": True},
        {**PRIVATE, "consent_given_at": CONSENT},
    ],
}
SERVICE_KEY = {"X-API-Key": DEV_SHARED_CONTACTS_KEY}


@pytest.fixture
async def registry_app(stack: TestStack) -> AsyncIterator[Any]:
    app = create_registry(RegistrySettings(**stack.settings_kwargs("registry")))  # type: ignore[arg-type]
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        yield manager.app


@pytest.fixture
async def registry(registry_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=registry_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
        yield client


async def create(registry: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> Any:
    response = await registry.post("/v1/actors", json=body, headers={**auth("admin"), **headers})
    assert response.status_code == 201, response.text
    return response.json()


async def registry_rows(stack: TestStack, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


# --- the endpoint the services fetch from ------------------------------------------------


async def test_the_shared_contacts_endpoint_gives_only_shared_ones_to_its_credential(
    registry: httpx.AsyncClient,
) -> None:
    actor = await create(registry, PROFILE)
    path = f"/v1/actors/{actor['id']}/shared-contacts"

    answer = await registry.get(path, headers=SERVICE_KEY)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"actor_id": actor["id"], "version": 1, "contacts": [SHARED]}
    assert (await registry.get(path, headers=auth("admin"))).status_code == 200

    for who in (
        auth("sme", actor_id=actor["id"]),
        auth("viewer"),
        auth("investor", actor_id=actor["id"]),
        auth("cluster_manager"),
    ):
        refused = await registry.get(path, headers=who)
        assert refused.status_code == 403, refused.text
        assert "registry:shared-contacts:read" in refused.json()["detail"]
    assert (await registry.get(path)).status_code == 401
    assert (await registry.get(path, headers={"X-API-Key": "guessed"})).status_code == 401

    # Least privilege: the services' key opens nothing else.
    for method, other in (
        ("GET", f"/v1/actors/{actor['id']}"),
        ("GET", "/v1/actors"),
        ("GET", f"/v1/actors/{actor['id']}/personal-data"),
        ("DELETE", f"/v1/actors/{actor['id']}/personal-data"),
    ):
        assert (await registry.request(method, other, headers=SERVICE_KEY)).status_code == 403

    missing = await registry.get(f"/v1/actors/{uuid.uuid4()}/shared-contacts", headers=SERVICE_KEY)
    assert missing.status_code == 404


# --- who may erase -----------------------------------------------------------------------


async def test_erasure_needs_a_role_that_may_write_the_actor(
    registry: httpx.AsyncClient,
) -> None:
    actor = await create(registry, PROFILE)
    path = f"/v1/actors/{actor['id']}/personal-data"
    for role in ("viewer", "investor", "authority"):
        refused = await registry.delete(
            path, headers=auth(role, actor_id=actor["id"], region="SI0")
        )
        assert refused.status_code == 403, f"{role} acting for the actor: {refused.text}"
    other = await registry.delete(path, headers=auth("sme", actor_id=str(uuid.uuid4())))
    assert other.status_code == 403, "an SME acting for another actor"
    kept = await registry.get(path, headers=auth("admin"))
    assert len(kept.json()["contacts"]) == 2, "nothing erased by a refused request"

    done = await registry.delete(path, headers=auth("sme", actor_id=actor["id"]))
    assert done.status_code == 204, done.text
    assert (await registry.get(path, headers=auth("admin"))).json()["contacts"] == []

    manager = await create(registry, {**PROFILE, "kind": "cluster_organisation"})
    own = f"/v1/actors/{manager['id']}/personal-data"
    as_manager = await registry.delete(own, headers=auth("cluster_manager", actor_id=manager["id"]))
    assert as_manager.status_code == 204
    assert (await registry.delete(own, headers=auth("admin"))).status_code == 204, "repeatable"
    gone = await registry.delete(f"/v1/actors/{uuid.uuid4()}/personal-data", headers=auth())
    assert gone.status_code == 404


# --- the Idempotency-Key answer ----------------------------------------------------------


async def test_erasure_takes_the_contacts_out_of_the_stored_idempotent_answer(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    key = {"Idempotency-Key": f"create-{uuid.uuid4()}"}
    actor = await create(registry, PROFILE, **key)
    replay = await registry.post("/v1/actors", json=PROFILE, headers={**auth("admin"), **key})
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert [c["name"] for c in replay.json()["contacts"]] == [SHARED["name"], PRIVATE["name"]]

    erased = await registry.delete(f"/v1/actors/{actor['id']}/personal-data", headers=auth())
    assert erased.status_code == 204

    stored = await registry_rows(stack, "SELECT response_body FROM idempotency_keys")
    assert stored, "the answer is still kept for retries"
    for row in stored:
        body = bytes(row["response_body"]).decode()
        for value in (*SHARED.values(), *PRIVATE.values()):
            assert value not in body
    again = await registry.post("/v1/actors", json=PROFILE, headers={**auth("admin"), **key})
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true", "a retry still gets its answer"
    assert again.json()["id"] == actor["id"]
    assert again.json()["contacts"] == []


# --- a data subject's request, by e-mail --------------------------------------------------


async def test_a_person_is_found_and_erased_by_email_across_actors(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    colleague = {"name": "Ana Zupan", "email": "ana@lumen.example.si"}
    first = await create(
        registry,
        {
            **PROFILE,
            "contacts": [
                {**SHARED, "consent_given_at": CONSENT, "share_with_partners": True},
                {**colleague, "consent_given_at": CONSENT, "share_with_partners": True},
            ],
        },
    )
    second = await create(
        registry,
        {
            "legal_name": "Adriatic Lasers d.o.o.",
            "kind": "sme",
            "country": "HR",
            "contacts": [
                {
                    "name": "M. Novak",
                    "email": "Maja.Novak@LUMEN.example.si",
                    "consent_given_at": CONSENT,
                }
            ],
        },
    )
    untouched = await create(
        registry, {**PROFILE, "contacts": [{**colleague, "consent_given_at": CONSENT}]}
    )
    query = {"email": "maja.novak@lumen.example.si"}

    for role in ("sme", "viewer", "cluster_manager"):
        for op in ("find", "erase"):
            refused = await registry.post(f"/v1/personal-data:{op}", json=query, headers=auth(role))
            assert refused.status_code == 403, f"{role} {op}"
    bad = await registry.post(
        "/v1/personal-data:find", json={"email": "not an e-mail"}, headers=auth()
    )
    assert bad.status_code == 422

    found = await registry.post("/v1/personal-data:find", json=query, headers=auth())
    assert found.status_code == 200, found.text
    holders = {(c["actor_id"], c["name"]) for c in found.json()["contacts"]}
    assert holders == {(first["id"], "Maja Novak"), (second["id"], "M. Novak")}, "any case"

    erased = await registry.post("/v1/personal-data:erase", json=query, headers=auth())
    assert erased.status_code == 200, erased.text
    assert sorted((a["actor_id"], a["contacts_erased"]) for a in erased.json()["actors"]) == sorted(
        [(first["id"], 1), (second["id"], 1)]
    )
    assert (await registry.post("/v1/personal-data:find", json=query, headers=auth())).json()[
        "contacts"
    ] == []
    left = await registry.get(f"/v1/actors/{first['id']}/personal-data", headers=auth())
    assert [c["name"] for c in left.json()["contacts"]] == ["Ana Zupan"], "the others stay"
    kept = await registry.get(f"/v1/actors/{untouched['id']}/personal-data", headers=auth())
    assert len(kept.json()["contacts"]) == 1

    events = await registry_rows(
        stack,
        "SELECT aggregate_id, payload FROM outbox WHERE event_type = $1 ORDER BY id",
        "eu.synergia.registry.actor.personal-data-erased.v1",
    )
    announced = {r["aggregate_id"]: json.loads(r["payload"])["data"] for r in events}
    assert set(announced) == {first["id"], second["id"]}
    assert announced[first["id"]]["shared_contacts_count"] == 1, "Ana is still shared"
    assert announced[second["id"]]["shared_contacts_count"] == 0

    again = await registry.post("/v1/personal-data:erase", json=query, headers=auth())
    assert again.json()["actors"] == [], "nothing more to erase, nothing announced"
    assert (
        len(
            await registry_rows(
                stack,
                "SELECT 1 FROM outbox WHERE event_type = $1",
                "eu.synergia.registry.actor.personal-data-erased.v1",
            )
        )
        == 2
    )


# --- the fetcher ---------------------------------------------------------------------------


class Switchable(httpx.AsyncBaseTransport):
    """The registry's real app, or nothing listening (``down``); ``before_answer`` runs
    after the registry answered and before the fetcher gets the answer."""

    def __init__(self, app: Any) -> None:
        self.registry = httpx.ASGITransport(app=app)
        self.nowhere = httpx.AsyncHTTPTransport()
        self.down = False
        self.before_answer: Any = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            request.url = request.url.copy_with(host="127.0.0.1", port=free_port())
            return await self.nowhere.handle_async_request(request)
        response = await self.registry.handle_async_request(request)
        if self.before_answer is not None:
            await self.before_answer()
        return response


@pytest.fixture
async def matching_sessions(stack: TestStack) -> AsyncIterator[SessionFactory]:
    engine = create_async_engine(stack.database_url("matching"))
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def apply(sessions: SessionFactory, actor_id: str, data: EventData, sequence: int) -> None:
    event = build_event(data, subject=actor_id, sequence=sequence)
    assert await matching_consumers.actor_projection().apply(sessions, event, data)


def registered(actor_id: str, shared: int) -> ActorRegisteredV1:
    return ActorRegisteredV1(
        actor_id=uuid.UUID(actor_id),
        legal_name=PROFILE["legal_name"],
        kind=ActorKind.SME,
        country="SI",
        registered_at=datetime.now(UTC),
        shared_contacts_count=shared,
    )


async def matching_row(stack: TestStack, actor_id: str) -> asyncpg.Record:
    conn = await asyncpg.connect(stack.dsn("matching"))
    try:
        return await conn.fetchrow(
            "SELECT p.shared_contacts::text AS contacts, f.attempts, f.last_error, "
            "f.due_at > now() AS waiting, f.actor_id IS NOT NULL AS pending "
            "FROM actor_profiles p LEFT JOIN shared_contact_fetches f USING (actor_id) "
            "WHERE p.actor_id = $1",
            uuid.UUID(actor_id),
        )
    finally:
        await conn.close()


async def make_due(stack: TestStack) -> None:
    conn = await asyncpg.connect(stack.dsn("matching"))
    try:
        await conn.execute("UPDATE shared_contact_fetches SET due_at = now()")
    finally:
        await conn.close()


def fetcher(sessions: SessionFactory, transport: httpx.AsyncBaseTransport) -> ContactFetcher:
    client = httpx.AsyncClient(transport=transport, base_url="http://registry", headers=SERVICE_KEY)
    return ContactFetcher(sessions, CONTACT_TABLES, client, backoff_initial=30, backoff_max=60)


async def test_the_fetcher_retries_while_the_registry_is_away_then_stores(
    registry: httpx.AsyncClient,
    registry_app: Any,
    matching_sessions: SessionFactory,
    stack: TestStack,
) -> None:
    actor = await create(registry, PROFILE)
    await apply(matching_sessions, actor["id"], registered(actor["id"], 1), 1)
    row = await matching_row(stack, actor["id"])
    assert (row["contacts"], row["pending"]) == ("[]", True), "projected at once, fetch pending"

    transport = Switchable(registry_app)
    transport.down = True
    worker = fetcher(matching_sessions, transport)
    for attempt in (1, 2):
        assert await worker.run_once() == 1
        row = await matching_row(stack, actor["id"])
        assert (row["contacts"], row["attempts"], row["waiting"]) == ("[]", attempt, True)
        assert "unreachable" in row["last_error"]
        assert await worker.run_once() == 0, "backing off: not due yet"
        await make_due(stack)

    transport.down = False
    assert await worker.run_once() == 1
    row = await matching_row(stack, actor["id"])
    assert json.loads(row["contacts"]) == [SHARED], "only the shared contact"
    assert row["pending"] is False
    await worker.stop()


async def test_a_fetch_racing_an_erasure_writes_nothing_back(
    registry: httpx.AsyncClient,
    registry_app: Any,
    matching_sessions: SessionFactory,
    stack: TestStack,
) -> None:
    actor = await create(registry, PROFILE)
    await apply(matching_sessions, actor["id"], registered(actor["id"], 1), 1)

    async def erase_meanwhile() -> None:
        """The registry answered (version 1, with the contact); before the fetcher stores
        it, the actor is erased and matching applies the erasure."""
        transport.before_answer = None
        done = await registry.delete(f"/v1/actors/{actor['id']}/personal-data", headers=auth())
        assert done.status_code == 204
        erasure = ActorPersonalDataErasedV1(
            actor_id=uuid.UUID(actor["id"]), erased_at=datetime.now(UTC), version=2
        )
        await apply(matching_sessions, actor["id"], erasure, 2)

    transport = Switchable(registry_app)
    transport.before_answer = erase_meanwhile
    worker = fetcher(matching_sessions, transport)
    assert await worker.run_once() == 1
    row = await matching_row(stack, actor["id"])
    assert row["contacts"] == "[]", "the answer read before the erasure is dropped"
    assert row["pending"] is False
    await worker.stop()


async def test_a_claimed_fetch_is_taken_up_again_after_its_lease(
    registry: httpx.AsyncClient, matching_sessions: SessionFactory, stack: TestStack
) -> None:
    """A fetcher that died holding a claim does not lose the fetch."""
    actor = await create(registry, PROFILE)
    await apply(matching_sessions, actor["id"], registered(actor["id"], 1), 1)
    async with unit_of_work(matching_sessions) as session:
        claimed = await contact_fetches.claim_due(session, CONTACT_TABLES, 10, timedelta(0))
    assert [c.actor_id for c in claimed] == [uuid.UUID(actor["id"])]
    async with unit_of_work(matching_sessions) as session:
        again = await contact_fetches.claim_due(session, CONTACT_TABLES, 10, timedelta(0))
    assert [c.actor_id for c in again] == [uuid.UUID(actor["id"])]
