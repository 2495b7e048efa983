"""Actor use cases: load, apply the rules, save, and add events to the outbox."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.registry import ActorRegisteredV1
from synergia_shared.messaging.outbox import add_event

from synergia_registry.actors import repository
from synergia_registry.actors.rules import normalise_country
from synergia_registry.actors.schemas import Actor, ActorCreate

AGGREGATE = "actor"


def to_view(row: Row[Any]) -> Actor:
    country = normalise_country(row.country)
    return Actor(
        id=row.id,
        legal_name=row.legal_name,
        short_name=row.short_name,
        kind=row.kind,
        country=country.code,
        country_name=country.name,
        country_standing=country.standing,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def register(session: AsyncSession, command: ActorCreate) -> Actor:
    """Register an actor and, in the same transaction, announce it."""
    row = await repository.add(
        session,
        id=uuid.uuid4(),
        legal_name=command.legal_name,
        short_name=command.short_name,
        kind=command.kind.value,
        country=command.country,
    )
    await add_event(
        session,
        ActorRegisteredV1(
            actor_id=row.id,
            legal_name=row.legal_name,
            short_name=row.short_name,
            kind=command.kind,
            country=row.country,
            registered_at=row.created_at,
        ),
        aggregate_type=AGGREGATE,
        subject=str(row.id),
        sequence=row.version,
    )
    return to_view(row)


async def get(session: AsyncSession, actor_id: uuid.UUID) -> Actor | None:
    row = await repository.get(session, actor_id)
    return to_view(row) if row is not None else None
