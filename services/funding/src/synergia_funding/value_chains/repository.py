"""SQL of the value-chain projection."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_funding.value_chains.models import value_chains


async def upsert_newer(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Store a snapshot unless a newer or equal one is stored (late events change
    nothing); ``False`` when it was not newer."""
    statement = pg_insert(value_chains).values(**values)
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[value_chains.c.value_chain_id],
            set_={k: statement.excluded[k] for k in values if k != "value_chain_id"},
            where=value_chains.c.source_sequence < statement.excluded.source_sequence,
        ).returning(value_chains.c.value_chain_id)
    )
    return result.first() is not None


async def get(session: AsyncSession, value_chain_id: uuid.UUID) -> Row[Any] | None:
    return (
        await session.execute(
            select(value_chains).where(value_chains.c.value_chain_id == value_chain_id)
        )
    ).first()
