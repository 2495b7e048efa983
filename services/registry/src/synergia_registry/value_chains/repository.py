"""Every query on value chains (and the actor facts their rules read)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Row,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_registry.actors.models import actor_owners, actors
from synergia_registry.value_chains.models import (
    value_chain_leads,
    value_chain_participants,
    value_chain_stages,
    value_chains,
)

# A row of any width (SQLAlchemy types a row by its columns).
AnyRow = Row[*tuple[Any, ...]]


@dataclass(frozen=True)
class Children:
    """A value chain's leads, stages and participants, each in its order."""

    leads: list[Row[Any]]
    stages: list[Row[Any]]
    participants: list[Row[Any]]


async def add(session: AsyncSession, **values: Any) -> Row[Any]:
    result = await session.execute(insert(value_chains).values(**values).returning(value_chains))
    row: Row[Any] = result.one()
    return row


async def get(
    session: AsyncSession, value_chain_id: uuid.UUID, *, for_update: bool = False
) -> Row[Any] | None:
    query = select(value_chains).where(value_chains.c.id == value_chain_id)
    if for_update:
        query = query.with_for_update()
    row: Row[Any] | None = (await session.execute(query)).first()
    return row


async def save(
    session: AsyncSession, value_chain_id: uuid.UUID, expected_version: int, **values: Any
) -> Row[Any] | None:
    """Write ``values`` and bump the version, if it is still ``expected_version``."""
    result = await session.execute(
        update(value_chains)
        .where(value_chains.c.id == value_chain_id, value_chains.c.version == expected_version)
        .values(**values, version=value_chains.c.version + 1, updated_at=func.now())
        .returning(value_chains)
    )
    row: Row[Any] | None = result.first()
    return row


async def children(
    session: AsyncSession, value_chain_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Children]:
    """Leads, stages and participants of several value chains: three queries in all."""
    found = {vc_id: Children([], [], []) for vc_id in value_chain_ids}
    if not found:
        return found
    ids = list(found)
    leads = await session.execute(
        select(value_chain_leads)
        .where(value_chain_leads.c.value_chain_id.in_(ids))
        .order_by(value_chain_leads.c.value_chain_id, value_chain_leads.c.position)
    )
    for row in leads:
        found[row.value_chain_id].leads.append(row)
    stages = await session.execute(
        select(value_chain_stages)
        .where(value_chain_stages.c.value_chain_id.in_(ids))
        .order_by(value_chain_stages.c.value_chain_id, value_chain_stages.c.position)
    )
    for row in stages:
        found[row.value_chain_id].stages.append(row)
    participants = await session.execute(
        select(value_chain_participants)
        .where(value_chain_participants.c.value_chain_id.in_(ids))
        .order_by(value_chain_participants.c.value_chain_id, value_chain_participants.c.position)
    )
    for row in participants:
        found[row.value_chain_id].participants.append(row)
    return found


async def replace_children(
    session: AsyncSession,
    value_chain_id: uuid.UUID,
    *,
    lead_actor_ids: Sequence[uuid.UUID],
    stages: Sequence[dict[str, Any]],
    participants: Sequence[dict[str, Any]],
) -> None:
    """Replace leads, stages and participants with the given rows (positions in order)."""
    for table in (value_chain_participants, value_chain_stages, value_chain_leads):
        await session.execute(delete(table).where(table.c.value_chain_id == value_chain_id))
    if lead_actor_ids:
        await session.execute(
            insert(value_chain_leads),
            [
                {"value_chain_id": value_chain_id, "actor_id": actor_id, "position": i}
                for i, actor_id in enumerate(lead_actor_ids)
            ],
        )
    if stages:
        await session.execute(
            insert(value_chain_stages),
            [{**stage, "value_chain_id": value_chain_id} for stage in stages],
        )
    if participants:
        await session.execute(
            insert(value_chain_participants),
            [{**p, "value_chain_id": value_chain_id} for p in participants],
        )


@dataclass(frozen=True)
class ListFilters:
    status: str | None = None
    lead_actor_id: uuid.UUID | None = None
    participant_actor_id: uuid.UUID | None = None
    ecosystem: str | None = None


async def list_page(
    session: AsyncSession,
    filters: ListFilters,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Row[Any]]:
    """Value chains in creation order (keyset on ``(created_at, id)``)."""
    query = select(value_chains)
    if filters.status is not None:
        query = query.where(value_chains.c.status == filters.status)
    if filters.ecosystem is not None:
        query = query.where(value_chains.c.ecosystems.contains([filters.ecosystem]))
    if filters.lead_actor_id is not None:
        query = query.where(
            exists().where(
                value_chain_leads.c.value_chain_id == value_chains.c.id,
                value_chain_leads.c.actor_id == filters.lead_actor_id,
            )
        )
    if filters.participant_actor_id is not None:
        query = query.where(
            exists().where(
                value_chain_participants.c.value_chain_id == value_chains.c.id,
                value_chain_participants.c.actor_id == filters.participant_actor_id,
            )
        )
    if after is not None:
        query = query.where(tuple_(value_chains.c.created_at, value_chains.c.id) > tuple_(*after))
    query = query.order_by(value_chains.c.created_at, value_chains.c.id).limit(limit)
    rows: list[Row[Any]] = list((await session.execute(query)).all())
    return rows


async def actor_refs(session: AsyncSession, actor_ids: Sequence[uuid.UUID]) -> list[AnyRow]:
    """Kind and standing of the actors a write refers to (one query)."""
    if not actor_ids:
        return []
    query = select(actors.c.id, actors.c.kind, actors.c.active).where(
        actors.c.id.in_(set(actor_ids))
    )
    return list((await session.execute(query)).all())


async def eligibility_facts(
    session: AsyncSession, member_ids: Sequence[uuid.UUID], linked_share_percent: Decimal
) -> list[AnyRow]:
    """In ONE query: the facts the eligibility rules read of every consortium member and of
    every actor linked to one through control, transitively and in either direction
    (``share_percent > linked_share_percent`` or ``controls``).

    Each row carries ``controlled_by``: the actors linked to it as its controlling owners.
    """
    if not member_ids:
        return []
    control = (
        select(actor_owners.c.actor_id, actor_owners.c.owner_actor_id)
        .where(or_(actor_owners.c.share_percent > linked_share_percent, actor_owners.c.controls))
        .cte("control")
    )
    reach = (
        select(actors.c.id.label("id"))
        .where(actors.c.id.in_(set(member_ids)))
        .cte("reach", recursive=True)
    )
    step = select(
        case(
            (control.c.actor_id == reach.c.id, control.c.owner_actor_id),
            else_=control.c.actor_id,
        ).label("id")
    ).select_from(
        reach.join(
            control,
            or_(control.c.actor_id == reach.c.id, control.c.owner_actor_id == reach.c.id),
        )
    )
    reach = reach.union(step)  # UNION (not ALL): cycles end
    controlled_by = (
        select(
            func.coalesce(
                func.array_agg(control.c.owner_actor_id),
                literal([], ARRAY(UUID(as_uuid=True))),
            )
        )
        .where(control.c.actor_id == actors.c.id)
        .correlate(actors)
        .scalar_subquery()
    )
    query = select(
        actors.c.id,
        actors.c.legal_name,
        actors.c.kind,
        actors.c.country,
        actors.c.active,
        actors.c.nace_codes,
        actors.c.ecosystems,
        actors.c.sme_category,
        controlled_by.label("controlled_by"),
    ).where(actors.c.id.in_(select(reach.c.id)))
    return list((await session.execute(query)).all())


async def add_participants(
    session: AsyncSession, value_chain_id: uuid.UUID, participants: Sequence[dict[str, Any]]
) -> None:
    """Append participants after the existing ones (positions in order)."""
    await session.execute(
        insert(value_chain_participants),
        [{**p, "value_chain_id": value_chain_id} for p in participants],
    )
