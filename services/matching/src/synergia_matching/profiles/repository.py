"""Every query on the actor_profiles projection."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_matching.profiles.models import actor_profiles


async def upsert(session: AsyncSession, **values: Any) -> None:
    statement = pg_insert(actor_profiles).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[actor_profiles.c.actor_id],
            set_={
                **{k: statement.excluded[k] for k in values if k != "actor_id"},
                "updated_at": func.now(),
            },
        )
    )


async def get(session: AsyncSession, actor_id: uuid.UUID) -> Row[Any] | None:
    return (
        await session.execute(select(actor_profiles).where(actor_profiles.c.actor_id == actor_id))
    ).first()
