"""Keeps the actor_profiles projection from the registry's actor events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.registry import ActorRegisteredV1
from synergia_shared.events.topics import REGISTRY_ACTOR
from synergia_shared.messaging.inbox import InboxConsumer

from synergia_matching.profiles import repository


async def on_actor_registered(
    session: AsyncSession, event: CloudEvent, data: ActorRegisteredV1
) -> None:
    await repository.upsert(
        session,
        actor_id=data.actor_id,
        legal_name=data.legal_name,
        short_name=data.short_name,
        kind=data.kind.value,
        country=data.country,
        registered_at=data.registered_at,
        source_sequence=event.sequence,
    )


def actor_projection() -> InboxConsumer:
    return InboxConsumer(
        name="matching.actor-projection",
        topics=[REGISTRY_ACTOR],
        handlers={"eu.synergia.registry.actor.registered.v1": on_actor_registered},
    )
