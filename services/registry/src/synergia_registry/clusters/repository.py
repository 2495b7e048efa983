"""Every query on cluster profiles and memberships.

A membership is current while ``left_on IS NULL OR left_on > current_date``
(:func:`is_current_membership`); other packages use the same predicate or
:func:`current_cluster_ids_of`.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Uuid,
    any_,
    bindparam,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_registry.actors.models import actors
from synergia_registry.clusters.models import cluster_memberships, cluster_profiles

CLUSTER_KIND = "cluster_organisation"

AnyRow = Row[*tuple[Any, ...]]

_m = cluster_memberships
_p = cluster_profiles


def is_current_membership(table: Any = cluster_memberships) -> ColumnElement[bool]:
    """``left_on IS NULL OR left_on > current_date``: the one definition of "current"."""
    return or_(table.c.left_on.is_(None), table.c.left_on > func.current_date())


async def current_cluster_ids_of(session: AsyncSession, actor_id: uuid.UUID) -> list[uuid.UUID]:
    """The clusters the actor is a current member of (for search and contact visibility)."""
    result = await session.scalars(
        select(_m.c.cluster_id)
        .where(_m.c.member_actor_id == actor_id, is_current_membership())
        .distinct()
        .order_by(_m.c.cluster_id)
    )
    return list(result)


async def today(session: AsyncSession) -> date:
    """The database's ``current_date``, so rules and SQL agree on what "current" means."""
    value: date = (await session.execute(select(func.current_date()))).scalar_one()
    return value


async def get_actor(session: AsyncSession, actor_id: uuid.UUID) -> AnyRow | None:
    return (
        await session.execute(
            select(
                actors.c.id,
                actors.c.legal_name,
                actors.c.short_name,
                actors.c.kind,
                actors.c.country,
                actors.c.active,
            ).where(actors.c.id == actor_id)
        )
    ).first()


# --- clusters ----------------------------------------------------------------------------


def _member_count(*, committed_only: bool = False) -> Any:
    conditions = [_m.c.cluster_id == actors.c.id, is_current_membership()]
    if committed_only:
        conditions.append(_m.c.committed.is_(True))
    return (
        select(func.count()).select_from(_m).where(*conditions).correlate(actors).scalar_subquery()
    )


def _clusters(*, with_committed: bool = False) -> Select[*tuple[Any, ...]]:
    columns: list[Any] = [
        actors.c.id,
        actors.c.legal_name,
        actors.c.short_name,
        actors.c.country,
        _p.c.ecosystems,  # NULL when the cluster has no profile row yet
        _p.c.s3_priorities,
        _p.c.esca_label,
        _p.c.esca_valid_until,
        _p.c.management_fte,
        func.coalesce(_p.c.version, 0).label("version"),
        _p.c.updated_at,
        _member_count().label("member_count"),
    ]
    if with_committed:
        columns.append(_member_count(committed_only=True).label("committed_member_count"))
    return (
        select(*columns)
        .select_from(actors.outerjoin(_p, _p.c.cluster_id == actors.c.id))
        .where(actors.c.kind == CLUSTER_KIND)
    )


async def get_cluster(session: AsyncSession, cluster_id: uuid.UUID) -> AnyRow | None:
    """A cluster organisation with its profile (defaults when none) and member counts."""
    return (
        await session.execute(_clusters(with_committed=True).where(actors.c.id == cluster_id))
    ).first()


async def list_clusters(
    session: AsyncSession,
    *,
    country: str | None,
    ecosystem: str | None,
    esca_label: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[AnyRow]:
    """Cluster organisations by (legal name, id); ``esca_label`` matches valid labels only."""
    query = _clusters()
    if country is not None:
        query = query.where(actors.c.country == country)
    if ecosystem is not None:
        query = query.where(_p.c.ecosystems.contains([ecosystem]))
    if esca_label is not None:
        query = query.where(
            _p.c.esca_label == esca_label,
            or_(_p.c.esca_valid_until.is_(None), _p.c.esca_valid_until >= func.current_date()),
        )
    if after is not None:
        query = query.where(tuple_(actors.c.legal_name, actors.c.id) > tuple_(*after))
    query = query.order_by(actors.c.legal_name, actors.c.id).limit(limit)
    return list((await session.execute(query)).all())


async def committed_members_by_kind(session: AsyncSession, cluster_id: uuid.UUID) -> dict[str, int]:
    """Current, committed members of the cluster counted by actor kind."""
    rows = await session.execute(
        select(actors.c.kind, func.count())
        .select_from(_m.join(actors, actors.c.id == _m.c.member_actor_id))
        .where(_m.c.cluster_id == cluster_id, _m.c.committed.is_(True), is_current_membership())
        .group_by(actors.c.kind)
    )
    return {str(kind): int(count) for kind, count in rows}


# --- the cluster aggregate's row -----------------------------------------------------------


async def lock_profile(session: AsyncSession, cluster_id: uuid.UUID) -> AnyRow:
    """The cluster's profile row, created at version 0 if absent, locked for this transaction.

    Every change to the cluster (profile or membership) goes through this lock, so the
    version, and with it the events' sequence, moves one step at a time.
    """
    await session.execute(
        pg_insert(_p).values(cluster_id=cluster_id, version=0).on_conflict_do_nothing()
    )
    row: AnyRow = (
        await session.execute(select(_p).where(_p.c.cluster_id == cluster_id).with_for_update())
    ).one()
    return row


async def save_profile(
    session: AsyncSession,
    cluster_id: uuid.UUID,
    **values: Any,
) -> AnyRow:
    """Write the profile and bump the cluster's version."""
    result = await session.execute(
        update(_p)
        .where(_p.c.cluster_id == cluster_id)
        .values(**values, version=_p.c.version + 1, updated_at=func.now())
        .returning(_p)
    )
    row: AnyRow = result.one()
    return row


async def bump_version(session: AsyncSession, cluster_id: uuid.UUID) -> int:
    """A membership changed: the cluster aggregate moves to its next version."""
    return (await save_profile(session, cluster_id)).version  # type: ignore[no-any-return]


# --- memberships ---------------------------------------------------------------------------


def _members() -> Select[*tuple[Any, ...]]:
    return select(
        _m.c.id.label("membership_id"),
        _m.c.cluster_id,
        _m.c.member_actor_id,
        actors.c.legal_name,
        actors.c.short_name,
        actors.c.kind,
        actors.c.country,
        _m.c.joined_on,
        _m.c.left_on,
        _m.c.committed,
        is_current_membership().label("current"),
    ).select_from(_m.join(actors, actors.c.id == _m.c.member_actor_id))


async def current_membership(
    session: AsyncSession, cluster_id: uuid.UUID, member_actor_id: uuid.UUID
) -> AnyRow | None:
    return (
        await session.execute(
            _members().where(
                _m.c.cluster_id == cluster_id,
                _m.c.member_actor_id == member_actor_id,
                is_current_membership(),
            )
        )
    ).first()


async def last_left_on(
    session: AsyncSession, cluster_id: uuid.UUID, member_actor_id: uuid.UUID
) -> date | None:
    """When the actor's latest earlier membership of the cluster ended, if any."""
    value: date | None = await session.scalar(
        select(func.max(_m.c.left_on)).where(
            _m.c.cluster_id == cluster_id, _m.c.member_actor_id == member_actor_id
        )
    )
    return value


async def add_membership(
    session: AsyncSession,
    *,
    cluster_id: uuid.UUID,
    member_actor_id: uuid.UUID,
    joined_on: date,
    committed: bool,
) -> AnyRow:
    membership_id = uuid.uuid4()
    await session.execute(
        insert(_m).values(
            id=membership_id,
            cluster_id=cluster_id,
            member_actor_id=member_actor_id,
            joined_on=joined_on,
            committed=committed,
        )
    )
    return await _membership(session, membership_id)


async def set_left_on(session: AsyncSession, membership_id: uuid.UUID, left_on: date) -> AnyRow:
    await session.execute(
        update(_m).where(_m.c.id == membership_id).values(left_on=left_on, updated_at=func.now())
    )
    return await _membership(session, membership_id)


async def _membership(session: AsyncSession, membership_id: uuid.UUID) -> AnyRow:
    row: AnyRow = (await session.execute(_members().where(_m.c.id == membership_id))).one()
    return row


async def list_members(
    session: AsyncSession,
    cluster_id: uuid.UUID,
    *,
    include_former: bool,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[AnyRow]:
    """Memberships by (member's legal name, membership id)."""
    query = _members().where(_m.c.cluster_id == cluster_id)
    if not include_former:
        query = query.where(is_current_membership())
    if after is not None:
        query = query.where(tuple_(actors.c.legal_name, _m.c.id) > tuple_(*after))
    query = query.order_by(actors.c.legal_name, _m.c.id).limit(limit)
    return list((await session.execute(query)).all())


# --- many memberships at once (a batch) ------------------------------------------------------


def _ids(name: str, ids: Any) -> Any:
    return bindparam(name, sorted(set(ids)), type_=ARRAY(Uuid))


async def actors_by_id(session: AsyncSession, actor_ids: Any) -> dict[uuid.UUID, AnyRow]:
    """:func:`get_actor` of many actors, by id (those that exist)."""
    rows = await session.execute(
        select(actors.c.id, actors.c.active).where(actors.c.id == any_(_ids("ids", actor_ids)))
    )
    return {row.id: row for row in rows}


async def current_memberships(
    session: AsyncSession, cluster_id: uuid.UUID, member_actor_ids: Any
) -> dict[uuid.UUID, AnyRow]:
    """:func:`current_membership` of many actors, by actor id."""
    rows = await session.execute(
        _members().where(
            _m.c.cluster_id == cluster_id,
            _m.c.member_actor_id == any_(_ids("ids", member_actor_ids)),
            is_current_membership(),
        )
    )
    return {row.member_actor_id: row for row in rows}


async def last_left_on_many(
    session: AsyncSession, cluster_id: uuid.UUID, member_actor_ids: Any
) -> dict[uuid.UUID, date]:
    """:func:`last_left_on` of many actors (those with an earlier membership that ended)."""
    rows = await session.execute(
        select(_m.c.member_actor_id, func.max(_m.c.left_on).label("left_on"))
        .where(
            _m.c.cluster_id == cluster_id,
            _m.c.member_actor_id == any_(_ids("ids", member_actor_ids)),
            _m.c.left_on.is_not(None),
        )
        .group_by(_m.c.member_actor_id)
    )
    return {row.member_actor_id: row.left_on for row in rows}


async def add_memberships(
    session: AsyncSession, cluster_id: uuid.UUID, rows: list[dict[str, Any]]
) -> list[AnyRow]:
    """Insert memberships (``member_actor_id``, ``joined_on``, ``committed``, ``left_on``)
    with one statement; their views, in the given order."""
    ids = [uuid.uuid4() for _ in rows]
    await session.execute(
        insert(_m),
        [{**row, "id": i, "cluster_id": cluster_id} for i, row in zip(ids, rows, strict=True)],
    )
    found = {
        row.membership_id: row
        for row in await session.execute(_members().where(_m.c.id == any_(_ids("ids", ids))))
    }
    return [found[i] for i in ids]


async def bump_version_by(session: AsyncSession, cluster_id: uuid.UUID, steps: int) -> int:
    """Several changes at once: the cluster's version moves ``steps`` on; the new one."""
    result = await session.execute(
        update(_p)
        .where(_p.c.cluster_id == cluster_id)
        .values(version=_p.c.version + steps, updated_at=func.now())
        .returning(_p.c.version)
    )
    version: int = result.scalar_one()
    return version
