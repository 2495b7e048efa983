"""Every query on actors."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_registry.actors.models import actors


async def add(session: AsyncSession, **values: Any) -> Row[Any]:
    result = await session.execute(insert(actors).values(**values).returning(actors))
    row: Row[Any] = result.one()
    return row


async def get(session: AsyncSession, actor_id: uuid.UUID) -> Row[Any] | None:
    return (await session.execute(select(actors).where(actors.c.id == actor_id))).first()
