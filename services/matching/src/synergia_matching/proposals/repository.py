"""Every query of team proposals: candidates per stage, their groups, stored proposals."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, TEXT, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_matching.proposals.models import team_proposals

TextArray = ARRAY(TEXT)
UuidArray = ARRAY(UUID(as_uuid=True))

# One statement for every stage. ``hits``: how well each active, not excluded actor fits
# each stage it matches, the share of the stage's term groups its offers cover and the share
# of the stage's competences it offers (NULL when the stage asks for none); ``fit`` is
# rules.stage_fit before rounding. Then the candidates the solver's pre-filter
# (teams._common.prefilter) may keep, a superset of it: per stage, among eligible
# candidates, every one within ``margin`` of the ``top_n``-th best fit (all when fewer),
# of the best per country, per sector label (NACE section and ecosystem: either basis)
# and of the best SME overall and per country, plus the must-include actors. ``margin``
# covers the rounding of the fit to 3 places (the pre-filter ranks rounded fits and breaks
# ties by S3 alignment, which the database does not know). Each row: one kept actor, its
# profile and its fits for every stage it matches; ``fitting`` counts the actors with a
# fit > 0 for some stage plus the must-include ones, ``any_nace`` whether one carries a
# NACE code (the "auto" sector basis over all of them).
_CANDIDATES = text(
    """
WITH st AS MATERIALIZED (
    SELECT s.n AS stage,
           array(SELECT to_tsquery('english', g) FROM unnest(s.groups) AS g) AS qs,
           to_tsquery('english', (SELECT string_agg('(' || g || ')', ' | ')
                                  FROM unnest(s.groups) AS g)) AS any_q,
           s.competences
    FROM jsonb_to_recordset(CAST(:stages AS jsonb)) AS s(n int, groups text[], competences text[])
), hits AS MATERIALIZED (
    SELECT p.actor_id, st.stage, p.country, p.nace_codes, p.ecosystems,
        coalesce(p.sme_category IN ('micro', 'small', 'medium'), false) AS sme,
        p.country_standing IS DISTINCT FROM 'third_country' AS eligible,
        cardinality(array(SELECT i FROM generate_subscripts(st.qs, 1) AS i
                          WHERE p.offers_document @@ st.qs[i]))::float8
            / nullif(cardinality(st.qs), 0) AS text_fit,
        cardinality(array(SELECT c FROM unnest(p.offered_competences) AS c
                          WHERE c = ANY(st.competences)))::float8
            / nullif(cardinality(st.competences), 0) AS competence_fit
    FROM st JOIN actor_profiles AS p
      ON (st.any_q IS NOT NULL AND p.offers_document @@ st.any_q)
         OR p.offered_competences && st.competences
    WHERE p.active AND p.actor_id <> ALL(:exclude)
), fits AS (
    SELECT h.*,
        (CAST(:w_text AS float8) * coalesce(h.text_fit, 0)
         + CAST(:w_competences AS float8) * coalesce(h.competence_fit, 0))
        / nullif((CASE WHEN h.text_fit IS NULL THEN 0 ELSE CAST(:w_text AS float8) END)
                 + (CASE WHEN h.competence_fit IS NULL THEN 0
                         ELSE CAST(:w_competences AS float8) END), 0) AS fit
    FROM hits AS h
), usable AS (
    SELECT * FROM fits WHERE eligible AND fit > 0.0004
), ranked AS (
    SELECT u.actor_id, u.fit, u.sme,
        nth_value(u.fit, :top_n) OVER (
            PARTITION BY u.stage ORDER BY u.fit DESC
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS nth,
        max(u.fit) OVER (PARTITION BY u.stage, u.country) AS best_country,
        max(u.fit) FILTER (WHERE u.sme) OVER (PARTITION BY u.stage) AS best_sme,
        max(u.fit) FILTER (WHERE u.sme) OVER (PARTITION BY u.stage, u.country)
            AS best_sme_country
    FROM usable AS u
), labelled AS (
    SELECT u.actor_id, u.fit, max(u.fit) OVER (PARTITION BY u.stage, l.label) AS best
    FROM usable AS u,
    LATERAL (SELECT 'n:' || left(c, 1) FROM unnest(u.nace_codes) AS c
             UNION SELECT 'e:' || e FROM unnest(u.ecosystems) AS e) AS l(label)
), keep AS (
    SELECT actor_id FROM ranked
    WHERE nth IS NULL OR fit >= nth - :margin OR fit >= best_country - :margin
       OR (sme AND (fit >= best_sme - :margin OR fit >= best_sme_country - :margin))
    UNION SELECT actor_id FROM labelled WHERE fit >= best - :margin
    UNION SELECT unnest(CAST(:must AS uuid[]))
), fitting AS (
    SELECT actor_id, nace_codes FROM fits WHERE round(CAST(fit AS numeric), 3) > 0
    UNION SELECT actor_id, nace_codes FROM actor_profiles WHERE actor_id = ANY(:must)
)
SELECT p.actor_id, p.legal_name, p.country, p.country_standing, p.nuts_code, p.nace_codes,
    p.ecosystems, p.sme_category, p.active,
    array_remove(array_agg(f.stage ORDER BY f.stage), NULL) AS stages,
    array_agg(f.text_fit ORDER BY f.stage) FILTER (WHERE f.stage IS NOT NULL) AS text_fits,
    array_agg(f.competence_fit ORDER BY f.stage) FILTER (WHERE f.stage IS NOT NULL)
        AS competence_fits,
    (SELECT count(DISTINCT actor_id) FROM fitting) AS fitting,
    (SELECT coalesce(bool_or(cardinality(nace_codes) > 0), false) FROM fitting) AS any_nace
FROM actor_profiles AS p
JOIN (SELECT DISTINCT actor_id FROM keep) AS k ON k.actor_id = p.actor_id
LEFT JOIN fits AS f ON f.actor_id = p.actor_id
GROUP BY p.actor_id
"""
).bindparams(
    bindparam("exclude", type_=UuidArray),
    bindparam("must", type_=UuidArray),
)

#: Rounding the fit to 3 places moves it by at most 0.0005; two fits that the pre-filter
#: ranks in one order are at most twice that apart the other way (plus float noise).
RANK_MARGIN = 0.0011


@dataclass(frozen=True)
class StageQuery:
    """What one stage asks for: its term groups (tsquery texts) and competences."""

    groups: Sequence[str]
    competences: Sequence[str]


async def candidates(
    session: AsyncSession,
    stages: Sequence[StageQuery],
    *,
    exclude: Sequence[uuid.UUID],
    must: Sequence[uuid.UUID],
    fit_parts: Mapping[str, float],
    top_n: int | None,
) -> list[Row[Any]]:
    """Profiles and per-stage fits (``stages`` holds indexes into ``stages``) of the
    candidates the pre-filter with ``top_n`` may keep, plus the must-include actors, in
    one round trip; every fitting actor when ``top_n`` is None."""
    payload = [
        {"n": i, "groups": list(s.groups), "competences": list(s.competences)}
        for i, s in enumerate(stages)
    ]
    result = await session.execute(
        _CANDIDATES,
        {
            "stages": json.dumps(payload),
            "exclude": list(exclude),
            "must": list(must),
            "w_text": fit_parts["text"],
            "w_competences": fit_parts["competences"],
            "top_n": 2**31 - 1 if top_n is None else top_n,
            "margin": RANK_MARGIN,
        },
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


async def lock_chain_decisions(session: AsyncSession, value_chain_id: uuid.UUID) -> None:
    """Serialise the decisions on one value chain's proposals until the transaction ends:
    two accepts of different proposals must not both see no team accepted yet."""
    key = func.hashtextextended("team-proposals:" + str(value_chain_id), 0)
    await session.execute(select(func.pg_advisory_xact_lock(key)))


async def accepted_of_chain(session: AsyncSession, value_chain_id: uuid.UUID) -> Row[Any] | None:
    row: Row[Any] | None = (
        await session.execute(
            select(team_proposals).where(
                team_proposals.c.value_chain_id == value_chain_id,
                team_proposals.c.status == "accepted",
            )
        )
    ).first()
    return row


async def of_request(session: AsyncSession, request_id: uuid.UUID) -> list[Row[Any]]:
    result = await session.execute(
        select(team_proposals)
        .where(team_proposals.c.request_id == request_id)
        .order_by(team_proposals.c.rank)
    )
    return list(result.all())


async def of_value_chain(
    session: AsyncSession,
    value_chain_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID, int] | None,
) -> list[Row[Any]]:
    """Newest request first, each request's proposals by rank."""
    t = team_proposals.c
    query = select(team_proposals).where(t.value_chain_id == value_chain_id)
    if after is not None:
        created_at, request_id, rank = after
        query = query.where(
            or_(
                t.created_at < created_at,
                and_(t.created_at == created_at, t.request_id < request_id),
                and_(t.created_at == created_at, t.request_id == request_id, t.rank > rank),
            )
        )
    query = query.order_by(t.created_at.desc(), t.request_id.desc(), t.rank).limit(limit)
    return list((await session.execute(query)).all())


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
