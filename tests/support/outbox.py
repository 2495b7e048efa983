"""Writing to the registry's test outbox and relaying it, for the relay's own tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from synergia_shared.bus import Bus
from synergia_shared.db import create_session_factory, unit_of_work
from synergia_shared.events.registry import ActorKind, ActorRegisteredV1
from synergia_shared.messaging.outbox import add_event
from synergia_shared.messaging.relay import OutboxRelay

from tests.support.stack import TestStack


async def write_events(
    engine: AsyncEngine, aggregates: list[uuid.UUID], per_aggregate: int, *, first: int = 1
) -> None:
    """Interleaved events, each aggregate's sequence ``first``.., in separate transactions."""
    sessions = create_session_factory(engine)
    for sequence in range(first, first + per_aggregate):
        for aggregate in aggregates:
            async with unit_of_work(sessions) as session:
                await add_event(
                    session,
                    ActorRegisteredV1(
                        actor_id=aggregate,
                        legal_name=f"v{sequence}",
                        kind=ActorKind.SME,
                        country="DE",
                        registered_at=datetime.now(UTC),
                    ),
                    aggregate_type="actor",
                    subject=str(aggregate),
                    sequence=sequence,
                )


def relay_on(stack: TestStack, engine: AsyncEngine, bus: Bus, **options: Any) -> OutboxRelay:
    """A relay over the registry's test outbox, publishing with ``bus``."""
    return OutboxRelay(
        engine,
        bus,
        database_url=stack.database_url("registry"),
        topic_prefix=stack.topic_prefix,
        **options,
    )
