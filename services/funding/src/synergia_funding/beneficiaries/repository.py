"""Every query on the beneficiaries projection."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_funding.beneficiaries.models import beneficiaries


async def upsert(session: AsyncSession, **values: Any) -> None:
    statement = pg_insert(beneficiaries).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[beneficiaries.c.actor_id],
            set_={
                **{k: statement.excluded[k] for k in values if k != "actor_id"},
                "updated_at": func.now(),
            },
        )
    )


async def get(session: AsyncSession, actor_id: uuid.UUID) -> Row[Any] | None:
    return (
        await session.execute(select(beneficiaries).where(beneficiaries.c.actor_id == actor_id))
    ).first()
