"""Keeps the actor_profiles projection from the registry's actor events.

Ordering (see ``rules`` and ``repository``): registered/updated events are whole-profile
snapshots applied only when newer than the stored one (``source_sequence``); an older or
equal one arriving late is ignored. Deactivations and erasures are recorded as marks in
``actor_lifecycle_marks`` (also for an actor not projected yet) and applied to the row if
its snapshot is older; they do not advance ``source_sequence``, so a late snapshot that is
newer than the stored one but older than the mark is still applied for its other fields,
with ``active`` false and no contacts. Events are applied a batch at a time
(``apply_actor_events``), under per-actor locks.
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
from synergia_shared.messaging.inbox import InboxConsumer
from synergia_shared.projections import actor_lifecycle as lifecycle
from synergia_shared.projections import batches
from synergia_shared.projections.actor_lifecycle import NO_MARKS

from synergia_matching.profiles import repository, rules

logger = logging.getLogger(__name__)

ACTOR_REGISTERED = "eu.synergia.registry.actor.registered.v1"
ACTOR_UPDATED = "eu.synergia.registry.actor.updated.v1"
ACTOR_DEACTIVATED = "eu.synergia.registry.actor.deactivated.v1"
ACTOR_PERSONAL_DATA_ERASED = "eu.synergia.registry.actor.personal-data-erased.v1"


async def apply_actor_events(
    session: AsyncSession, events: Sequence[tuple[CloudEvent, Any]]
) -> None:
    """A batch's actor events in a few statements, whatever its size.

    Every actor of the batch is locked first (one statement, in key order). Then the
    marks (deactivations, erasures: rare, one by one) and then, for each actor, only
    its newest snapshot of the batch (``batches.latest_per_aggregate``), upserted in
    one multi-row statement under the sequence guard, with its contacts and owners.
    On a topic, an actor's events come in sequence order, and with marks before
    snapshots the outcome is that of applying them one at a time: a mark decides on
    what is older than it, whichever comes first (``actor_lifecycle``).
    """
    await repository.lock_actors(session, [data.actor_id for _, data in events])
    snapshots: list[tuple[int, ActorRegisteredV1]] = []
    for event, data in events:
        sequence = lifecycle.event_sequence(event.sequence, data.version)
        if event.type == ACTOR_DEACTIVATED:
            await repository.deactivate(session, data.actor_id, sequence)
        elif event.type == ACTOR_PERSONAL_DATA_ERASED:
            await repository.erase_contacts(
                session, data.actor_id, sequence, remaining=data.shared_contacts_count
            )
        else:
            snapshots.append((sequence, data))
    latest = batches.latest_per_aggregate(snapshots, lambda s: s[1].actor_id, lambda s: s[0])
    if not latest:
        return
    marks = await repository.marks_of(session, [data.actor_id for _, data in latest])
    applied = await repository.upsert_snapshots(
        session,
        [
            rules.profile_row(data, sequence, marks.get(data.actor_id, NO_MARKS))
            for sequence, data in latest
        ],
    )
    contacts: dict[uuid.UUID, tuple[int, lifecycle.ContactsAction]] = {}
    owners: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for sequence, data in latest:
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
        owners[data.actor_id] = lifecycle.owner_links(data)
    await repository.snapshots_contacts(session, contacts)
    # An applied first snapshot (sequence 1) had nothing before it: no owners to delete.
    await repository.replace_ownership_links_of(
        session,
        owners,
        first_snapshots={data.actor_id for sequence, data in latest if sequence == 1},
    )


def actor_projection() -> InboxConsumer:
    return InboxConsumer.applying_batches(
        name="matching.actor-projection",
        topics=[REGISTRY_ACTOR],
        event_types=[
            ACTOR_REGISTERED,
            ACTOR_UPDATED,
            ACTOR_DEACTIVATED,
            ACTOR_PERSONAL_DATA_ERASED,
        ],
        apply_events=apply_actor_events,
    )
