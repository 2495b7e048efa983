"""Dead-letter repository: the parked events a service knows about."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_shared.messaging.tables import dead_letters


async def record(session: AsyncSession, *, dead_letter_id: uuid.UUID, **values: Any) -> None:
    await session.execute(insert(dead_letters).values(id=dead_letter_id, **values))


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
