"""Dead-letter repository: the parked events a service knows about."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_shared.messaging.tables import dead_letters

_NAMESPACE = uuid.UUID("5b0f3c2e-4d8a-4f61-9a57-2f4f3e1d7c10")


def id_for(consumer: str, topic: str, partition: int, offset: int, payload: bytes) -> uuid.UUID:
    """The dead letter's id, derived from the record: the same record parked again (its
    offset commit lost) has the same id. The payload's digest is part of it because a
    broker that lost its log hands out the same offsets again, to other records."""
    digest = hashlib.sha256(payload).hexdigest()
    return uuid.uuid5(_NAMESPACE, f"{consumer}\0{topic}\0{partition}\0{offset}\0{digest}")


async def exists(session: AsyncSession, dead_letter_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(dead_letters.c.id).where(dead_letters.c.id == dead_letter_id)
    )
    return found is not None


async def record(session: AsyncSession, *, dead_letter_id: uuid.UUID, **values: Any) -> bool:
    """Store a parked record; ``False`` if it was stored before (same id)."""
    inserted = await session.scalar(
        pg_insert(dead_letters)
        .values(id=dead_letter_id, **values)
        .on_conflict_do_nothing(index_elements=[dead_letters.c.id])
        .returning(dead_letters.c.id)
    )
    return inserted is not None


async def list_parked(
    session: AsyncSession,
    *,
    include_replayed: bool,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Row[Any]]:
    query = select(dead_letters).order_by(dead_letters.c.parked_at, dead_letters.c.id).limit(limit)
    if not include_replayed:
        query = query.where(dead_letters.c.replayed_at.is_(None))
    if after is not None:
        query = query.where(tuple_(dead_letters.c.parked_at, dead_letters.c.id) > tuple_(*after))
    return list((await session.execute(query)).all())


async def get_for_update(session: AsyncSession, dead_letter_id: uuid.UUID) -> Row[Any] | None:
    return (
        await session.execute(
            select(dead_letters).where(dead_letters.c.id == dead_letter_id).with_for_update()
        )
    ).first()


async def mark_replayed(session: AsyncSession, dead_letter_id: uuid.UUID) -> None:
    await session.execute(
        update(dead_letters)
        .where(dead_letters.c.id == dead_letter_id)
        .values(replayed_at=func.now(), replay_error=None)
    )


async def mark_replay_failed(session: AsyncSession, dead_letter_id: uuid.UUID, error: str) -> None:
    await session.execute(
        update(dead_letters).where(dead_letters.c.id == dead_letter_id).values(replay_error=error)
    )


async def count_open(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(dead_letters.c.consumer, func.count())
        .where(dead_letters.c.replayed_at.is_(None))
        .group_by(dead_letters.c.consumer)
    )
    return {consumer: count for consumer, count in rows.all()}
