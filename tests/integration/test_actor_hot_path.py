"""The actor hot paths stay cheap without losing a guarantee.

POST /v1/actors: a plain create is two statements (the actor, its event) in one
transaction, so a failure of the outbox insert leaves no actor behind; creates with
child rows still write them and read the actor back. GET /v1/actors/{id}: one
statement outside any transaction, contacts still only for the actor itself, the
managers of its clusters and admins.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from synergia_registry.app import create_app
from synergia_registry.settings import RegistrySettings

from tests.support.stack import TestStack, auth, running_app

ACTOR = {"legal_name": "Hot Path Robotics GmbH", "kind": "sme", "country": "DE"}
CONTACT = {
    "name": "Ada Example",
    "email": "ada@example.org",
    "consent_given_at": "2026-01-05T10:00:00+00:00",
}


class Statements:
    """Every statement SQLAlchemy sends, with whether its connection was in a transaction."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, bool]] = []
        self.fail_on: str | None = None

    def __call__(
        self, conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        self.seen.append((statement, id(conn.connection.dbapi_connection), conn.in_transaction()))
        if self.fail_on is not None and statement.startswith(self.fail_on):
            raise RuntimeError(f"injected failure on {self.fail_on}")

    def clear(self) -> None:
        self.seen.clear()


@pytest.fixture
async def app_and_client(stack: TestStack) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    # No relay, no sweeps: what the statements below see is the request's work alone.
    settings = RegistrySettings(  # type: ignore[arg-type]
        **{
            **stack.settings_kwargs("registry"),
            "relay_enabled": False,
            "retention_sweep_enabled": False,
            "offer_expiry_enabled": False,
        }
    )
    app = create_app(settings)
    async with running_app(app, "http://registry") as client:
        yield app, client


@pytest.fixture
def statements(app_and_client: tuple[FastAPI, httpx.AsyncClient]) -> Statements:
    recorder = Statements()
    engine = app_and_client[0].state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", recorder)
    return recorder


async def _fetch(stack: TestStack, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def test_a_plain_create_is_the_actor_and_its_event_in_one_transaction(
    app_and_client: tuple[FastAPI, httpx.AsyncClient], statements: Statements, stack: TestStack
) -> None:
    _, client = app_and_client
    statements.clear()
    response = await client.post("/v1/actors", json=ACTOR, headers=auth("admin"))

    assert response.status_code == 201
    sent = statements.seen
    assert [s[0].split("(")[0].strip() for s in sent] == [
        "INSERT INTO actors",
        "INSERT INTO outbox",
    ], [s[0][:60] for s in sent]
    assert len({s[1] for s in sent}) == 1, "both on one connection"
    assert all(in_tx for _, _, in_tx in sent), "both inside the transaction"

    body = response.json()
    rows = await _fetch(stack, "SELECT aggregate_id, event_type FROM outbox")
    assert [(r["aggregate_id"], r["event_type"]) for r in rows] == [
        (body["id"], "eu.synergia.registry.actor.registered.v1")
    ]
    # The answer built from the inserted row is what a read returns.
    fetched = await client.get(f"/v1/actors/{body['id']}", headers=auth("admin"))
    assert fetched.json() == body
    assert fetched.headers["etag"] == response.headers["etag"] == '"1"'
    assert body["sme"] == {
        "declared": None,
        "computed": None,
        "contradicts_declared": False,
        "autonomy": "autonomous",
    }


async def test_when_the_event_cannot_be_written_no_actor_is_registered(
    app_and_client: tuple[FastAPI, httpx.AsyncClient], statements: Statements, stack: TestStack
) -> None:
    _, client = app_and_client
    statements.fail_on = "INSERT INTO outbox"
    try:
        response = await client.post("/v1/actors", json=ACTOR, headers=auth("admin"))
        failed = response.status_code >= 500
    except RuntimeError:
        failed = True
    statements.fail_on = None

    assert failed
    assert await _fetch(stack, "SELECT id FROM actors") == []
    assert await _fetch(stack, "SELECT id FROM outbox") == []


async def test_a_create_with_child_rows_still_writes_and_reads_them(
    app_and_client: tuple[FastAPI, httpx.AsyncClient], statements: Statements, stack: TestStack
) -> None:
    _, client = app_and_client
    owner = (await client.post("/v1/actors", json=ACTOR, headers=auth("admin"))).json()
    statements.clear()
    payload = {
        **ACTOR,
        "legal_name": "Owned Subsidiary GmbH",
        "contacts": [CONTACT],
        "owners": [{"owner_actor_id": owner["id"], "share_percent": "60"}],
        "financials": [
            {"year": 2024, "headcount": "12", "turnover": "1000000", "balance_sheet": "500000"}
        ],
    }
    response = await client.post("/v1/actors", json=payload, headers=auth("admin"))

    assert response.status_code == 201
    body = response.json()
    sent = [s[0] for s in statements.seen]
    assert not any(s.startswith("DELETE") for s in sent), "a new actor has nothing to delete"
    assert body["contacts"][0]["email"] == CONTACT["email"]
    assert body["owners"][0]["owner_actor_id"] == owner["id"]
    assert body["sme"]["autonomy"] == "linked"
    fetched = await client.get(f"/v1/actors/{body['id']}", headers=auth("admin"))
    assert fetched.json() == body
    events = await _fetch(stack, "SELECT aggregate_id, event_type FROM outbox ORDER BY id")
    assert events[-1]["aggregate_id"] == body["id"]


async def test_a_read_still_hides_contacts_from_strangers(
    app_and_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    _, client = app_and_client
    created = await client.post(
        "/v1/actors", json={**ACTOR, "contacts": [CONTACT]}, headers=auth("admin")
    )
    actor_id = created.json()["id"]
    url = f"/v1/actors/{actor_id}"

    stranger = await client.get(url, headers=auth("sme", actor_id=str(uuid.uuid4())))
    viewer = await client.get(url, headers=auth("viewer"))
    itself = await client.get(url, headers=auth("sme", actor_id=actor_id))
    admin = await client.get(url, headers=auth("admin"))

    assert stranger.status_code == viewer.status_code == 200
    assert stranger.json()["contacts"] is None
    assert viewer.json()["contacts"] is None
    assert [c["email"] for c in itself.json()["contacts"]] == [CONTACT["email"]]
    assert [c["email"] for c in admin.json()["contacts"]] == [CONTACT["email"]]
    assert admin.headers["content-type"] == "application/json"
    missing = await client.get(f"/v1/actors/{uuid.uuid4()}", headers=auth("viewer"))
    assert missing.status_code == 404
    assert (await client.get(url)).status_code == 401
