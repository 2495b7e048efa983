"""Keeps the beneficiaries projection from the registry's actor events.

Ordering (see ``rules`` and ``repository``): registered/updated events are whole-profile
snapshots applied only when newer than the stored one (``source_sequence``); an older or
equal one arriving late is ignored. Deactivations and erasures are recorded as marks in
``actor_lifecycle_marks`` (also for an actor not projected yet) and applied to the row if
its snapshot is older; they do not advance ``source_sequence``, so a late snapshot that is
newer than the stored one but older than the mark is still applied for its other fields,
with ``active`` false and no contacts. Each handler runs under a per-actor lock.

An actor's snapshot applied also releases the ledger entries parked for want of it
(money an authority sent before the registration reached funding), in the same
transaction: they are decided and recorded as if they had just arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.registry import (
    ActorDeactivatedV1,
    ActorPersonalDataErasedV1,
    ActorRegisteredV1,
)
from synergia_shared.events.topics import REGISTRY_ACTOR
from synergia_shared.messaging.inbox import InboxConsumer
from synergia_shared.projections import actor_lifecycle as lifecycle

from synergia_funding.beneficiaries import repository
from synergia_funding.ledger import repository as ledger_repository
from synergia_funding.ledger import service as ledger

logger = logging.getLogger(__name__)

ACTOR_REGISTERED = "eu.synergia.registry.actor.registered.v1"
ACTOR_UPDATED = "eu.synergia.registry.actor.updated.v1"
ACTOR_DEACTIVATED = "eu.synergia.registry.actor.deactivated.v1"
ACTOR_PERSONAL_DATA_ERASED = "eu.synergia.registry.actor.personal-data-erased.v1"
PROFILE_SNAPSHOTS = frozenset({ACTOR_REGISTERED, ACTOR_UPDATED})


async def on_actor_profile(
    session: AsyncSession, event: CloudEvent, data: ActorRegisteredV1
) -> None:
    """Registered and updated alike (``ActorUpdatedV1`` extends ``ActorRegisteredV1``):
    both carry the whole profile after the change; a beneficiary keeps part of it."""
    sequence = lifecycle.event_sequence(event.sequence, data.version)
    await repository.lock_actor(session, data.actor_id)
    marks = await repository.marks(session, data.actor_id)
    applied = await repository.upsert_snapshot(
        session,
        lifecycle.snapshot_columns(data, sequence, marks),
    )
    if applied:
        contacts = lifecycle.contacts_after_snapshot(data, sequence, marks)
        await repository.snapshot_contacts(session, data.actor_id, sequence, contacts)
        # The single undertaking of the de minimis rule follows the latest snapshot.
        await ledger_repository.replace_ownership_links(
            session,
            data.actor_id,
            lifecycle.owner_links(data),
        )
        # Money sent for the actor before its registration arrived waited for it.
        await ledger.beneficiary_arrived(session, data.actor_id)
    else:
        logger.info(
            "older profile snapshot ignored",
            extra={"actor_id": str(data.actor_id), "sequence": sequence},
        )


async def on_actor_deactivated(
    session: AsyncSession, event: CloudEvent, data: ActorDeactivatedV1
) -> None:
    sequence = lifecycle.event_sequence(event.sequence, data.version)
    await repository.lock_actor(session, data.actor_id)
    await repository.deactivate(session, data.actor_id, sequence)


async def on_actor_personal_data_erased(
    session: AsyncSession, event: CloudEvent, data: ActorPersonalDataErasedV1
) -> None:
    sequence = lifecycle.event_sequence(event.sequence, data.version)
    await repository.lock_actor(session, data.actor_id)
    await repository.erase_contacts(
        session, data.actor_id, sequence, remaining=data.shared_contacts_count
    )


async def lock_batch(session: AsyncSession, events: Sequence[tuple[CloudEvent, Any]]) -> None:
    """A batch's locks up front, in the writers' order: every actor's (its events are
    serialised with replays), then the arrivals of those whose snapshot may release
    parked money (a writer takes its arrivals first, all at once, in ascending order)."""
    await repository.lock_actors(session, [data.actor_id for _, data in events])
    await ledger_repository.lock_arrivals(
        session,
        [data.actor_id for event, data in events if event.type in PROFILE_SNAPSHOTS],
    )


def actor_projection() -> InboxConsumer:
    return InboxConsumer(
        name="funding.beneficiary-projection",
        topics=[REGISTRY_ACTOR],
        handlers={
            ACTOR_REGISTERED: on_actor_profile,
            ACTOR_UPDATED: on_actor_profile,
            ACTOR_DEACTIVATED: on_actor_deactivated,
            ACTOR_PERSONAL_DATA_ERASED: on_actor_personal_data_erased,
        },
        lock_batch=lock_batch,
    )
