"""The partner-search query: filter, score, rank and page in one statement.

The formula is the one of ``scoring`` (weighted components in [0, 1]); the per-search
weights arrive already normalised over the components that apply, so the SQL only sums.
Candidates are found through the GIN indexes (offers document, competences, ecosystems)
before anything is scored.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, FLOAT, TEXT, UUID
from sqlalchemy.ext.asyncio import AsyncSession

SME_CATEGORIES = ("micro", "small", "medium")


@dataclass(frozen=True)
class Query:
    """A partner search, resolved into what the SQL needs."""

    need_groups: Sequence[str]  # tsquery text per needed term group
    offer_groups: Sequence[str]  # the searcher's offers, for mutual benefit
    competences: Sequence[str]
    nace_codes: Sequence[str]  # canonical, prefixes of the candidates' codes
    ecosystems: Sequence[str]
    origin_country: str | None
    origin_sections: Sequence[str]
    s3_codes: Sequence[str]  # regions with a strategy aligned with the need …
    s3_scores: Sequence[float]  # … and how well
    weights: dict[str, float]  # normalised over the components that apply
    part_weights: dict[str, float]  # within complementarity, normalised likewise
    countries_in: Sequence[str] | None = None
    countries_out: Sequence[str] = ()
    kinds: Sequence[str] | None = None
    sme_only: bool = False
    eligible_countries_only: bool = False
    exclude: Sequence[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class After:
    score: Decimal
    registered_at: datetime
    actor_id: uuid.UUID


_SEARCH = """
WITH q AS (
    SELECT
        array(SELECT to_tsquery('english', g) FROM unnest(:need_groups) AS g) AS need_qs,
        array(SELECT to_tsquery('english', g) FROM unnest(:offer_groups) AS g) AS offer_qs,
        (SELECT coalesce(string_agg('(' || g || ')', ' | '), '') FROM unnest(:need_groups) g)
            AS any_need
),
found AS (
    SELECT p.*,
        array(SELECT i FROM generate_subscripts(q.need_qs, 1) AS i
              WHERE p.offers_document @@ q.need_qs[i]) AS text_hits,
        array(SELECT i FROM generate_subscripts(q.offer_qs, 1) AS i
              WHERE p.needs_document @@ q.offer_qs[i]) AS mutual_hits,
        array(SELECT c FROM unnest(p.offered_competences) AS c WHERE c = ANY(:competences))
            AS competence_hits,
        array(SELECT DISTINCT w FROM unnest(:nace_codes) AS w, unnest(p.nace_codes) AS c
              WHERE c LIKE w || '%') AS nace_hits,
        array(SELECT e FROM unnest(p.ecosystems) AS e WHERE e = ANY(:ecosystems))
            AS ecosystem_hits,
        array(SELECT DISTINCT left(c, 1) FROM unnest(p.nace_codes) AS c) AS sections
    FROM actor_profiles AS p, q
    WHERE p.active
      AND p.actor_id <> ALL(:exclude)
      AND (:countries_in IS NULL OR p.country = ANY(:countries_in))
      AND p.country <> ALL(:countries_out)
      AND (:kinds IS NULL OR p.kind = ANY(:kinds))
      AND (NOT CAST(:sme_only AS boolean) OR p.sme_category IN ('micro', 'small', 'medium'))
      AND (NOT CAST(:eligible_only AS boolean)
           OR coalesce(p.country_standing, '') <> 'third_country')
      AND (
          (q.any_need <> '' AND p.offers_document @@ to_tsquery('english', q.any_need))
          OR p.offered_competences && :competences
          OR p.ecosystems && :ecosystems
          OR (cardinality(:nace_codes) > 0 AND EXISTS (
              SELECT 1 FROM unnest(:nace_codes) AS w, unnest(p.nace_codes) AS c
              WHERE c LIKE w || '%'))
      )
),
components AS (
    SELECT f.*,
        cardinality(f.text_hits)::float8 / nullif(cardinality(:need_groups), 0) AS c_text,
        cardinality(f.competence_hits)::float8 / nullif(cardinality(:competences), 0)
            AS c_competences,
        (cardinality(f.nace_hits) + cardinality(f.ecosystem_hits))::float8
            / nullif(cardinality(:nace_codes) + cardinality(:ecosystems), 0) AS c_sectors,
        cardinality(f.mutual_hits)::float8 / nullif(cardinality(:offer_groups), 0) AS c_mutual,
        CASE WHEN CAST(:origin_country AS text) IS NULL THEN NULL
             WHEN f.country <> :origin_country THEN 1.0 ELSE 0.0 END AS c_border,
        CASE WHEN cardinality(:origin_sections) = 0 THEN NULL
             WHEN cardinality(f.sections) = 0 THEN 0.0
             ELSE cardinality(array(SELECT s FROM unnest(f.sections) AS s
                                    WHERE s <> ALL(:origin_sections)))::float8
                  / cardinality(f.sections) END AS c_sector,
        coalesce((SELECT max(r.score) FROM unnest(:s3_codes, :s3_scores) AS r(code, score)
                  WHERE coalesce(f.nuts_code, f.country) LIKE r.code || '%'), 0.0) AS c_s3,
        CASE WHEN f.sme_category IN ('micro', 'small', 'medium') THEN 1.0 ELSE 0.0 END AS c_sme
    FROM found AS f
),
scored AS (
    SELECT c.*,
        CAST(:p_text AS float8) * coalesce(c.c_text, 0)
            + CAST(:p_competences AS float8) * coalesce(c.c_competences, 0)
            + CAST(:p_sectors AS float8) * coalesce(c.c_sectors, 0) AS c_complementarity
    FROM components AS c
),
ranked AS (
    SELECT s.*,
        round((CAST(:w_complementarity AS float8) * s.c_complementarity
            + CAST(:w_mutual AS float8) * coalesce(s.c_mutual, 0)
            + CAST(:w_border AS float8) * coalesce(s.c_border, 0)
            + CAST(:w_sector AS float8) * coalesce(s.c_sector, 0)
            + CAST(:w_s3 AS float8) * s.c_s3
            + CAST(:w_sme AS float8) * s.c_sme)::numeric, 4) AS score
    FROM scored AS s
)
SELECT actor_id, legal_name, short_name, kind, country, country_standing, nuts_code,
       nace_codes, ecosystems, competences, sme_category, registered_at,
       text_hits, mutual_hits, competence_hits, nace_hits, ecosystem_hits,
       c_text, c_competences, c_sectors, c_complementarity, c_mutual, c_border, c_sector,
       c_s3, c_sme, score
FROM ranked
WHERE CAST(:after_score AS numeric) IS NULL OR (score, registered_at, actor_id)
      < (CAST(:after_score AS numeric), CAST(:after_registered_at AS timestamptz),
         CAST(:after_id AS uuid))
ORDER BY score DESC, registered_at DESC, actor_id DESC
LIMIT :limit
"""

TextArray = ARRAY(TEXT)
_STATEMENT = text(_SEARCH).bindparams(
    bindparam("need_groups", type_=TextArray),
    bindparam("offer_groups", type_=TextArray),
    bindparam("competences", type_=TextArray),
    bindparam("nace_codes", type_=TextArray),
    bindparam("ecosystems", type_=TextArray),
    bindparam("origin_sections", type_=TextArray),
    bindparam("s3_codes", type_=TextArray),
    bindparam("s3_scores", type_=ARRAY(FLOAT)),
    bindparam("countries_in", type_=TextArray),
    bindparam("countries_out", type_=TextArray),
    bindparam("kinds", type_=TextArray),
    bindparam("exclude", type_=ARRAY(UUID(as_uuid=True))),
)


async def search(
    session: AsyncSession, query: Query, *, limit: int, after: After | None
) -> list[Row[Any]]:
    w, p = query.weights, query.part_weights
    params: dict[str, Any] = {
        "need_groups": list(query.need_groups),
        "offer_groups": list(query.offer_groups),
        "competences": list(query.competences),
        "nace_codes": list(query.nace_codes),
        "ecosystems": list(query.ecosystems),
        "origin_country": query.origin_country,
        "origin_sections": list(query.origin_sections),
        "s3_codes": list(query.s3_codes),
        "s3_scores": list(query.s3_scores),
        "countries_in": list(query.countries_in) if query.countries_in is not None else None,
        "countries_out": list(query.countries_out),
        "kinds": list(query.kinds) if query.kinds is not None else None,
        "sme_only": query.sme_only,
        "eligible_only": query.eligible_countries_only,
        "exclude": list(query.exclude),
        "p_text": p.get("text", 0.0),
        "p_competences": p.get("competences", 0.0),
        "p_sectors": p.get("sectors", 0.0),
        "w_complementarity": w.get("complementarity", 0.0),
        "w_mutual": w.get("mutual_benefit", 0.0),
        "w_border": w.get("cross_border", 0.0),
        "w_sector": w.get("cross_sector", 0.0),
        "w_s3": w.get("s3_alignment", 0.0),
        "w_sme": w.get("sme_focus", 0.0),
        "after_score": after.score if after else None,
        "after_registered_at": after.registered_at if after else None,
        "after_id": after.actor_id if after else None,
        "limit": limit,
    }
    return list((await session.execute(_STATEMENT, params)).all())


_LINKED_GROUP = text(
    """
WITH RECURSIVE linked(actor_id) AS (
    SELECT CAST(:actor_id AS uuid)
    UNION
    SELECT CASE WHEN l.actor_id = linked.actor_id THEN l.owner_actor_id ELSE l.actor_id END
    FROM ownership_links AS l
    JOIN linked ON linked.actor_id IN (l.actor_id, l.owner_actor_id)
    WHERE l.share_percent > 50 OR l.controls
)
SELECT actor_id FROM linked
"""
)


async def linked_group(session: AsyncSession, actor_id: uuid.UUID) -> list[uuid.UUID]:
    """The actor and every enterprise linked to it (> 50 % or control), transitively."""
    return list((await session.scalars(_LINKED_GROUP, {"actor_id": actor_id})).all())


_NON_EMPTY = text(
    "SELECT numnode(to_tsquery('english', g)) > 0 FROM unnest(:groups) WITH ORDINALITY AS t(g, n)"
    " ORDER BY n"
).bindparams(bindparam("groups", type_=TextArray))


async def non_empty_queries(session: AsyncSession, groups: Sequence[str]) -> list[bool]:
    """Per tsquery text, whether it keeps any term after stop words are removed."""
    if not groups:
        return []
    return list((await session.scalars(_NON_EMPTY, {"groups": list(groups)})).all())
