"""The partner-search query: filter, score, rank and page in one statement.

The formula is the one of ``scoring`` (components in [0, 1], fit first); the per-search
weights arrive already normalised over the components that apply, so the SQL only sums.
Candidates are found through the GIN indexes (offers document, competences, ecosystems,
NACE prefixes) before anything is scored, in tiers by the most each can score (several
needed terms, one, none): the ranking is exact, a tier is skipped only when none of its
candidates could reach the page (see ``_page``).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, Row, TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, FLOAT, TEXT, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.reference.competences import LABELS as COMPETENCE_LABELS

SME_CATEGORIES = ("micro", "small", "medium")


@dataclass(frozen=True)
class Query:
    """A partner search, resolved into what the SQL needs."""

    need_groups: Sequence[str]  # tsquery text per needed term group
    need_groups_offered: Sequence[str]  # the same, found only in structured offers (A)
    need_group_weights: Sequence[float]  # each group's share of the text part (sum 1)
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
    # The text-search configurations the groups are stemmed in, the search's language
    # first (``languages.query_configurations``).
    text_configurations: Sequence[str] = ("english",)
    free_text_evidence: float = 0.4  # a needed term found in free text only counts this
    # What competences, sectors and ecosystems count for a candidate no needed term is
    # found in (when the search has needed terms).
    uncorroborated_evidence: float = 0.25


@dataclass(frozen=True)
class After:
    score: Decimal
    registered_at: datetime
    actor_id: uuid.UUID


# One statement per shape of search (how many term groups, competences, codes …): every
# per-candidate part is an inline expression over parameters, never a correlated
# subquery, so scoring a candidate costs a handful of operator calls. The tsqueries are
# InitPlans, parsed once per execution. Each count appears once in the score, which is
# all the ranking computes for every candidate; the components and the matched terms
# (what the explanation names) are computed again, by the same expressions, for the rows
# of the page only.
#
# A share counts the wanted values the candidate has (its competence, ecosystem, NACE
# prefix and section arrays are sets; the search's values are deduplicated), over as many
# values as the search asked for.


# The ranking sorts on the score in whole basis points, a float8: converting a float8 to
# numeric goes through its text form, which cost a sixth of the statement when every
# candidate's score was rounded as numeric. Only the page's rows are converted; the
# score they show is the points over 10,000, so it is exactly what was ranked on.
POINTS = 10_000

TextArray = ARRAY(TEXT)
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")  # as SQLAlchemy's text() finds them


@dataclass(frozen=True)
class _Shape:
    need_groups: int
    offer_groups: int
    competences: int  # distinct …
    competences_asked: int  # … and as many as asked for (the share's denominator)
    nace_codes: int
    ecosystems: int
    ecosystems_asked: int
    origin_sections: int
    origin_country: bool
    s3: bool
    countries_in: bool
    kinds: bool
    after: bool


def _sum(terms: list[str]) -> str:
    return "(" + " + ".join(f"({t})::int" for t in terms) + ")" if terms else "0"


def _hits(terms: list[str]) -> str:
    """1-based positions of the true conditions, in order."""
    if not terms:
        return "CAST('{}' AS int[])"
    cases = ", ".join(f"CASE WHEN {t} THEN {i} END" for i, t in enumerate(terms, start=1))
    return f"array_remove(ARRAY[{cases}], NULL)"


def _share(count: str, of: int) -> str:
    return f"({count})::float8 / {of}" if of else "CAST(NULL AS float8)"


def _fsum(terms: list[str]) -> str:
    return "(" + " + ".join(f"({t})" for t in terms) + ")" if terms else "0"


@dataclass(frozen=True)
class _Parts:
    found: list[str]  # a needed group anywhere in the offers document
    text: list[str]  # how strong that evidence is: 1 offered, :free_text below
    mutual: list[str]
    competences: list[str]
    nace: list[str]
    ecosystems: list[str]
    sections: list[str]


def _parts(shape: _Shape) -> _Parts:
    found = [f"p.offers_document @@ (SELECT {_tsq(f'ng{i}')})" for i in range(shape.need_groups)]
    # Evidence by where it is: a group is looked for among the structured offers (A) only
    # where it is found at all, so the common case, not found, costs one match as before.
    # Found again and again in one place, it still counts once.
    # Each weighed by its share of the text part (a keyword weighs more than a word of
    # the free text).
    strength = [
        f"CASE WHEN NOT {hit} THEN 0.0::float8"
        f" WHEN p.offers_document @@ (SELECT {_tsq(f'na{i}')}) THEN CAST(:tw{i} AS float8)"
        f" ELSE CAST(:tw{i} AS float8) * CAST(:free_text AS float8) END"
        for i, hit in enumerate(found)
    ]
    return _Parts(
        found=found,
        text=strength,
        mutual=[
            f"p.needs_document @@ (SELECT {_tsq(f'og{i}')})" for i in range(shape.offer_groups)
        ],
        competences=[
            f"CAST(:cp{i} AS text) = ANY(p.offered_competences)" for i in range(shape.competences)
        ],
        nace=[f"CAST(:nc{i} AS text) = ANY(p.nace_prefixes)" for i in range(shape.nace_codes)],
        ecosystems=[f"CAST(:ec{i} AS text) = ANY(p.ecosystems)" for i in range(shape.ecosystems)],
        sections=[
            f"CAST(:os{i} AS text) = ANY(p.nace_sections)" for i in range(shape.origin_sections)
        ],
    )


def _tsq(name: str) -> str:
    """The tsquery of a group, in each of the search's configurations (migration 0009)."""
    return f"matching_tsquery(CAST(:text_configurations AS text[]), CAST(:{name} AS text))"


def _components(shape: _Shape, parts: _Parts) -> dict[str, str]:
    sectors = shape.nace_codes + shape.ecosystems_asked
    return {
        "c_text": _fsum(parts.text) if shape.need_groups else "CAST(NULL AS float8)",
        "c_competences": _share(_sum(parts.competences), shape.competences_asked),
        "c_sectors": _share(f"{_sum(parts.nace)} + {_sum(parts.ecosystems)}", sectors),
        "c_mutual": _mutual(shape, parts),
        "c_border": (
            "CASE WHEN p.country <> CAST(:origin_country AS text)"
            " THEN 1.0::float8 ELSE 0.0::float8 END"
            if shape.origin_country
            else "CAST(NULL AS float8)"
        ),
        "c_sector": (
            "CASE WHEN cardinality(p.nace_sections) = 0 THEN 0.0 ELSE "
            f"(cardinality(p.nace_sections) - {_sum(parts.sections)})::float8"
            " / cardinality(p.nace_sections) END"
            if shape.origin_sections
            else "CAST(NULL AS float8)"
        ),
        "c_s3": (
            "coalesce((SELECT max(r.score) FROM unnest(CAST(:s3_codes AS text[]),"
            " CAST(:s3_scores AS float8[])) AS r(code, score)"
            " WHERE coalesce(p.nuts_code, p.country) LIKE r.code || '%'), 0.0)"
            if shape.s3
            else "CAST(0.0 AS float8)"
        ),
        "c_sme": (
            "CASE WHEN p.sme_category IN ('micro', 'small', 'medium')"
            " THEN 1.0::float8 ELSE 0.0::float8 END"
        ),
    }


def _mutual(shape: _Shape, parts: _Parts) -> str:
    """The share of the searcher's offered groups the candidate's needs ask for. Most
    candidates' needs ask for none of them: one match against all of them at once settles
    those, and only the others are matched group by group (the same share either way)."""
    if not shape.offer_groups:
        return _share(_sum(parts.mutual), shape.offer_groups)
    any_offer = f"p.needs_document @@ (SELECT {_tsq('any_offer')})"
    return (
        f"CASE WHEN {any_offer} THEN {_share(_sum(parts.mutual), shape.offer_groups)}"
        " ELSE 0.0::float8 END"
    )


def _complementarity(c: dict[str, str], corroborated: str = "1.0") -> str:
    """``corroborated``: what the competences and sectors count, 1 or ``:uncorroborated``
    for a candidate no needed term is found in (``_corroboration``)."""
    return (
        f"(CAST(:p_text AS float8) * coalesce({c['c_text']}, 0)"
        f" + ({corroborated})::float8 * (CAST(:p_competences AS float8)"
        f" * coalesce({c['c_competences']}, 0)"
        f" + CAST(:p_sectors AS float8) * coalesce({c['c_sectors']}, 0)))"
    )


def _corroboration(shape: _Shape, c: dict[str, str]) -> str:
    """For the page's rows: 1 when a needed term is found (or none is asked for), else
    ``:uncorroborated``. The ranking knows which without looking (``_page``)."""
    if not shape.need_groups:
        return "1.0"
    return f"CASE WHEN {c['c_text']} > 0 THEN 1.0 ELSE CAST(:uncorroborated AS float8) END"


def _points(c: dict[str, str], corroborated: str = "1.0") -> str:
    """The score in whole basis points (1/10,000), as float8: what the ranking sorts on.
    Fit first (``scoring.fit_first``): complementarity times its weight plus the others'."""
    return (
        f"round({_complementarity(c, corroborated)}"
        " * (CAST(:w_complementarity AS float8)"
        f" + CAST(:w_mutual AS float8) * coalesce({c['c_mutual']}, 0)"
        f" + CAST(:w_border AS float8) * coalesce({c['c_border']}, 0)"
        f" + CAST(:w_sector AS float8) * coalesce({c['c_sector']}, 0)"
        f" + CAST(:w_s3 AS float8) * {c['c_s3']}"
        f" + CAST(:w_sme AS float8) * {c['c_sme']}) * {POINTS})"
    )


def _text_found() -> str:
    return f"p.offers_document @@ (SELECT {_tsq('any_need')})"


def _other_found(shape: _Shape) -> list[str]:
    """How a candidate is found other than by a needed term."""
    found = []
    if shape.competences:
        found.append("p.offered_competences && CAST(:competences AS text[])")
    if shape.ecosystems:
        found.append("p.ecosystems && CAST(:ecosystems AS text[])")
    if shape.nace_codes:
        found.append("p.nace_prefixes && CAST(:nace_codes AS text[])")
    return found


def _constraints(shape: _Shape) -> list[str]:
    where = [
        "p.active",
        "p.actor_id <> ALL(CAST(:exclude AS uuid[]))",
        "p.country <> ALL(CAST(:countries_out AS text[]))",
        "(NOT CAST(:sme_only AS boolean) OR p.sme_category IN ('micro', 'small', 'medium'))",
        "(NOT CAST(:eligible_only AS boolean)"
        " OR coalesce(p.country_standing, '') <> 'third_country')",
    ]
    if shape.countries_in:
        where.append("p.country = ANY(CAST(:countries_in AS text[]))")
    if shape.kinds:
        where.append("p.kind = ANY(CAST(:kinds AS text[]))")
    return where


def _top(shape: _Shape, c: dict[str, str], found: str, corroborated: str = "1.0") -> str:
    """The best ``:limit`` candidates found by ``found`` (after the cursor, if any)."""
    where = "\n  AND ".join([*_constraints(shape), found])
    ranked = (
        f"SELECT p.actor_id, p.registered_at, {_points(c, corroborated)} AS points\n"
        f"FROM actor_profiles AS p\nWHERE {where}"
    )
    if shape.after:
        # A fence, so the score is computed once per candidate, not in the filter again.
        after = (
            "(r.points, r.registered_at, r.actor_id) < (CAST(:after_points AS float8),"
            " CAST(:after_registered_at AS timestamptz), CAST(:after_id AS uuid))"
        )
        ranked = f"SELECT * FROM ({ranked} OFFSET 0) AS r\nWHERE {after}"  # noqa: S608
    return f"{ranked}\nORDER BY points DESC, registered_at DESC, actor_id DESC\nLIMIT :limit"


def at_least_two(terms: Sequence[str]) -> str:
    """A tsquery expression true when two or more of ``terms`` are, halving: two in the
    first half, two in the second, or one in each. Its size grows as n log n (16 groups:
    64 references, where ``t1 && (t2 || … || tn) || t2 && (t3 || …) || …`` has 135), and
    the GIN index evaluates it for every row any of the terms matches."""
    if len(terms) < 2:
        raise ValueError("two of fewer than two terms")
    if len(terms) == 2:
        return f"({terms[0]} && {terms[1]})"
    first, second = terms[: len(terms) // 2], terms[len(terms) // 2 :]
    either = [at_least_two(half) for half in (first, second) if len(half) > 1]
    across = f"(({' || '.join(first)}) && ({' || '.join(second)}))"
    return "(" + " || ".join([*either, across]) + ")"


def _several_found(groups: int) -> str:
    """A candidate two or more needed groups match: each group's tsquery once (an array
    InitPlan), then ``at_least_two`` of them, which the GIN index answers and a row checks
    in about one pass over the groups. Composed as tsqueries, not text, so a group matched
    in one configuration and another group in the other still counts as two."""
    queries = ", ".join(_tsq(f"ng{i}") for i in range(groups))
    several = at_least_two([f"g[{i}]" for i in range(1, groups + 1)])
    # OFFSET 0: not flattened, so the array is built (and its tsqueries folded by the
    # planner) once, not once per reference: with 16 groups that took 90 ms of planning.
    tsquery = f"SELECT {several} FROM (SELECT ARRAY[{queries}] OFFSET 0) AS t(g)"  # noqa: S608
    return f"p.offers_document @@ ({tsquery})"


@dataclass(frozen=True)
class _Tier:
    """Candidates ranked together, and the most points any of them can score (a
    parameter; none for the first tier, always read)."""

    found: str
    c: dict[str, str]
    corroborated: str = "1.0"
    bound: str = ""


def _tiers(shape: _Shape, c: dict[str, str]) -> list[_Tier]:
    """The candidates in tiers that do not overlap, by the most each can score: two or
    more needed groups found (no bound); one group and a needed competence, sector or
    ecosystem (``:single_max``); one group alone (``:weak_max``); no needed group, only
    the vocabularies, uncorroborated (``:other_max``). Together they are every candidate
    ``_found`` counts."""
    other = _other_found(shape)
    if not shape.need_groups:
        return [_Tier("(" + " OR ".join(other or ["false"]) + ")", c)]
    text = _text_found()
    one = [text]
    tiers = []
    if shape.need_groups > 1:
        several = _several_found(shape.need_groups)
        tiers.append(_Tier(several, c))
        one.append(f"NOT {several}")
    elsewhere = "(" + " OR ".join(other) + ")" if other else None
    if elsewhere is None:
        return [*tiers, _Tier(" AND ".join(one), c, bound="weak_max")]
    # No needed term matches the last tier: its text share is 0, not worth matching
    # group by group, and what it shares through the vocabularies is uncorroborated.
    without_text = {**c, "c_text": "CAST(0.0 AS float8)"}
    return [
        *tiers,
        _Tier(" AND ".join([*one, elsewhere]), c, bound="single_max"),
        _Tier(" AND ".join([*one, f"NOT {elsewhere}"]), c, bound="weak_max"),
        _Tier(
            f"NOT ({text}) AND {elsewhere}",
            without_text,
            "CAST(:uncorroborated AS float8)",
            bound="other_max",
        ),
    ]


def _gate(previous: str, bound: str) -> str:
    """True when a candidate scoring ``bound`` could still reach the page: fewer than a
    page of candidates so far, or the page's last one so far scores no more."""
    best = f"SELECT points FROM {previous} ORDER BY points DESC LIMIT :limit"  # noqa: S608
    shut = f"count(*) < CAST(:limit AS bigint) OR min(b.points) <= CAST(:{bound} AS float8)"
    return f"(SELECT {shut} FROM ({best}) AS b)"  # noqa: S608


def _page(shape: _Shape, c: dict[str, str]) -> str:
    """The page's ids and points, best first.

    The candidates are ranked tier by tier (``_tiers``), and a tier is read only if one
    of its candidates could still reach the page: each tier has a bound on its points
    (its text share at most the heaviest needed group's, its competences and sectors
    at most all, or uncorroborated; every other component at its maximum), so once the
    best ``:limit`` candidates of the tiers before all score above it, its rows are not
    read at all (the gate is a one-time filter). The page is the same either way: a
    search whose best candidates have several needed terms skips the many that have one.
    """
    tiers = _tiers(shape, c)
    if len(tiers) == 1:
        return _top(shape, c, tiers[0].found)
    steps = [f"tier1 AS (\n{_top(shape, tiers[0].c, tiers[0].found, tiers[0].corroborated)}\n)"]
    for n, tier in enumerate(tiers[1:], start=2):
        top = _top(shape, tier.c, tier.found, tier.corroborated)
        gate = _gate(f"tier{n - 1}", tier.bound)
        steps.append(
            f"tier{n} AS (\nSELECT * FROM tier{n - 1}\nUNION ALL\n"
            f"SELECT * FROM (\n{top}\n) AS t{n}\nWHERE {gate}\n)"
        )
    return (
        "WITH " + ",\n".join(steps) + f"\nSELECT * FROM tier{len(tiers)}\n"
        "ORDER BY points DESC, registered_at DESC, actor_id DESC\nLIMIT :limit"
    )


def _free_only(shape: _Shape, parts: _Parts) -> list[str]:
    """Per needed group: found, but in the free text only (weight D)."""
    return [
        f"{hit} AND NOT p.offers_document @@ (SELECT {_tsq(f'na{i}')})"
        for i, hit in enumerate(parts.found)
    ]


def _offer_hits(shape: _Shape) -> str:
    """Which of the candidate's current offers match (an expired one counts for nothing,
    docs/matching.md): per offer (in its order) its id, type and
    title, the needed groups its own text matches (title, description, keywords and
    competence labels, as in ``offers_text``) and the needed competences it lists. Only
    the page's rows compute it. The offer's text is stemmed in the search's language and
    in English (``matching_document`` of one run): the stems the search's tsqueries have,
    whatever language the offer is written in."""
    words = (
        "concat_ws(' ', e->>'title', e->>'description',"
        " (SELECT string_agg(k, ' ') FROM jsonb_array_elements_text(e->'keywords') AS k),"
        " (SELECT string_agg(coalesce(l.label, replace(c, '_', ' ')), ' ')"
        "  FROM jsonb_array_elements_text(e->'competences') AS c"
        "  LEFT JOIN unnest(CAST(:label_codes AS text[]), CAST(:label_texts AS text[]))"
        "   AS l(code, label) ON l.code = c))"
    )
    vector = (
        "matching_document(w.t, ARRAY[(CAST(:text_configurations AS text[]))[1]],"
        " ARRAY[length(w.t)])"
    )
    terms = _hits([f"d.v @@ (SELECT {_tsq(f'ng{i}')})" for i in range(shape.need_groups)])
    return f"""coalesce((
    SELECT jsonb_agg(jsonb_build_object('id', o.e->>'id', 'type', o.e->>'type',
                     'title', o.e->>'title', 'terms', o.terms, 'competences', o.competences)
                     ORDER BY o.n)
    FROM (SELECT x.e, x.n, {terms} AS terms,
                 array(SELECT c FROM jsonb_array_elements_text(x.e->'competences') AS c
                       WHERE c = ANY(CAST(:competences AS text[]))) AS competences
          FROM jsonb_array_elements(p.offers) WITH ORDINALITY AS x(e, n),
               LATERAL (SELECT {words} OFFSET 0) AS w(t),
               LATERAL (SELECT {vector} OFFSET 0) AS d(v)
          WHERE x.e->>'valid_until' IS NULL
             OR CAST(x.e->>'valid_until' AS date) >= CAST(now() AT TIME ZONE 'UTC' AS date)) AS o
    WHERE cardinality(o.terms) > 0 OR cardinality(o.competences) > 0), '[]'::jsonb)"""  # noqa: S608


@lru_cache(maxsize=256)
def _statement(shape: _Shape) -> TextClause:
    parts = _parts(shape)
    c = _components(shape, parts)
    columns = ",\n  ".join(f"{expr} AS {name}" for name, expr in c.items())
    # Built from fixed fragments only (the shape is counts and flags); every value the
    # search carries is a bound parameter.
    sql = f"""
SELECT p.actor_id, p.legal_name, p.short_name, p.kind, p.country, p.country_standing,
  p.nuts_code, p.nace_codes, p.ecosystems, p.competences, p.sme_category, p.registered_at,
  {_hits(parts.found)} AS text_hits,
  {_hits(_free_only(shape, parts))} AS free_text_hits,
  {_offer_hits(shape)} AS offer_hits,
  {_hits(parts.mutual)} AS mutual_hits,
  array(SELECT x FROM unnest(p.offered_competences) AS x
        WHERE x = ANY(CAST(:competences AS text[]))) AS competence_hits,
  array(SELECT w FROM unnest(CAST(:nace_codes AS text[])) AS w
        WHERE w = ANY(p.nace_prefixes)) AS nace_hits,
  array(SELECT x FROM unnest(p.ecosystems) AS x
        WHERE x = ANY(CAST(:ecosystems AS text[]))) AS ecosystem_hits,
  {columns},
  {_complementarity(c, _corroboration(shape, c))} AS c_complementarity,
  round(CAST(page.points AS numeric) / {POINTS}, 4) AS score
FROM (
{_page(shape, c)}
) AS page
JOIN actor_profiles AS p ON p.actor_id = page.actor_id
ORDER BY page.points DESC, page.registered_at DESC, page.actor_id DESC
"""  # noqa: S608
    arrays = (
        *("competences", "nace_codes", "ecosystems", "countries_out", "s3_codes"),
        *("text_configurations", "label_codes", "label_texts"),
    )
    binds: list[BindParameter[Any]] = [bindparam(name, type_=TextArray) for name in arrays]
    binds += [
        bindparam("s3_scores", type_=ARRAY(FLOAT)),
        bindparam("countries_in", type_=TextArray),
        bindparam("kinds", type_=TextArray),
        bindparam("exclude", type_=ARRAY(UUID(as_uuid=True))),
    ]
    names = set(_BIND.findall(sql))
    return text(sql).bindparams(*(b for b in binds if b.key in names))


def _other_max(query: Query) -> float:
    """The most points a candidate no needed term matches can score: its competences and
    sectors, uncorroborated, at their maximum, times every other component at its
    maximum of 1 (fit first: the weights add up to 1). One point of slack for float
    rounding: a looser bound only reads more candidates, never fewer."""
    without_text = sum(w for name, w in query.part_weights.items() if name != "text")
    fit = query.uncorroborated_evidence * without_text
    return math.ceil(fit * sum(query.weights.values()) * POINTS) + 1.0


def _text_bounds(query: Query) -> dict[str, float]:
    """The most points a candidate one needed group matches can score (``_tiers``): its
    text share at most the heaviest group's; with a needed competence, sector or ecosystem
    (``single_max``) those at their maximum too, without (``weak_max``) nothing more; times
    every other component at its maximum. A point of slack, as in ``_other_max``."""
    heaviest = max(query.need_group_weights, default=0.0)
    text = query.part_weights.get("text", 0.0) * heaviest
    rest = sum(w for name, w in query.part_weights.items() if name != "text")
    total = sum(query.weights.values())
    return {
        "single_max": math.ceil((text + rest) * total * POINTS) + 1.0,
        "weak_max": math.ceil(text * total * POINTS) + 1.0,
    }


def _named(prefix: str, values: Sequence[str]) -> dict[str, str]:
    return {f"{prefix}{i}": v for i, v in enumerate(values)}


def _shape(query: Query, *, after: bool) -> _Shape:
    return _Shape(
        need_groups=len(query.need_groups),
        offer_groups=len(query.offer_groups),
        competences=len(dict.fromkeys(query.competences)),
        competences_asked=len(query.competences),
        nace_codes=len(query.nace_codes),
        ecosystems=len(dict.fromkeys(query.ecosystems)),
        ecosystems_asked=len(query.ecosystems),
        origin_sections=len(query.origin_sections),
        origin_country=query.origin_country is not None,
        s3=bool(query.s3_codes),
        countries_in=query.countries_in is not None,
        kinds=query.kinds is not None,
        after=after,
    )


def _params(query: Query, *, limit: int, after: After | None) -> dict[str, Any]:
    w, p = query.weights, query.part_weights
    competences = list(dict.fromkeys(query.competences))
    ecosystems = list(dict.fromkeys(query.ecosystems))
    return {
        **_named("ng", query.need_groups),
        **_named("na", query.need_groups_offered),
        **{f"tw{i}": weight for i, weight in enumerate(query.need_group_weights)},
        "free_text": query.free_text_evidence,
        "uncorroborated": query.uncorroborated_evidence,
        "label_codes": [str(code) for code in COMPETENCE_LABELS],
        "label_texts": list(COMPETENCE_LABELS.values()),
        **_named("og", query.offer_groups),
        **_named("cp", competences),
        **_named("nc", query.nace_codes),
        **_named("ec", ecosystems),
        **_named("os", query.origin_sections),
        "any_need": " | ".join(f"({g})" for g in query.need_groups),
        "any_offer": " | ".join(f"({g})" for g in query.offer_groups),
        "text_configurations": list(query.text_configurations),
        "competences": list(query.competences),
        "nace_codes": list(query.nace_codes),
        "ecosystems": list(query.ecosystems),
        "origin_country": query.origin_country,
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
        "after_points": float(after.score * POINTS) if after else None,
        "after_registered_at": after.registered_at if after else None,
        "after_id": after.actor_id if after else None,
        "other_max": _other_max(query),
        **_text_bounds(query),
        "limit": limit,
    }


async def _execute(session: AsyncSession, statement: TextClause, params: dict[str, Any]) -> Any:
    names = statement._bindparams
    return await session.execute(
        statement, {name: value for name, value in params.items() if name in names}
    )


async def search(
    session: AsyncSession, query: Query, *, limit: int, after: After | None
) -> list[Row[Any]]:
    statement = _statement(_shape(query, after=after is not None))
    return list(
        (await _execute(session, statement, _params(query, limit=limit, after=after))).all()
    )


# --- totals and facets: the candidates the ranking reads, counted ----------------------

# A facet leaves out its own filter (the usual convention of multi-select filters).
FACET_COLUMNS = {"country": "country", "kind": "kind"}


def _found(shape: _Shape) -> str:
    """What makes a profile a candidate at all: any needed term, competence, ecosystem
    or NACE prefix (the union of what ``_page`` ranks)."""
    found = [_text_found()] if shape.need_groups else []
    return "(" + " OR ".join([*found, *_other_found(shape)] or ["false"]) + ")"


def _bound(sql: str) -> TextClause:
    arrays = ("competences", "nace_codes", "ecosystems", "countries_out", "text_configurations")
    binds: list[BindParameter[Any]] = [bindparam(name, type_=TextArray) for name in arrays]
    binds += [
        bindparam("countries_in", type_=TextArray),
        bindparam("kinds", type_=TextArray),
        bindparam("exclude", type_=ARRAY(UUID(as_uuid=True))),
    ]
    names = set(_BIND.findall(sql))
    return text(sql).bindparams(*(b for b in binds if b.key in names))


@lru_cache(maxsize=128)
def _count_statement(shape: _Shape) -> TextClause:
    where = "\n  AND ".join([*_constraints(shape), _found(shape)])
    return _bound(
        "SELECT count(*) FROM (SELECT 1 FROM actor_profiles AS p\n"  # noqa: S608
        f"WHERE {where}\nLIMIT CAST(:cap AS bigint)) AS found"
    )


@lru_cache(maxsize=128)
def _facet_statement(shape: _Shape, facet: str) -> TextClause:
    column = FACET_COLUMNS[facet]
    where = "\n  AND ".join([*_constraints(shape), _found(shape)])
    return _bound(
        f"SELECT p.{column} AS value, count(*) AS n\nFROM actor_profiles AS p\n"
        f"WHERE {where}\nGROUP BY p.{column}\nORDER BY n DESC, value"
    )


async def count_candidates(session: AsyncSession, query: Query, *, cap: int) -> int:
    """How many candidates the search has, counting no further than ``cap + 1``."""
    statement = _count_statement(_shape(query, after=False))
    params = {**_params(query, limit=0, after=None), "cap": cap + 1}
    return int((await _execute(session, statement, params)).scalar_one())


async def facet_counts(session: AsyncSession, query: Query, facet: str) -> list[tuple[str, int]]:
    """(value, candidates) for ``facet`` among the candidates under every constraint but
    the facet's own."""
    unconstrained = (
        replace(query, countries_in=None) if facet == "country" else replace(query, kinds=None)
    )
    statement = _facet_statement(_shape(unconstrained, after=False), facet)
    rows = await _execute(session, statement, _params(unconstrained, limit=0, after=None))
    return [(row.value, int(row.n)) for row in rows]


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


# A group's stems in the search's language (the first configuration), whose stop words
# ("the", "die") leave it empty, as ``matching_tsquery`` drops them.
_STEMS = text(
    "SELECT q, to_tsquery((CAST(:configurations AS text[]))[1]::regconfig, q)::text AS stem"
    " FROM unnest(:queries) AS t(q)"
).bindparams(bindparam("queries", type_=TextArray), bindparam("configurations", type_=TextArray))


async def stems(
    session: AsyncSession, queries: Sequence[str], configurations: Sequence[str] = ("english",)
) -> dict[str, str]:
    """Per ``to_tsquery`` text, its normalised form under the first of ``configurations``
    (the search's language; ``battery <-> collection`` → ``'batteri' <-> 'collect'``;
    empty for its stop words): how two spellings are known to be one term, and which
    terms are only stop words."""
    if not queries:
        return {}
    params = {"queries": list(queries), "configurations": list(configurations or ["english"])}
    rows = await session.execute(_STEMS, params)
    return {row.q: row.stem for row in rows}
