"""matching's actor_profiles and funding's beneficiaries follow every registry actor event:
registered, updated, deactivated and personal-data-erased, in any delivery order."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from synergia_funding.beneficiaries import consumers as funding_consumers
from synergia_funding.beneficiaries import models as funding_models
from synergia_funding.beneficiaries import repository as funding_repository
from synergia_matching.profiles import consumers as matching_consumers
from synergia_matching.profiles import models as matching_models
from synergia_matching.profiles import repository as matching_repository
from synergia_shared.db import SessionFactory, create_session_factory, unit_of_work
from synergia_shared.events.base import EventData
from synergia_shared.events.registry import (
    ActorDeactivatedV1,
    ActorKind,
    ActorPersonalDataErasedV1,
    ActorRegisteredV1,
    ActorUpdatedV1,
    SharedContactV1,
)
from synergia_shared.messaging.inbox import InboxConsumer
from synergia_shared.messaging.outbox import build_event
from synergia_shared.projections import contact_fetches
from synergia_shared.projections.contact_fetches import Claimed, ContactTables

from tests.support.stack import TestStack, auth

CONSENT = "2026-01-15T10:00:00Z"
SHARED = {"name": "Rūta Kazlauskienė", "email": "ruta@balpho.example.lt", "role": "CEO"}

PROFILE: dict[str, Any] = {
    "legal_name": "Baltic Photonics UAB",
    "short_name": "BalPho",
    "kind": "sme",
    "country": "LT",
    "nace_codes": ["C26.70"],
    "ecosystems": ["electronics"],
    "competences": ["photonics"],
    "keywords": ["lidar"],
    "offers": [{"type": "technology_offer", "title": "Custom laser optics for LiDAR"}],
    "needs": [{"type": "business_request", "title": "Distributor in the Nordics"}],
    "financials": [
        {"year": 2023, "headcount": "30", "turnover": "4000000", "balance_sheet": "3000000"},
        {"year": 2024, "headcount": "32", "turnover": "4500000", "balance_sheet": "3200000"},
    ],
    "contacts": [
        {**SHARED, "consent_given_at": CONSENT, "share_with_partners": True},
        {"name": "Jonas P.", "email": "jonas@balpho.example.lt", "consent_given_at": CONSENT},
    ],
}


async def eventually(
    client: httpx.AsyncClient,
    path: str,
    ready: Callable[[dict[str, Any]], bool],
    *,
    timeout: float = 20.0,
) -> dict[str, Any]:
    """GET ``path`` until it answers 200 with a body for which ``ready`` holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await client.get(path, headers=auth("viewer"))
        if response.status_code == 200 and ready(response.json()):
            body: dict[str, Any] = response.json()
            return body
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{path} never got there: {response.status_code} {response.text}")
        await asyncio.sleep(0.05)


async def test_both_projections_follow_the_actor_through_its_life(
    registry: httpx.AsyncClient,
    matching: httpx.AsyncClient,
    funding: httpx.AsyncClient,
    stack: TestStack,
) -> None:
    created = await registry.post("/v1/actors", json=PROFILE, headers=auth("sme"))
    assert created.status_code == 201, created.text
    actor_id = created.json()["id"]
    profile_path = f"/v1/profiles/{actor_id}"
    beneficiary_path = f"/v1/beneficiaries/{actor_id}"

    # Registered: the whole profile, and only the contact whose consent covers partners.
    # The contacts come from the registry, fetched after the profile was projected.
    profile = await eventually(matching, profile_path, lambda b: b["shared_contacts"] != [])
    beneficiary = await eventually(funding, beneficiary_path, lambda b: b["shared_contacts"] != [])
    for body in (profile, beneficiary):
        assert body["legal_name"] == "Baltic Photonics UAB"
        assert body["short_name"] == "BalPho"
        assert body["country"] == "LT"
        assert body["nace_codes"] == ["C26.70"]
        assert body["ecosystems"] == ["electronics"]
        assert body["sme_category"] == "small"
        assert body["active"] is True
        assert body["shared_contacts"] == [SHARED], "only the shared contact is fetched"
    assert profile["competences"] == ["photonics"]
    assert profile["keywords"] == ["lidar"]
    assert [o["title"] for o in profile["offers"]] == ["Custom laser optics for LiDAR"]
    assert [n["type"] for n in profile["needs"]] == ["business_request"]
    assert "offers" not in beneficiary, "funding keeps what a beneficiary view needs"

    # Updated (version 2).
    patched = await registry.patch(
        f"/v1/actors/{actor_id}",
        json={"legal_name": "Baltic Photonics UAB (renamed)", "ecosystems": ["digital"]},
        headers={**auth("admin"), "If-Match": '"1"'},
    )
    assert patched.status_code == 200, patched.text
    for client, path in ((matching, profile_path), (funding, beneficiary_path)):
        body = await eventually(client, path, lambda b: b["legal_name"].endswith("(renamed)"))
        assert body["ecosystems"] == ["digital"]
        assert body["shared_contacts"] == [SHARED], "contacts not sent: kept"

    # Personal data erased (version 3): both drop the contacts.
    erased = await registry.delete(f"/v1/actors/{actor_id}/personal-data", headers=auth("admin"))
    assert erased.status_code == 204, erased.text
    for client, path in ((matching, profile_path), (funding, beneficiary_path)):
        body = await eventually(client, path, lambda b: b["shared_contacts"] == [])
        assert body["legal_name"] == "Baltic Photonics UAB (renamed)", "the rest stays"
    for service, table in (("matching", "actor_profiles"), ("funding", "beneficiaries")):
        stored = await _fetchrow(
            stack,
            service,
            f"SELECT shared_contacts::text AS c FROM {table} WHERE actor_id = $1",
            uuid.UUID(actor_id),
        )
        assert stored is not None
        assert stored["c"] == "[]", f"{service} still holds contacts"

    # Deactivated (version 4).
    etag = (await registry.get(f"/v1/actors/{actor_id}", headers=auth("admin"))).headers["ETag"]
    assert etag == '"3"'
    deactivated = await registry.post(
        f"/v1/actors/{actor_id}/deactivate",
        json={"reason": "Company dissolved"},
        headers={**auth("admin"), "If-Match": etag},
    )
    assert deactivated.status_code == 200, deactivated.text
    for client, path in ((matching, profile_path), (funding, beneficiary_path)):
        body = await eventually(client, path, lambda b: b["active"] is False)
        assert body["legal_name"] == "Baltic Photonics UAB (renamed)"
        assert body["shared_contacts"] == []


async def _fetchrow(stack: TestStack, service: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(stack.dsn(service))
    try:
        return await conn.fetchrow(sql, *args)
    finally:
        await conn.close()


# --- delivery order, straight through the handlers ----------------------------------------


@dataclass(frozen=True)
class Projection:
    """One service's projection: its inbox consumer, its repository, its contact tables."""

    service: str
    consumer: Callable[[], InboxConsumer]
    repository: ModuleType
    tables: ContactTables


PROJECTIONS = [
    Projection(
        "matching",
        matching_consumers.actor_projection,
        matching_repository,
        matching_models.CONTACT_TABLES,
    ),
    Projection(
        "funding",
        funding_consumers.actor_projection,
        funding_repository,
        funding_models.CONTACT_TABLES,
    ),
]


@dataclass
class Harness:
    """Applies hand-made events for one actor through the real consumer (inbox included)
    on the service's real database, in whatever order a test chooses."""

    projection: Projection
    sessions: SessionFactory
    actor_id: uuid.UUID

    async def apply(self, data: EventData, sequence: int) -> bool:
        event = build_event(data, subject=str(self.actor_id), sequence=sequence)
        return await self.projection.consumer().apply(self.sessions, event, data)

    async def registered(self, sequence: int, **fields: Any) -> None:
        await self.apply(ActorRegisteredV1(**self._profile(sequence, fields)), sequence)

    async def updated(self, sequence: int, **fields: Any) -> None:
        profile = self._profile(sequence, fields)
        await self.apply(ActorUpdatedV1(**profile, updated_at=datetime.now(UTC)), sequence)

    async def deactivated(self, sequence: int) -> None:
        data = ActorDeactivatedV1(
            actor_id=self.actor_id, deactivated_at=datetime.now(UTC), version=sequence
        )
        await self.apply(data, sequence)

    async def erased(self, sequence: int, remaining: int = 0) -> None:
        data = ActorPersonalDataErasedV1(
            actor_id=self.actor_id,
            erased_at=datetime.now(UTC),
            version=sequence,
            shared_contacts_count=remaining,
        )
        await self.apply(data, sequence)

    async def fetch_pending(self) -> bool:
        fetches = self.projection.tables.fetches
        async with unit_of_work(self.sessions) as session:
            found = await session.scalar(
                select(func.count()).where(fetches.c.actor_id == self.actor_id)
            )
        return bool(found)

    async def fetched(self, version: int, *names: str) -> bool:
        """What the fetcher does with the registry's answer read at ``version``."""
        claimed = Claimed(self.actor_id, generation=0, attempts=0)
        async with unit_of_work(self.sessions) as session:
            return await contact_fetches.store_fetched(
                session,
                self.projection.tables,
                claimed,
                version=version,
                contacts=[contact(n) for n in names],
            )

    async def row(self) -> Any:
        async with unit_of_work(self.sessions) as session:
            return await self.projection.repository.get(session, self.actor_id)

    def _profile(self, sequence: int, fields: dict[str, Any]) -> dict[str, Any]:
        return {
            "actor_id": self.actor_id,
            "legal_name": "Olive Sensors S.A.",
            "kind": ActorKind.SME,
            "country": "EL",
            "registered_at": datetime(2026, 1, 15, tzinfo=UTC),
            "version": sequence,
            **fields,
        }


def contact(name: str) -> dict[str, Any]:
    return {"name": name, "email": f"{name.lower()}@olive.example.gr", "role": "CTO"}


def names(row: Any) -> list[str]:
    return [c["name"] for c in row.shared_contacts]


@pytest.fixture(params=PROJECTIONS, ids=lambda p: p.service)
async def harness(request: pytest.FixtureRequest, stack: TestStack) -> AsyncIterator[Harness]:
    projection: Projection = request.param
    engine = create_async_engine(stack.database_url(projection.service))
    try:
        yield Harness(projection, create_session_factory(engine), uuid.uuid4())
    finally:
        await engine.dispose()


async def test_an_older_snapshot_arriving_late_does_not_overwrite_a_newer_one(
    harness: Harness,
) -> None:
    await harness.registered(1, legal_name="Old Name")
    await harness.updated(3, legal_name="New Name", sme_category="small")
    await harness.updated(2, legal_name="Middle Name")
    await harness.registered(1, legal_name="Old Name")  # the same state, another event id

    row = await harness.row()
    assert row.legal_name == "New Name"
    assert row.sme_category == "small"
    assert row.source_sequence == 3


async def test_a_snapshot_with_shared_contacts_asks_for_them_and_never_carries_them(
    harness: Harness,
) -> None:
    await harness.registered(1)
    assert not await harness.fetch_pending(), "no shared contacts: nothing to fetch"

    # An event written before contacts left the log still carries them: never stored.
    await harness.updated(2, shared_contacts=[SharedContactV1(**contact("Anna"))])
    assert names(await harness.row()) == [], "contacts are never taken from an event"
    assert await harness.fetch_pending(), "but they are fetched"
    assert await harness.fetched(2, "Anna")
    assert names(await harness.row()) == ["Anna"]

    await harness.updated(3, shared_contacts_count=0)  # the consent withdrawn, say
    assert names(await harness.row()) == [], "a snapshot without shared contacts drops them"
    assert not await harness.fetch_pending()


async def test_an_erasure_before_the_registration_keeps_the_contacts_out(
    harness: Harness,
) -> None:
    await harness.erased(4)
    assert await harness.row() is None, "an erasure alone makes no profile"

    await harness.registered(1, shared_contacts_count=1)
    row = await harness.row()
    assert row is not None
    assert row.legal_name == "Olive Sensors S.A."
    assert not await harness.fetch_pending(), "a registration older than the erasure"
    assert not await harness.fetched(3, "Anna"), "an answer read before the erasure"
    assert names(await harness.row()) == []

    await harness.updated(5, shared_contacts_count=1)
    assert await harness.fetch_pending(), "a contact added after the erasure"
    assert await harness.fetched(5, "Dora")
    assert names(await harness.row()) == ["Dora"]


async def test_an_erasure_drops_the_contacts_and_the_pending_fetch(harness: Harness) -> None:
    await harness.registered(1, shared_contacts_count=1)
    assert await harness.fetched(1, "Anna")
    await harness.updated(2, legal_name="Renamed S.A.", shared_contacts_count=1)
    assert await harness.fetch_pending()

    await harness.erased(3)
    row = await harness.row()
    assert (row.legal_name, names(row), row.source_sequence) == ("Renamed S.A.", [], 2)
    assert not await harness.fetch_pending(), "nothing of them is left to arrive"
    assert not await harness.fetched(2, "Anna"), "a fetch racing the erasure writes nothing"
    assert names(await harness.row()) == []

    # An erasure older than the contacts held is already part of them.
    await harness.updated(5, shared_contacts_count=1)
    assert await harness.fetched(5, "Dora")
    await harness.erased(4)
    assert names(await harness.row()) == ["Dora"]


async def test_a_late_snapshot_does_not_cancel_the_refetch_an_erasure_asked_for(
    harness: Harness,
) -> None:
    await harness.erased(3, remaining=1)
    await harness.registered(1)  # delivered late, says nothing about contacts now
    await harness.updated(2, shared_contacts_count=0)
    assert await harness.fetch_pending(), "the erasure's refetch of the remaining contact"
    assert await harness.fetched(3, "Bea")
    assert names(await harness.row()) == ["Bea"]


async def test_an_erasure_of_one_person_fetches_the_others_again(harness: Harness) -> None:
    await harness.registered(1, shared_contacts_count=2)
    assert await harness.fetched(1, "Anna", "Bea")
    await harness.erased(2, remaining=1)
    assert names(await harness.row()) == []
    assert await harness.fetch_pending(), "one shared contact remains"
    assert await harness.fetched(2, "Bea"), "read at the erasure's version: without Anna"
    assert names(await harness.row()) == ["Bea"]


async def test_a_deactivation_holds_whatever_arrives_first(harness: Harness) -> None:
    await harness.deactivated(2)
    assert await harness.row() is None
    await harness.registered(1)
    row = await harness.row()
    assert row is not None
    assert row.active is False, "a registration older than it"

    other = Harness(harness.projection, harness.sessions, uuid.uuid4())
    await other.registered(1)
    await other.deactivated(2)
    assert (await other.row()).active is False
    await other.updated(3, active=True)  # the registry reactivated it, say
    assert (await other.row()).active is True, "a newer snapshot decides"
