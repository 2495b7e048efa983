"""Keeps the actor_profiles projection from the registry's actor events.

The projection itself (ordering, marks, contacts, owners, a batch at a time under
per-actor locks) is every actor projection's: ``synergia_shared.projections.actor_events``;
the row a snapshot makes, with what it is matched on, is matching's own
(``rules.profile_row``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.messaging.inbox import InboxConsumer
from synergia_shared.projections import actor_events

from synergia_matching.profiles import rules
from synergia_matching.profiles.models import ACTOR_TABLES


async def apply_actor_events(
    session: AsyncSession, events: Sequence[tuple[CloudEvent, Any]]
) -> None:
    """A batch's actor events in a few statements (``actor_events.apply_actor_events``)."""
    await actor_events.apply_actor_events(session, ACTOR_TABLES, events, rules.profile_row)


def actor_projection() -> InboxConsumer:
    return actor_events.actor_projection_consumer("matching.actor-projection", apply_actor_events)
