"""Every query of team proposals: candidates per stage, their groups, stored proposals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, TEXT, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_matching.profiles.models import actor_profiles
from synergia_matching.proposals.models import team_proposals

TextArray = ARRAY(TEXT)
UuidArray = ARRAY(UUID(as_uuid=True))

# How well each active actor fits one stage: the share of the stage's term groups its
# offers cover and the share of the stage's competences it offers (0 when not asked).
_STAGE_CANDIDATES = text(
    """
WITH q AS (
    SELECT array(SELECT to_tsquery('english', g) FROM unnest(:groups) AS g) AS qs,
           (SELECT coalesce(string_agg('(' || g || ')', ' | '), '') FROM unnest(:groups) g)
               AS any_q
)
SELECT p.actor_id,
    cardinality(array(SELECT i FROM generate_subscripts(q.qs, 1) AS i
                      WHERE p.offers_document @@ q.qs[i]))::float8
        / nullif(cardinality(q.qs), 0) AS text_fit,
    cardinality(array(SELECT c FROM unnest(p.offered_competences) AS c
                      WHERE c = ANY(:competences)))::float8
        / nullif(cardinality(:competences), 0) AS competence_fit
FROM actor_profiles AS p, q
WHERE p.active
  AND p.actor_id <> ALL(:exclude)
  AND ((q.any_q <> '' AND p.offers_document @@ to_tsquery('english', q.any_q))
       OR p.offered_competences && :competences)
"""
).bindparams(
    bindparam("groups", type_=TextArray),
    bindparam("competences", type_=TextArray),
    bindparam("exclude", type_=UuidArray),
)


async def stage_fits(
    session: AsyncSession,
    groups: Sequence[str],
    competences: Sequence[str],
    exclude: Sequence[uuid.UUID],
) -> list[Row[Any]]:
    result = await session.execute(
        _STAGE_CANDIDATES,
        {"groups": list(groups), "competences": list(competences), "exclude": list(exclude)},
    )
    return list(result.all())


async def profiles(session: AsyncSession, actor_ids: Sequence[uuid.UUID]) -> list[Any]:
    p = actor_profiles.c
    result = await session.execute(
        select(
            p.actor_id,
            p.legal_name,
            p.country,
            p.country_standing,
            p.nuts_code,
            p.nace_codes,
            p.ecosystems,
            p.sme_category,
            p.active,
        ).where(p.actor_id.in_(list(actor_ids)))
    )
    return list(result.all())


# Linked enterprises (> 50 % or control) reachable from the candidates, both directions.
_LINKS = text(
    """
WITH RECURSIVE reach(actor_id) AS (
    SELECT unnest(:ids)
    UNION
    SELECT CASE WHEN l.actor_id = reach.actor_id THEN l.owner_actor_id ELSE l.actor_id END
    FROM ownership_links AS l
    JOIN reach ON reach.actor_id IN (l.actor_id, l.owner_actor_id)
    WHERE l.share_percent > 50 OR l.controls
)
SELECT l.actor_id, l.owner_actor_id FROM ownership_links AS l
WHERE (l.share_percent > 50 OR l.controls)
  AND (l.actor_id IN (SELECT actor_id FROM reach)
       OR l.owner_actor_id IN (SELECT actor_id FROM reach))
"""
).bindparams(bindparam("ids", type_=UuidArray))


async def linked_pairs(
    session: AsyncSession, actor_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    rows = await session.execute(_LINKS, {"ids": list(actor_ids)})
    return [(row.actor_id, row.owner_actor_id) for row in rows]


async def add(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await session.execute(insert(team_proposals), rows)


async def get(
    session: AsyncSession, proposal_id: uuid.UUID, *, for_update: bool = False
) -> Row[Any] | None:
    query = select(team_proposals).where(team_proposals.c.id == proposal_id)
    if for_update:
        query = query.with_for_update()
    row: Row[Any] | None = (await session.execute(query)).first()
    return row


async def of_request(session: AsyncSession, request_id: uuid.UUID) -> list[Row[Any]]:
    result = await session.execute(
        select(team_proposals)
        .where(team_proposals.c.request_id == request_id)
        .order_by(team_proposals.c.rank)
    )
    return list(result.all())


async def decide(
    session: AsyncSession,
    proposal_id: uuid.UUID,
    *,
    status: str,
    decided_by: str,
    reason: str | None,
) -> Row[Any]:
    result = await session.execute(
        update(team_proposals)
        .where(team_proposals.c.id == proposal_id)
        .values(
            status=status,
            decided_by=decided_by,
            decided_at=text("now()"),
            decision_reason=reason,
            version=team_proposals.c.version + 1,
        )
        .returning(team_proposals)
    )
    row: Row[Any] = result.one()
    return row
