"""registry: POST/GET /v1/actors against real PostgreSQL, with the outbox in the same tx."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from tests.support.stack import TestStack, auth

ACTOR = {"legal_name": "Olympic Agri-Food Cluster", "kind": "cluster_organisation", "country": "GR"}


async def outbox_rows(stack: TestStack) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        return await conn.fetch("SELECT aggregate_id, event_type, topic FROM outbox ORDER BY id")
    finally:
        await conn.close()


async def test_register_returns_201_with_location_and_etag_and_writes_the_event(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    response = await registry.post("/v1/actors", json=ACTOR, headers=auth("admin"))

    assert response.status_code == 201
    body = response.json()
    assert body["country"] == "EL", "Greece is stored in the EU form"
    assert body["country_standing"] == "member_state"
    assert response.headers["location"] == f"/v1/actors/{body['id']}"
    assert response.headers["etag"] == '"1"'
    rows = await outbox_rows(stack)
    assert [(r["aggregate_id"], r["event_type"], r["topic"]) for r in rows] == [
        (body["id"], "eu.synergia.registry.actor.registered.v1", "registry.actor")
    ]

    fetched = await registry.get(response.headers["location"], headers=auth("viewer"))
    assert fetched.status_code == 200
    assert fetched.json() == {**body, "contacts": None}, "a viewer does not see contacts"
    assert fetched.headers["etag"] == '"1"'


async def test_third_country_is_accepted_and_flagged(registry: httpx.AsyncClient) -> None:
    response = await registry.post(
        "/v1/actors", json={**ACTOR, "country": "us"}, headers=auth("sme")
    )
    assert response.status_code == 201
    assert response.json()["country"] == "US"
    assert response.json()["country_standing"] == "third_country"


@pytest.mark.parametrize(
    ("payload", "loc", "needle"),
    [
        ({**ACTOR, "kind": "multinational"}, ["body", "kind"], "Input should be"),
        ({**ACTOR, "country": "XX"}, ["body", "country"], "unknown country code 'XX'"),
        ({**ACTOR, "legal_name": 42}, ["body", "legal_name"], "valid string"),
        ({**ACTOR, "legal_name": "   "}, ["body", "legal_name"], "at least 1 character"),
        ({**ACTOR, "colour": "blue"}, ["body", "colour"], "unknown field"),
        ({"kind": "sme", "country": "DE"}, ["body", "legal_name"], "Field required"),
    ],
)
async def test_bad_input_is_a_422_problem_naming_the_field(
    registry: httpx.AsyncClient,
    stack: TestStack,
    payload: dict[str, object],
    loc: list[str],
    needle: str,
) -> None:
    response = await registry.post("/v1/actors", json=payload, headers=auth())

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert problem["instance"] == "/v1/actors"
    assert any(e["loc"] == loc and needle in e["msg"] for e in problem["errors"]), problem
    assert await outbox_rows(stack) == [], "nothing half-applied"


async def test_malformed_json_is_a_422_problem(registry: httpx.AsyncClient) -> None:
    response = await registry.post(
        "/v1/actors",
        content=b'{"legal_name": "x",',
        headers={**auth(), "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "malformed JSON" in response.json()["detail"]


async def test_unknown_actor_is_a_404_problem(registry: httpx.AsyncClient) -> None:
    response = await registry.get(f"/v1/actors/{uuid.uuid4()}", headers=auth())
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_malformed_actor_id_is_a_422_naming_the_path(registry: httpx.AsyncClient) -> None:
    response = await registry.get("/v1/actors/not-a-uuid", headers=auth())
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["path", "actor_id"]


async def test_no_token_is_401_and_wrong_role_is_403(registry: httpx.AsyncClient) -> None:
    no_token = await registry.post("/v1/actors", json=ACTOR)
    assert no_token.status_code == 401
    assert no_token.headers["www-authenticate"] == "Bearer"
    assert no_token.headers["content-type"] == "application/problem+json"

    bad_token = await registry.get(
        f"/v1/actors/{uuid.uuid4()}", headers={"Authorization": "Bearer not.a.jwt"}
    )
    assert bad_token.status_code == 401

    for role in ("viewer", "investor", "authority"):
        claims = {"region": "ITH3"} if role == "authority" else {}
        forbidden = await registry.post("/v1/actors", json=ACTOR, headers=auth(role, **claims))
        assert forbidden.status_code == 403, role
        assert forbidden.headers["content-type"] == "application/problem+json"


async def test_idempotency_key_makes_a_retry_return_the_first_result(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    headers = {**auth(), "Idempotency-Key": "create-olympic-1"}
    first = await registry.post("/v1/actors", json=ACTOR, headers=headers)
    retry = await registry.post("/v1/actors", json=ACTOR, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert len(await outbox_rows(stack)) == 1

    other_body = await registry.post(
        "/v1/actors", json={**ACTOR, "legal_name": "Someone else"}, headers=headers
    )
    assert other_body.status_code == 422
    assert other_body.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_concurrent_retries_with_one_idempotency_key_create_one_actor(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    """A client whose first attempt timed out retries while the first is still running:
    the twins race, one creates, and every answer is that one's."""
    headers = {**auth(), "Idempotency-Key": "create-olympic-race"}
    answers = await asyncio.gather(
        *(registry.post("/v1/actors", json=ACTOR, headers=headers) for _ in range(6))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") != "true" for a in answers) == 1
    assert len(await outbox_rows(stack)) == 1


async def test_health_is_open_and_readiness_reports_dependencies(
    registry: httpx.AsyncClient,
) -> None:
    assert (await registry.get("/healthz")).json() == {"status": "ok"}
    # Ready: the database answers and its schema is the code's.
    ready = await registry.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "up", "migrations": "at head"}
    # The broker and the consumers are reported apart; the consumer joins its group soon.
    deadline = asyncio.get_running_loop().time() + 15
    while not (status := (await registry.get("/status")).json())["consumers"][
        "registry.accepted-teams"
    ]["running"]:
        assert asyncio.get_running_loop().time() < deadline, status
        await asyncio.sleep(0.1)
    assert status["database"] == "up"
    assert status["broker"] == "up"
    assert status["relay"]["running"]
    metrics = await registry.get("/metrics")
    assert "synergia_http_requests_total" in metrics.text
    assert "synergia_outbox_backlog" in metrics.text
    assert 'synergia_consumer_running{consumer="registry.accepted-teams"} 1.0' in metrics.text
    assert "synergia_relay_running 1.0" in metrics.text
