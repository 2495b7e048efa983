"""Every query on the cluster and value-chain projections."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_matching.network.models import cluster_memberships, cluster_profiles, value_chains


@functools.cache
def _upsert_newer_statement(table: Any, key: str, columns: tuple[str, ...]) -> Any:
    """Insert, or overwrite with a strictly newer snapshot; built once per table."""
    statement = pg_insert(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_={
            **{k: statement.excluded[k] for k in columns if k != key},
            "updated_at": func.now(),
        },
        where=table.c.source_sequence < statement.excluded.source_sequence,
    )


async def upsert_newer_many(
    session: AsyncSession, table: Any, key: str, rows: Sequence[dict[str, Any]]
) -> None:
    """Snapshots, each of another ``key``, in multi-row statements: each inserted, or
    overwriting a strictly older one (a late or replayed one changes nothing)."""
    if rows:
        await session.execute(_upsert_newer_statement(table, key, tuple(sorted(rows[0]))), rows)


async def upsert_cluster_profiles(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await upsert_newer_many(session, cluster_profiles, "cluster_id", rows)


async def upsert_value_chains(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await upsert_newer_many(session, value_chains, "value_chain_id", rows)


async def members_joined(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Memberships begun, in one statement (a repeated one, in the batch or stored
    before, is a no-op)."""
    if rows:
        await session.execute(pg_insert(cluster_memberships).on_conflict_do_nothing(), rows)


async def member_left(
    session: AsyncSession, cluster_id: uuid.UUID, member_actor_id: uuid.UUID, left_on: date
) -> None:
    """Close the membership period the leaving ends: the latest one that began by then."""
    c = cluster_memberships.c
    latest = (
        select(func.max(c.joined_on))
        .where(c.cluster_id == cluster_id, c.member_actor_id == member_actor_id)
        .where(c.joined_on <= left_on)
        .scalar_subquery()
    )
    await session.execute(
        update(cluster_memberships)
        .where(
            c.cluster_id == cluster_id,
            c.member_actor_id == member_actor_id,
            c.joined_on == latest,
            or_(c.left_on.is_(None), c.left_on != left_on),
        )
        .values(left_on=left_on, updated_at=func.now())
    )


def current_membership() -> Any:
    c = cluster_memberships.c
    return or_(c.left_on.is_(None), c.left_on > func.current_date())


async def get_value_chain(session: AsyncSession, value_chain_id: uuid.UUID) -> Row[Any] | None:
    return (
        await session.execute(
            select(value_chains).where(value_chains.c.value_chain_id == value_chain_id)
        )
    ).first()


async def current_clusters_of(
    session: AsyncSession, actor_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    c = cluster_memberships.c
    rows = await session.execute(
        select(c.member_actor_id, c.cluster_id).where(
            and_(c.member_actor_id.in_(actor_ids), current_membership())
        )
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = {}
    for row in rows:
        found.setdefault(row.member_actor_id, []).append(row.cluster_id)
    return found
