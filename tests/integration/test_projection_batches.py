"""matching's actor_profiles and funding's beneficiaries apply a fetched batch of actor
events in a few statements for the whole batch (multi-row upserts, each actor's newest
snapshot), and end exactly where the same events applied one at a time end."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from synergia_shared.db import SessionFactory, create_session_factory, unit_of_work
from synergia_shared.events.base import EventData
from synergia_shared.events.registry import (
    ActorDeactivatedV1,
    ActorKind,
    ActorPersonalDataErasedV1,
    ActorRegisteredV1,
    ActorUpdatedV1,
    OwnerV1,
)
from synergia_shared.messaging.inbox import Delivery, apply_batch
from synergia_shared.messaging.outbox import build_event

from tests.integration.test_actor_projections import PROJECTIONS, Projection
from tests.support.stack import TestStack

# One actor's events, as a scenario: (kind, sequence, fields).
Step = tuple[str, int, dict[str, Any]]

SCENARIOS: dict[str, list[Step]] = {
    "updates: the newest wins": [
        ("registered", 1, {"legal_name": "First Name"}),
        ("updated", 2, {"legal_name": "Second Name", "sme_category": "small"}),
        ("updated", 3, {"legal_name": "Third Name", "shared_contacts_count": 1}),
    ],
    "a late older snapshot changes nothing": [
        ("updated", 3, {"legal_name": "Newest"}),
        ("registered", 1, {"legal_name": "Oldest", "shared_contacts_count": 2}),
        ("updated", 2, {"legal_name": "Middle"}),
    ],
    "equal sequences: the first wins": [
        ("registered", 1, {"legal_name": "Told First"}),
        ("registered", 1, {"legal_name": "Told Again"}),
    ],
    "deactivated, then active again": [
        ("registered", 1, {}),
        ("deactivated", 2, {}),
        ("updated", 3, {"legal_name": "Back Again"}),
    ],
    "deactivated after the last snapshot": [
        ("registered", 1, {"shared_contacts_count": 1}),
        ("updated", 2, {"legal_name": "Renamed"}),
        ("deactivated", 3, {}),
    ],
    "contacts erased after the snapshot": [
        ("registered", 1, {"shared_contacts_count": 2}),
        ("erased", 2, {"remaining": 0}),
    ],
    "one person erased, the others fetched again": [
        ("registered", 1, {"shared_contacts_count": 2}),
        ("erased", 2, {"remaining": 1}),
    ],
    "contacts withdrawn by an update": [
        ("registered", 1, {"shared_contacts_count": 1}),
        ("updated", 2, {"shared_contacts_count": 0}),
    ],
    "owners replaced": [
        ("registered", 1, {"owners": "A"}),
        ("updated", 2, {"owners": "B"}),
    ],
}

OWNERS = {"A": uuid.UUID(int=0xA), "B": uuid.UUID(int=0xB)}


def events_of(actor_id: uuid.UUID, steps: list[Step]) -> list[tuple[Any, EventData]]:
    made: list[tuple[Any, EventData]] = []
    for kind, sequence, fields in steps:
        data: EventData
        if kind == "deactivated":
            data = ActorDeactivatedV1(
                actor_id=actor_id, deactivated_at=datetime.now(UTC), version=sequence
            )
        elif kind == "erased":
            data = ActorPersonalDataErasedV1(
                actor_id=actor_id,
                erased_at=datetime.now(UTC),
                version=sequence,
                shared_contacts_count=fields["remaining"],
            )
        else:
            profile: dict[str, Any] = {
                "actor_id": actor_id,
                "legal_name": "Olive Sensors S.A.",
                "kind": ActorKind.SME,
                "country": "EL",
                "registered_at": datetime(2026, 1, 15, tzinfo=UTC),
                "version": sequence,
                **fields,
            }
            if "owners" in fields:
                profile["owners"] = [
                    OwnerV1(owner_actor_id=OWNERS[fields["owners"]], share_percent=60)
                ]
            data = (
                ActorRegisteredV1(**profile)
                if kind == "registered"
                else ActorUpdatedV1(**profile, updated_at=datetime.now(UTC))
            )
        made.append((build_event(data, subject=str(actor_id), sequence=sequence), data))
    return made


@dataclass
class Target:
    projection: Projection
    engine: AsyncEngine
    sessions: SessionFactory

    async def one_at_a_time(self, events: list[tuple[Any, EventData]]) -> None:
        consumer = self.projection.consumer()
        for cloud_event, data in events:
            await consumer.apply(self.sessions, cloud_event, data)

    async def together(self, events: list[tuple[Any, EventData]]) -> list[bool]:
        consumer = self.projection.consumer()
        return await apply_batch(self.sessions, [Delivery(consumer, e, d) for e, d in events])

    async def state(self, actor_id: uuid.UUID) -> dict[str, Any]:
        """What a reader of the projection sees of the actor (its id left out)."""
        tables = self.projection.tables
        async with unit_of_work(self.sessions) as session:
            row = await self.projection.repository.get(session, actor_id)
            pending = await session.scalar(
                select(func.count()).where(tables.fetches.c.actor_id == actor_id)
            )
            owners = await session.scalars(
                select(OWNER_TABLES[self.projection.service].c.owner_actor_id).where(
                    OWNER_TABLES[self.projection.service].c.actor_id == actor_id
                )
            )
            return {
                **{k: v for k, v in row._mapping.items() if k not in {"actor_id", "updated_at"}},
                "fetch_pending": bool(pending),
                "owners": sorted(owners),
            }

    @contextmanager
    def statements(self) -> Iterator[list[str]]:
        """The SQL statements sent to the database meanwhile."""
        sent: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            sent.append(statement)

        event.listen(self.engine.sync_engine, "before_cursor_execute", count)
        try:
            yield sent
        finally:
            event.remove(self.engine.sync_engine, "before_cursor_execute", count)


def _owner_tables() -> dict[str, Any]:
    from synergia_funding.ledger.models import ownership_links as funding_links
    from synergia_matching.profiles.models import ownership_links as matching_links

    return {"matching": matching_links, "funding": funding_links}


OWNER_TABLES = _owner_tables()


@pytest.fixture(params=PROJECTIONS, ids=lambda p: p.service)
async def target(request: pytest.FixtureRequest, stack: TestStack) -> AsyncIterator[Target]:
    projection: Projection = request.param
    engine = create_async_engine(stack.database_url(projection.service))
    try:
        yield Target(projection, engine, create_session_factory(engine))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_a_batch_ends_where_its_events_one_at_a_time_end(
    target: Target, scenario: str
) -> None:
    alone, batched = uuid.uuid4(), uuid.uuid4()
    await target.one_at_a_time(events_of(alone, SCENARIOS[scenario]))
    outcomes = await target.together(events_of(batched, SCENARIOS[scenario]))

    assert outcomes == [True] * len(SCENARIOS[scenario])  # each event recorded once
    assert await target.state(batched) == await target.state(alone)


async def test_a_batch_is_guarded_by_the_stored_sequence(target: Target) -> None:
    actor = uuid.uuid4()
    await target.one_at_a_time(events_of(actor, [("updated", 5, {"legal_name": "Stored"})]))
    await target.together(
        events_of(
            actor,
            [("registered", 1, {"legal_name": "Older"}), ("updated", 4, {"legal_name": "Old"})],
        )
    )
    state = await target.state(actor)
    assert (state["legal_name"], state["source_sequence"]) == ("Stored", 5)


async def test_a_batch_writes_in_as_many_statements_whatever_its_size(target: Target) -> None:
    """Registrations with owners and shared contacts: the statements per batch do not
    grow with the batch (one at a time, each took five or six)."""

    def registrations(count: int) -> list[tuple[Any, EventData]]:
        steps: list[Step] = [("registered", 1, {"shared_contacts_count": 1, "owners": "A"})]
        return [e for _ in range(count) for e in events_of(uuid.uuid4(), steps)]

    with target.statements() as small:
        await target.together(registrations(5))
    with target.statements() as large:
        await target.together(registrations(200))

    assert len(large) == len(small)
    assert len(large) <= 12, large
