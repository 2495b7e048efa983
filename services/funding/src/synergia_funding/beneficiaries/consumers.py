"""Keeps the beneficiaries projection from the registry's actor events.

Ordering (see ``rules`` and ``repository``): registered/updated events are whole-profile
snapshots applied only when newer than the stored one (``source_sequence``); an older or
equal one arriving late is ignored. Deactivations and erasures are recorded as marks in
``actor_lifecycle_marks`` (also for an actor not projected yet) and applied to the row if
its snapshot is older; they do not advance ``source_sequence``, so a late snapshot that is
newer than the stored one but older than the mark is still applied for its other fields,
with ``active`` false and no contacts. Events are applied a batch at a time
(``apply_actor_events``), under per-actor locks.

An actor's snapshot applied also releases the ledger entries parked for want of it
(money an authority sent before the registration reached funding), in the same
transaction: they are decided and recorded as if they had just arrived.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.registry import ActorRegisteredV1
from synergia_shared.events.topics import REGISTRY_ACTOR
from synergia_shared.messaging.inbox import InboxConsumer, event_context
from synergia_shared.projections import actor_lifecycle as lifecycle
from synergia_shared.projections import batches
from synergia_shared.projections.actor_lifecycle import NO_MARKS

from synergia_funding.beneficiaries import repository
from synergia_funding.ledger import repository as ledger_repository
from synergia_funding.ledger import service as ledger

logger = logging.getLogger(__name__)

ACTOR_REGISTERED = "eu.synergia.registry.actor.registered.v1"
ACTOR_UPDATED = "eu.synergia.registry.actor.updated.v1"
ACTOR_DEACTIVATED = "eu.synergia.registry.actor.deactivated.v1"
ACTOR_PERSONAL_DATA_ERASED = "eu.synergia.registry.actor.personal-data-erased.v1"
PROFILE_SNAPSHOTS = frozenset({ACTOR_REGISTERED, ACTOR_UPDATED})


async def apply_actor_events(
    session: AsyncSession, events: Sequence[tuple[CloudEvent, Any]]
) -> None:
    """A batch's actor events in a few statements (as matching's ``profiles.consumers``):
    every actor locked at once, the marks one by one (rare), then each actor's newest
    snapshot of the batch in one multi-row upsert under the sequence guard, with its
    contacts and owners. Money parked for an actor whose snapshot was applied is then
    decided, for those that money waits for only (one statement finds them)."""
    await repository.lock_actors(session, [data.actor_id for _, data in events])
    snapshots: list[tuple[int, CloudEvent, ActorRegisteredV1]] = []
    for event, data in events:
        sequence = lifecycle.event_sequence(event.sequence, data.version)
        if event.type == ACTOR_DEACTIVATED:
            await repository.deactivate(session, data.actor_id, sequence)
        elif event.type == ACTOR_PERSONAL_DATA_ERASED:
            await repository.erase_contacts(
                session, data.actor_id, sequence, remaining=data.shared_contacts_count
            )
        else:
            snapshots.append((sequence, event, data))
    latest = batches.latest_per_aggregate(snapshots, lambda s: s[2].actor_id, lambda s: s[0])
    if not latest:
        return
    marks = await repository.marks_of(session, [data.actor_id for _, _, data in latest])
    applied = await repository.upsert_snapshots(
        session,
        [
            lifecycle.snapshot_columns(data, sequence, marks.get(data.actor_id, NO_MARKS))
            for sequence, _, data in latest
        ],
    )
    contacts: dict[uuid.UUID, tuple[int, lifecycle.ContactsAction]] = {}
    owners: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for sequence, _, data in latest:
        if data.actor_id not in applied:
            logger.info(
                "older profile snapshot ignored",
                extra={"actor_id": str(data.actor_id), "sequence": sequence},
            )
            continue
        actor_marks = marks.get(data.actor_id, NO_MARKS)
        contacts[data.actor_id] = (
            sequence,
            lifecycle.contacts_after_snapshot(data, sequence, actor_marks),
        )
        # The single undertaking of the de minimis rule follows the latest snapshot.
        owners[data.actor_id] = lifecycle.owner_links(data)
    await repository.snapshots_contacts(session, contacts)
    await ledger_repository.replace_ownership_links_of(session, owners)
    # Money sent for the actor before its registration arrived waited for it; what it
    # decides is caused by the snapshot's event (correlation, causation). The arrival
    # locks come before looking: a writer parking an item for one of these actors, not
    # committed yet, is waited for, and its item found (held already within a batch).
    await ledger_repository.lock_arrivals(session, list(owners))
    awaited = await ledger_repository.awaited_among(session, list(owners))
    for _, event, data in latest:
        if data.actor_id in awaited:
            with event_context(event):
                await ledger.beneficiary_arrived(session, data.actor_id)


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
    return InboxConsumer.applying_batches(
        name="funding.beneficiary-projection",
        topics=[REGISTRY_ACTOR],
        event_types=[
            ACTOR_REGISTERED,
            ACTOR_UPDATED,
            ACTOR_DEACTIVATED,
            ACTOR_PERSONAL_DATA_ERASED,
        ],
        apply_events=apply_actor_events,
        lock_batch=lock_batch,
    )
