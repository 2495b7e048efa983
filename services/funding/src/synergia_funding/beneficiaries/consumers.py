"""Keeps the beneficiaries projection from the registry's actor events.

The projection itself (ordering, marks, contacts, owners, a batch at a time under
per-actor locks) is every actor projection's: ``synergia_shared.projections.actor_events``.

An actor's snapshot applied also releases the ledger entries parked for want of it
(money an authority sent before the registration reached funding), in the same
transaction: they are decided and recorded as if they had just arrived.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.messaging.inbox import InboxConsumer
from synergia_shared.projections import actor_events, contact_fetches
from synergia_shared.projections import actor_lifecycle as lifecycle
from synergia_shared.projections.actor_events import PROFILE_SNAPSHOTS, ActorSnapshot

from synergia_funding.beneficiaries.models import ACTOR_TABLES
from synergia_funding.ledger import repository as ledger_repository
from synergia_funding.ledger import service as ledger


async def apply_actor_events(
    session: AsyncSession, events: Sequence[tuple[CloudEvent, Any]]
) -> None:
    """A batch's actor events in a few statements (``actor_events.apply_actor_events``;
    the single undertaking of the de minimis rule follows the owners of the latest
    snapshot). Money parked for an actor whose snapshot was applied is then decided."""
    applied = await actor_events.apply_actor_events(
        session, ACTOR_TABLES, events, lifecycle.snapshot_columns
    )
    await release_awaited_money(session, applied)


async def release_awaited_money(session: AsyncSession, applied: Sequence[ActorSnapshot]) -> None:
    """Decide the money sent for these actors before their registration arrived, all
    together (``ledger.beneficiaries_arrived``); what it decides for an actor is caused
    by its snapshot's event (correlation, causation). The arrival locks come before
    looking: a writer parking an item for one of these actors, not committed yet, is
    waited for, and its item found (held already within a batch)."""
    await ledger.beneficiaries_arrived(
        session, [ledger.Arrival(s.actor_id, s.event) for s in applied]
    )


async def lock_batch(session: AsyncSession, events: Sequence[tuple[CloudEvent, Any]]) -> None:
    """A batch's locks up front, in the writers' order: every actor's (its events are
    serialised with replays), then the arrivals of those whose snapshot may release
    parked money (a writer takes its arrivals first, all at once, in ascending order)."""
    await contact_fetches.lock_actors(session, [data.actor_id for _, data in events])
    await ledger_repository.lock_arrivals(
        session,
        [data.actor_id for event, data in events if event.type in PROFILE_SNAPSHOTS],
    )


def actor_projection() -> InboxConsumer:
    return actor_events.actor_projection_consumer(
        "funding.beneficiary-projection", apply_actor_events, lock_batch=lock_batch
    )
