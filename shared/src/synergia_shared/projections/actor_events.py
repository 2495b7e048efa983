"""Applying the registry's actor events to a projection of them (matching's
``actor_profiles``, funding's ``beneficiaries``), a batch at a time.

Ordering (``actor_lifecycle``): registered/updated events are whole-profile snapshots
applied only when newer than the stored one (``source_sequence``); an older or equal one
arriving late is ignored. Deactivations and erasures are recorded as marks in
``actor_lifecycle_marks`` (also for an actor not projected yet) and applied to the row if
its snapshot is older; they do not advance ``source_sequence``, so a late snapshot that is
newer than the stored one but older than the mark is still applied for its other fields,
with ``active`` false and no contacts.

What a service keeps of a snapshot is its own (``SnapshotRow``: matching adds its search
texts); what it does once snapshots are applied too (funding releases the money parked
for them): :func:`apply_actor_events` returns the snapshots it applied.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.registry import ActorRegisteredV1
from synergia_shared.events.topics import REGISTRY_ACTOR
from synergia_shared.messaging.inbox import BatchHandler, InboxConsumer
from synergia_shared.projections import actor_lifecycle as lifecycle
from synergia_shared.projections import actor_repository as repository
from synergia_shared.projections import batches, contact_fetches
from synergia_shared.projections.actor_lifecycle import NO_MARKS, LifecycleMarks
from synergia_shared.projections.actor_tables import ActorTables

logger = logging.getLogger(__name__)

ACTOR_REGISTERED = "eu.synergia.registry.actor.registered.v1"
ACTOR_UPDATED = "eu.synergia.registry.actor.updated.v1"
ACTOR_DEACTIVATED = "eu.synergia.registry.actor.deactivated.v1"
ACTOR_PERSONAL_DATA_ERASED = "eu.synergia.registry.actor.personal-data-erased.v1"
PROFILE_SNAPSHOTS = frozenset({ACTOR_REGISTERED, ACTOR_UPDATED})
ACTOR_EVENT_TYPES = (
    ACTOR_REGISTERED,
    ACTOR_UPDATED,
    ACTOR_DEACTIVATED,
    ACTOR_PERSONAL_DATA_ERASED,
)

# The row a service's projection keeps of a snapshot at a sequence, given the marks seen.
SnapshotRow = Callable[[ActorRegisteredV1, int, LifecycleMarks], dict[str, Any]]


@dataclass(frozen=True)
class ActorSnapshot:
    """A registered/updated event of the batch, with the actor version it states."""

    sequence: int
    event: CloudEvent
    data: ActorRegisteredV1

    @property
    def actor_id(self) -> uuid.UUID:
        return self.data.actor_id


def latest_snapshots(snapshots: Sequence[ActorSnapshot]) -> list[ActorSnapshot]:
    """Each actor's newest snapshot of the batch: the only one that can matter
    (``batches.latest_per_aggregate``)."""
    return batches.latest_per_aggregate(snapshots, lambda s: s.actor_id, lambda s: s.sequence)


def contact_actions(
    applied: Sequence[ActorSnapshot], marks: Mapping[uuid.UUID, LifecycleMarks]
) -> dict[uuid.UUID, tuple[int, lifecycle.ContactsAction]]:
    """What each applied snapshot means for its actor's shared contacts, with its
    sequence (``actor_lifecycle.contacts_after_snapshot``)."""
    return {
        s.actor_id: (
            s.sequence,
            lifecycle.contacts_after_snapshot(s.data, s.sequence, marks.get(s.actor_id, NO_MARKS)),
        )
        for s in applied
    }


def first_snapshots(applied: Sequence[ActorSnapshot]) -> set[uuid.UUID]:
    """The actors whose applied snapshot is their first version (sequence 1). Applied
    means no snapshot was applied before it (a newer one would have stopped it), so no
    owners are held for them yet: nothing of theirs to delete."""
    return {s.actor_id for s in applied if s.sequence == 1}


async def _apply_marks(
    session: AsyncSession, tables: ActorTables, events: Sequence[tuple[CloudEvent, Any]]
) -> list[ActorSnapshot]:
    """Record the batch's deactivations and erasures (rare: one by one); its snapshots."""
    snapshots: list[ActorSnapshot] = []
    for event, data in events:
        sequence = lifecycle.event_sequence(event.sequence, data.version)
        if event.type == ACTOR_DEACTIVATED:
            await repository.deactivate(session, tables, data.actor_id, sequence)
        elif event.type == ACTOR_PERSONAL_DATA_ERASED:
            await repository.erase_contacts(
                session, tables, data.actor_id, sequence, remaining=data.shared_contacts_count
            )
        else:
            snapshots.append(ActorSnapshot(sequence, event, data))
    return snapshots


def _only_applied(latest: Sequence[ActorSnapshot], applied: set[uuid.UUID]) -> list[ActorSnapshot]:
    for snapshot in latest:
        if snapshot.actor_id not in applied:
            logger.info(
                "older profile snapshot ignored",
                extra={"actor_id": str(snapshot.actor_id), "sequence": snapshot.sequence},
            )
    return [s for s in latest if s.actor_id in applied]


async def apply_actor_events(
    session: AsyncSession,
    tables: ActorTables,
    events: Sequence[tuple[CloudEvent, Any]],
    snapshot_row: SnapshotRow,
) -> list[ActorSnapshot]:
    """A batch's actor events in a few statements, whatever its size; the snapshots
    applied (each actor's newest of the batch, if newer than the stored one).

    Every actor of the batch is locked first (one statement, in key order). Then the
    marks (deactivations, erasures: rare, one by one) and then, for each actor, only
    its newest snapshot of the batch, upserted in one multi-row statement under the
    sequence guard, with its contacts and owners. On a topic, an actor's events come in
    sequence order, and with marks before snapshots the outcome is that of applying
    them one at a time: a mark decides on what is older than it, whichever comes first
    (``actor_lifecycle``).
    """
    await contact_fetches.lock_actors(session, [data.actor_id for _, data in events])
    latest = latest_snapshots(await _apply_marks(session, tables, events))
    if not latest:
        return []
    marks = await repository.marks_of(session, tables, [s.actor_id for s in latest])
    rows = [snapshot_row(s.data, s.sequence, marks.get(s.actor_id, NO_MARKS)) for s in latest]
    applied = _only_applied(latest, await repository.upsert_snapshots(session, tables, rows))
    await repository.snapshots_contacts(session, tables, contact_actions(applied, marks))
    await repository.replace_ownership_links_of(
        session,
        tables,
        {s.actor_id: lifecycle.owner_links(s.data) for s in applied},
        first_snapshots=first_snapshots(applied),
    )
    return applied


def actor_projection_consumer(
    name: str, apply_events: BatchHandler, **options: Any
) -> InboxConsumer:
    """The inbox consumer of a projection of the registry's actors: every actor event
    type, applied a batch at a time by ``apply_events``."""
    return InboxConsumer.applying_batches(
        name=name,
        topics=[REGISTRY_ACTOR],
        event_types=list(ACTOR_EVENT_TYPES),
        apply_events=apply_events,
        **options,
    )
