"""Every query of a projection rebuild: its marker, the projection tables it empties or
checks, and the advisory lock that lets one rebuild run per database."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from synergia_shared.messaging.tables import inbox

from synergia_matching.network.models import cluster_memberships, cluster_profiles, value_chains
from synergia_matching.profiles.models import (
    actor_lifecycle_marks,
    actor_profiles,
    ownership_links,
    shared_contact_fetches,
)
from synergia_matching.projection_rebuild.models import projection_rebuild

# What a rebuild writes: the projections of the registry's topics. What matching owns
# itself (S3 priorities, team proposals) is not here, so never touched.
PROJECTION_TABLES = (
    actor_profiles,
    actor_lifecycle_marks,
    ownership_links,
    shared_contact_fetches,
    cluster_profiles,
    cluster_memberships,
    value_chains,
)

# pg_advisory_lock key: one rebuild per database at a time ("matching-rebuild" in hex).
_LOCK_KEY = 0x6D_61_74_63_68_72_62


@dataclass(frozen=True)
class RebuildInProgress:
    started_at: datetime
    reset: bool

    @property
    def reason(self) -> str:
        return (
            f"projection rebuild in progress since {self.started_at.isoformat()}: the "
            "projection is partial; consumers start when synergia-matching-rebuild completes"
        )


async def rebuild_in_progress(session: AsyncSession) -> RebuildInProgress | None:
    row = (
        await session.execute(select(projection_rebuild.c.started_at, projection_rebuild.c.reset))
    ).first()
    return RebuildInProgress(row.started_at, row.reset) if row else None


async def mark_started(session: AsyncSession, *, reset: bool, restart: bool) -> None:
    """Written before the first event is applied, in the reset's transaction if any.
    A resumed rebuild keeps the original start; a restarted one is new."""
    statement = pg_insert(projection_rebuild).values(singleton=True, reset=reset)
    if restart:
        statement = statement.on_conflict_do_update(
            index_elements=[projection_rebuild.c.singleton],
            set_={"started_at": func.now(), "reset": reset},
        )
    else:
        statement = statement.on_conflict_do_nothing()
    await session.execute(statement)


async def mark_done(session: AsyncSession) -> None:
    await session.execute(delete(projection_rebuild))


async def projection_is_empty(session: AsyncSession) -> bool:
    for table in PROJECTION_TABLES:
        if await session.scalar(select(func.count()).select_from(table)):
            return False
    return True


async def reset_projections(session: AsyncSession, consumers: Collection[str]) -> None:
    """Empty the projection tables and forget what the ``consumers`` (the projection
    consumers' names) applied."""
    for table in PROJECTION_TABLES:
        await session.execute(delete(table))
    await session.execute(delete(inbox).where(inbox.c.consumer.in_(list(consumers))))


async def try_lock(conn: AsyncConnection) -> bool:
    """Take the rebuild's session advisory lock, unless another connection holds it."""
    return bool(await conn.scalar(select(func.pg_try_advisory_lock(_LOCK_KEY))))


async def unlock(conn: AsyncConnection) -> None:
    await conn.scalar(select(func.pg_advisory_unlock(_LOCK_KEY)))
