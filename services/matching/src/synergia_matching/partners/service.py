"""Partner search use cases: a search from a body, and suggestions for a known actor."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.http.pagination import bad_cursor, encode_cursor, parse_cursor
from synergia_shared.http.problems import (
    ProblemException,
    invalid_field,
    not_found,
    validation_problem,
)
from synergia_shared.reference.countries import UnknownCountry, lookup_country
from synergia_shared.reference.nace import InvalidNace, validate_nace
from synergia_shared.validity import utc_today

from synergia_matching import languages
from synergia_matching.partners import repository, rules, scoring
from synergia_matching.partners.schemas import (
    CandidateCount,
    CandidateTotal,
    Constraints,
    MatchedOffer,
    PartnerFacets,
    PartnerPage,
    PartnerSearch,
    PartnerSuggestion,
    ScoreComponent,
    Wanted,
)
from synergia_matching.partners.terms import (
    TermGroup,
    distinct_by_stem,
    stem_inputs,
    term_groups,
)
from synergia_matching.profiles import repository as profiles
from synergia_matching.profiles.rules import current_stored
from synergia_matching.regions import repository as regions
from synergia_matching.regions.rules import (
    Alignment,
    domain_keywords,
    enclosing_codes,
    region_alignments,
)


def _nace(codes: Sequence[str], loc: list[Any], errors: list[dict[str, Any]]) -> list[str]:
    found = []
    for i, code in enumerate(codes):
        try:
            found.append(validate_nace(code).code)
        except InvalidNace as exc:
            errors.append({"loc": [*loc, i], "msg": str(exc)})
    return list(dict.fromkeys(found))


def _countries(codes: Sequence[str], loc: list[Any], errors: list[dict[str, Any]]) -> list[str]:
    found = []
    for i, code in enumerate(codes):
        try:
            found.append(lookup_country(code).code)
        except UnknownCountry as exc:
            errors.append({"loc": [*loc, i], "msg": str(exc)})
    return found


def _words(wanted: Wanted) -> list[TermGroup]:
    return term_groups(wanted.keywords, wanted.text)


def _offer_groups_of(profile: Row[Any]) -> list[TermGroup]:
    offers = current_stored(profile.offers, utc_today())
    keywords = [k for o in offers for k in o.get("keywords", [])]
    titles = " ".join(o.get("title", "") for o in offers)
    return term_groups([*keywords, *profile.keywords], titles)


async def _meaningful(
    session: AsyncSession, *lists: list[TermGroup], configurations: list[str]
) -> list[list[TermGroup]]:
    """Each list's groups told apart by their stems in the search's language (battery =
    batteries, named once), without those its configuration reduces to nothing (stop
    words: "the", "of", "die"), so that they neither count as missed nor as matched. One
    round trip for all the lists (a profile's needs and offers)."""
    inputs = sorted({query for groups in lists if groups for query in stem_inputs(groups)})
    found = await repository.stems(session, inputs, configurations) if inputs else {}
    return [distinct_by_stem(groups, found) if groups else [] for groups in lists]


@dataclass(frozen=True)
class Search:
    """A search resolved against the request and the searcher's profile."""

    query: repository.Query
    need_groups: list[TermGroup]
    offer_groups: list[TermGroup]
    competences: list[str]
    regions: dict[str, Alignment]
    fingerprint: str


@dataclass(frozen=True)
class Asked:
    """What a search looks for and from whom, before it is weighed and made a query."""

    sought: list[str]  # the texts that S3 priorities are looked for in, with the terms
    need_groups: list[TermGroup]
    offer_groups: list[TermGroup]
    competences: list[str]
    nace_codes: list[str]
    ecosystems: list[str]
    origin_country: str | None
    origin_sections: list[str]
    constraints: Constraints
    countries_in: list[str] | None
    countries_out: list[str]
    exclude: list[uuid.UUID]
    text_configurations: list[str]
    fingerprint_of: dict[str, Any]  # what a cursor is bound to


@dataclass(frozen=True)
class BodyCodes:
    """A search body's NACE and country codes, canonical; the invalid ones left out
    (and named in the errors)."""

    need_nace: list[str]
    origin_nace: list[str]
    countries_in: list[str] | None
    countries_out: list[str]
    origin_country: str | None


def _body_codes(body: PartnerSearch, errors: list[dict[str, Any]]) -> BodyCodes:
    c = body.constraints
    origin = (
        _countries([body.origin_country], ["body", "origin_country"], errors)
        if body.origin_country
        else []
    )
    return BodyCodes(
        need_nace=_nace(body.needs.nace_codes, ["body", "needs", "nace_codes"], errors),
        origin_nace=_nace(body.origin_nace_codes, ["body", "origin_nace_codes"], errors),
        countries_in=(
            _countries(c.countries_in, ["body", "constraints", "countries_in"], errors)
            if c.countries_in is not None
            else None
        ),
        countries_out=_countries(c.countries_out, ["body", "constraints", "countries_out"], errors),
        origin_country=origin[0] if origin else None,
    )


async def _searcher(
    session: AsyncSession, actor_id: uuid.UUID | None, errors: list[dict[str, Any]]
) -> Row[Any] | None:
    if actor_id is None:
        return None
    searcher = await profiles.get(session, actor_id)
    if searcher is None:
        errors.append(
            {
                "loc": ["body", "searcher_actor_id"],
                "msg": f"actor {actor_id} is not known to matching (yet)",
            }
        )
    return searcher


def _sections(nace_codes: Iterable[str]) -> list[str]:
    return sorted({code[0] for code in nace_codes})


async def _with_searcher(session: AsyncSession, asked: Asked, searcher: Row[Any]) -> Asked:
    """What the body leaves out, taken from the searcher's profile (its offers, country
    and sectors); its linked enterprises are no partners of its own."""
    return replace(
        asked,
        exclude=[*asked.exclude, *await repository.linked_group(session, searcher.actor_id)],
        offer_groups=asked.offer_groups
        or (
            await _meaningful(
                session, _offer_groups_of(searcher), configurations=asked.text_configurations
            )
        )[0],
        origin_country=asked.origin_country or searcher.country,
        origin_sections=asked.origin_sections or _sections(searcher.nace_codes),
    )


async def resolve(session: AsyncSession, body: PartnerSearch) -> Search:
    errors: list[dict[str, Any]] = []
    codes = _body_codes(body, errors)
    searcher = await _searcher(session, body.searcher_actor_id, errors)
    language = languages.search_language(
        [body.needs.text, *body.needs.keywords],
        searcher=searcher.language if searcher is not None else None,
    )
    configurations = languages.query_configurations(language)
    need_groups, body_offer_groups = await _meaningful(
        session,
        _words(body.needs),
        _words(body.offers) if body.offers else [],
        configurations=configurations,
    )
    if not rules.says_what_is_needed(
        terms=bool(need_groups),
        competences=bool(body.needs.competences),
        nace_codes=bool(codes.need_nace),
        ecosystems=bool(body.needs.ecosystems),
    ):
        errors.append(
            {
                "loc": ["body", "needs"],
                "msg": "say what is needed: text, keywords, competences, NACE codes or ecosystems",
            }
        )
    if errors:
        raise validation_problem(errors)
    asked = Asked(
        sought=[*body.needs.keywords, body.needs.text],
        need_groups=need_groups,
        offer_groups=body_offer_groups,
        competences=[str(x) for x in body.needs.competences],
        nace_codes=codes.need_nace,
        ecosystems=[str(e) for e in body.needs.ecosystems],
        origin_country=codes.origin_country,
        origin_sections=_sections(codes.origin_nace),
        constraints=body.constraints,
        countries_in=codes.countries_in,
        countries_out=codes.countries_out,
        exclude=list(body.constraints.exclude_actor_ids),
        text_configurations=configurations,
        fingerprint_of=body.model_dump(mode="json"),
    )
    if searcher is not None:
        asked = await _with_searcher(session, asked, searcher)
    return await _search(session, asked)


async def for_actor(session: AsyncSession, actor_id: uuid.UUID, constraints: Constraints) -> Search:
    """Suggestions for a known actor: its needs against others' offers, and its offers
    against their needs."""
    profile = await profiles.get(session, actor_id)
    if profile is None:
        raise not_found(f"actor {actor_id} is not known here (yet)")
    needs = current_stored(profile.needs, utc_today())  # an expired need is not looked for
    keywords = [k for n in needs for k in n.get("keywords", [])]
    competences = sorted({c for n in needs for c in n.get("competences", [])})
    text = " ".join(f"{n.get('title', '')} {n.get('description', '')}" for n in needs)
    # Its needs are stemmed in their own language when it can be told, as a search body's
    # are, else in the profile's: a Portuguese firm asking in English searches in English
    # (its stems and stop words), not in Portuguese.
    configurations = languages.query_configurations(
        languages.search_language([text, *keywords], searcher=profile.language)
    )
    need_groups, offer_groups = await _meaningful(
        session,
        term_groups(keywords, text),
        _offer_groups_of(profile),
        configurations=configurations,
    )
    if not need_groups and not competences:
        raise ProblemException(
            409,
            "no-needs",
            "Nothing to match on",
            f"actor {actor_id} has no needs in its profile, or only expired ones (past their "
            "valid_until): add or renew technology, business or R&D requests in the "
            "registry, or use POST /v1/partner-searches",
        )
    errors: list[dict[str, Any]] = []
    countries_in = (
        _countries(constraints.countries_in, ["query", "country"], errors)
        if constraints.countries_in is not None
        else None
    )
    if errors:
        raise validation_problem(errors)
    asked = Asked(
        sought=[*keywords, text],
        need_groups=need_groups,
        offer_groups=offer_groups,
        competences=competences,
        nace_codes=[],
        ecosystems=[],
        origin_country=profile.country,
        origin_sections=_sections(profile.nace_codes),
        constraints=constraints,
        countries_in=countries_in,
        countries_out=[],
        exclude=[*constraints.exclude_actor_ids, *await repository.linked_group(session, actor_id)],
        text_configurations=configurations,
        fingerprint_of={"actor": str(actor_id), **constraints.model_dump(mode="json")},
    )
    return await _search(session, asked)


async def _s3_alignments(session: AsyncSession, asked: Asked) -> tuple[dict[str, Alignment], bool]:
    """How well what is sought fits each region's S3 priorities, and whether any region
    has priorities set at all (else the component does not apply)."""
    strategies = await regions.all_strategies(session)
    pieces = [*asked.sought, *(m for g in asked.need_groups for m in sorted(g.members))]
    aligned = region_alignments(
        strategies,
        nace_codes=asked.nace_codes,
        ecosystems=asked.ecosystems,
        keywords_found=await regions.keywords_found(session, domain_keywords(strategies), pieces),
    )
    return aligned, bool(strategies)


def _query(asked: Asked, aligned: dict[str, Alignment], any_priorities: bool) -> repository.Query:
    constraints = asked.constraints
    return repository.Query(
        need_groups=[g.tsquery() for g in asked.need_groups],
        need_groups_offered=[g.tsquery(weights="A") for g in asked.need_groups],
        need_group_weights=scoring.term_weights([g.keyword for g in asked.need_groups]),
        free_text_evidence=scoring.FREE_TEXT_EVIDENCE,
        uncorroborated_evidence=scoring.UNCORROBORATED_EVIDENCE,
        offer_groups=[g.tsquery() for g in asked.offer_groups],
        competences=asked.competences,
        nace_codes=asked.nace_codes,
        ecosystems=asked.ecosystems,
        origin_country=asked.origin_country,
        origin_sections=asked.origin_sections,
        s3_codes=list(aligned),
        s3_scores=[a.score for a in aligned.values()],
        weights=scoring.component_weights(
            mutual_benefit=bool(asked.offer_groups),
            cross_border=asked.origin_country is not None,
            cross_sector=bool(asked.origin_sections),
            s3_alignment=any_priorities,
        ),
        part_weights=scoring.complementarity_parts(
            text=bool(asked.need_groups),
            competences=bool(asked.competences),
            sectors=bool(asked.nace_codes or asked.ecosystems),
        ),
        countries_in=asked.countries_in,
        countries_out=asked.countries_out,
        kinds=[str(k) for k in constraints.kinds] if constraints.kinds is not None else None,
        sme_only=constraints.sme_only,
        eligible_countries_only=constraints.eligible_countries_only,
        exclude=asked.exclude,
        text_configurations=asked.text_configurations,
    )


async def _search(session: AsyncSession, asked: Asked) -> Search:
    aligned, any_priorities = await _s3_alignments(session, asked)
    query = _query(asked, aligned, any_priorities)
    digest = hashlib.sha256(json.dumps(asked.fingerprint_of, sort_keys=True).encode()).hexdigest()
    return Search(
        query, asked.need_groups, asked.offer_groups, asked.competences, aligned, digest[:16]
    )


def _after(search: Search, cursor: str | None) -> repository.After | None:
    if cursor is None:
        return None
    fingerprint, score, registered_at, actor_id = parse_cursor(
        cursor, str, Decimal, datetime.fromisoformat, uuid.UUID
    )
    if fingerprint != search.fingerprint:
        raise bad_cursor("this cursor belongs to another search; send the same search again")
    if not score.is_finite():
        raise bad_cursor()
    return repository.After(score, registered_at, actor_id)


# Totals are exact up to this many candidates; beyond, "at least" (a bounded count).
TOTAL_EXACT_UP_TO = 10_000
FACETS = ("country", "kind")


def parse_facets(requested: Sequence[str] | None) -> list[str]:
    """``facets=country,kind`` or repeated, each once, in order; a 422 for another."""
    facets: list[str] = []
    for part in (p.strip() for value in requested or [] for p in value.split(",")):
        if part and part not in FACETS:
            raise invalid_field(
                ["query", "facets"], f"{part!r} is not a facet; known: {', '.join(FACETS)}"
            )
        if part and part not in facets:
            facets.append(part)
    return facets


async def page(
    session: AsyncSession,
    search: Search,
    *,
    limit: int,
    cursor: str | None,
    total: bool = False,
    facets: Sequence[str] = (),
) -> PartnerPage:
    rows = await repository.search(
        session, search.query, limit=limit + 1, after=_after(search, cursor)
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(
            [
                search.fingerprint,
                str(last.score),
                last.registered_at.isoformat(),
                str(last.actor_id),
            ]
        )
    counted = None
    if total:
        value = await repository.count_candidates(session, search.query, cap=TOTAL_EXACT_UP_TO)
        counted = CandidateTotal(
            value=min(value, TOTAL_EXACT_UP_TO), exact=value <= TOTAL_EXACT_UP_TO
        )
    facet_counts = None
    if facets:
        facet_counts = PartnerFacets(
            **{
                facet: [
                    CandidateCount(value=value, count=count)
                    for value, count in await repository.facet_counts(session, search.query, facet)
                ]
                for facet in facets
            }
        )
    return PartnerPage(
        items=[_suggestion(search, row) for row in rows],
        next_cursor=next_cursor,
        searched_terms=[g.label for g in search.need_groups],
        total=counted,
        facets=facet_counts,
    )


def _labels(indices: Iterable[int], groups: list[TermGroup]) -> list[str]:
    return [groups[i - 1].label for i in indices]


def _best_region(search: Search, nuts_code: str | None, country: str) -> Alignment | None:
    best = None
    for code in enclosing_codes(nuts_code or country):
        found = search.regions.get(code)
        if found is not None and (best is None or found.score > best.score):
            best = found
    return best


def _matched_offers(search: Search, row: Row[Any]) -> list[MatchedOffer]:
    return [
        MatchedOffer(
            id=o["id"],
            type=o["type"],
            title=o["title"],
            terms=_labels(o["terms"], search.need_groups),
            competences=o["competences"],
        )
        for o in row.offer_hits
    ]


def _complementarity(
    search: Search, row: Row[Any], weight: float, matched_offers: list[MatchedOffer]
) -> ScoreComponent:
    return ScoreComponent(
        name="complementarity",
        value=row.c_complementarity,
        weight=weight,
        explanation=scoring.explain_complementarity(
            row.c_text,
            _labels(row.text_hits, search.need_groups),
            _labels(row.free_text_hits, search.need_groups),
            [o.title for o in matched_offers],
            len(search.need_groups),
            row.c_competences,
            list(row.competence_hits),
            len(search.competences),
            row.c_sectors,
            [*row.nace_hits, *row.ecosystem_hits],
        ),
    )


def _mutual_benefit(search: Search, row: Row[Any], weight: float) -> ScoreComponent:
    matched = _labels(row.mutual_hits, search.offer_groups) if search.offer_groups else None
    return ScoreComponent(
        name="mutual_benefit",
        value=row.c_mutual,
        weight=weight,
        explanation=scoring.explain_mutual_benefit(matched, len(search.offer_groups)),
    )


def _cross_border(search: Search, row: Row[Any], weight: float) -> ScoreComponent:
    return ScoreComponent(
        name="cross_border",
        value=row.c_border,
        weight=weight,
        explanation=scoring.explain_cross_border(
            row.country,
            origin_known=search.query.origin_country is not None,
            abroad=bool(row.c_border),
        ),
    )


def _cross_sector(search: Search, row: Row[Any], weight: float) -> ScoreComponent:
    return ScoreComponent(
        name="cross_sector",
        value=row.c_sector,
        weight=weight,
        explanation=scoring.explain_cross_sector(
            list(row.nace_codes or []), search.query.origin_sections
        ),
    )


def _sme_focus(row: Row[Any], weight: float) -> ScoreComponent:
    return ScoreComponent(
        name="sme_focus",
        value=row.c_sme,
        weight=weight,
        explanation=scoring.explain_sme_focus(row.sme_category, is_sme=bool(row.c_sme)),
    )


def _suggestion(search: Search, row: Row[Any]) -> PartnerSuggestion:
    w = scoring.shown_weights(search.query.weights)
    matched_offers = _matched_offers(search, row)
    components = [
        _complementarity(search, row, w["complementarity"], matched_offers),
        _mutual_benefit(search, row, w["mutual_benefit"]),
        _cross_border(search, row, w["cross_border"]),
        _cross_sector(search, row, w["cross_sector"]),
        _s3_component(search, row, w["s3_alignment"]),
        _sme_focus(row, w["sme_focus"]),
    ]
    return PartnerSuggestion(
        actor_id=row.actor_id,
        legal_name=row.legal_name,
        short_name=row.short_name,
        kind=row.kind,
        country=row.country,
        nuts_code=row.nuts_code,
        sme_category=row.sme_category,
        score=float(row.score),
        summary=scoring.summarise(row.legal_name, row.country, float(row.score), components),
        components=[
            c.model_copy(update={"value": None if c.value is None else scoring.shown(c.value)})
            for c in components
        ],
        matched_offers=matched_offers,
    )


def _s3_component(search: Search, row: Row[Any], weight: float) -> ScoreComponent:
    if not weight:
        return ScoreComponent(
            name="s3_alignment",
            value=None,
            weight=0.0,
            explanation="not scored: no region has S3 priorities set",
        )
    best = _best_region(search, row.nuts_code, row.country)
    if best is None or not best.score:
        explanation = (
            f"no S3 priority of its region ({row.nuts_code or row.country}) fits what you need"
        )
    else:
        explanation = (
            f"fits the S3 priority '{best.domain}' of {best.region} ({', '.join(best.matched)})"
        )
    return ScoreComponent(
        name="s3_alignment", value=row.c_s3, weight=weight, explanation=explanation
    )
