"""The beneficiaries projection's own queries; those of every actor projection are in
``synergia_shared.projections.actor_repository``."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.projections import actor_repository

from synergia_funding.beneficiaries.models import ACTOR_TABLES


async def get(session: AsyncSession, actor_id: uuid.UUID) -> Row[Any] | None:
    return await actor_repository.get(session, ACTOR_TABLES, actor_id)
