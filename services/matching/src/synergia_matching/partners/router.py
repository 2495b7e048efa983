"""HTTP for partner search."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from synergia_shared.events.registry import ActorKind
from synergia_shared.http.auth import ALL_ROLES, Principal, require
from synergia_shared.http.problems import PROBLEM_RESPONSES, Problem
from synergia_shared.http.transactions import ReadOnly

from synergia_matching.partners import service
from synergia_matching.partners.schemas import (
    Constraints,
    CountryCode,
    PartnerPage,
    PartnerSearch,
)

router = APIRouter(tags=["partners"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Principal, Depends(require(*ALL_ROLES))]
Limit = Annotated[int, Query(ge=1, le=100, description="Suggestions per page")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]
Total = Annotated[
    bool, Query(description="Count the candidates (exact up to 10,000, else at least)")
]
Facets = Annotated[
    list[str] | None,
    Query(
        description="Count candidates per `country` and/or `kind` (comma-separated or "
        "repeated), each under every constraint but its own",
        examples=[["country", "kind"]],
    ),
]
COUNTS = (
    " For a search page: `total=true` counts the candidates (every profile the search "
    "finds under the constraints, not only this page), `facets=country,kind` counts them "
    "per value; ask with the first page only."
)

RANKING = (
    "Each suggestion has a score from 0 to 1 and its breakdown in plain words: "
    "complementarity (what is needed against what the candidate offers: terms matched "
    "with English stemming and a thesaurus of the field's synonyms, competences, sectors), "
    "mutual benefit (the reverse), cross-border, cross-sector, S3 alignment of the "
    "candidate's region, SME focus. Components that do not apply to a search are left "
    "out and the others reweighted. Fit first: the score is complementarity times its "
    "weight plus the others' weighted values, so country, sector and size count in "
    "proportion to what the candidate offers of the need; a needed competence shared "
    "without any needed term in its offers or text counts a quarter; the searcher's "
    "keywords weigh two words of its free text. The number of clusters, value chains or "
    "partners a "
    "candidate already has never counts, so established organisations cannot crowd out "
    "newcomers with the same fit; between equal scores the more recently registered "
    "actor comes first."
)


@router.post(
    "/v1/partner-searches",
    operation_id="searchPartners",
    summary="Search complementary partners",
    description="Ranked, explained partner suggestions for what is needed, under the "
    "given constraints. " + RANKING + " Page with `cursor` and the same body." + COUNTS,
    response_model=PartnerPage,
)
async def search_partners(
    body: PartnerSearch,
    _: Reader,
    session: ReadOnly,
    limit: Limit = 20,
    cursor: Cursor = None,
    total: Total = False,
    facets: Facets = None,
) -> PartnerPage:
    wanted = service.parse_facets(facets)
    search = await service.resolve(session, body)
    return await service.page(
        session, search, limit=limit, cursor=cursor, total=total, facets=wanted
    )


@router.get(
    "/v1/profiles/{actor_id}/partners",
    operation_id="suggestPartners",
    summary="Partner suggestions for an actor",
    description="Suggestions from the actor's own needs against others' offers, and its "
    "offers against their needs (mutual benefit). Its linked enterprises are never "
    "suggested. " + RANKING + COUNTS,
    response_model=PartnerPage,
    responses={
        404: {"model": Problem, "description": "Actor not known here (yet)"},
        409: {"model": Problem, "description": "The actor has no needs to match on"},
    },
)
async def suggest_partners(
    actor_id: uuid.UUID,
    _: Reader,
    session: ReadOnly,
    limit: Limit = 20,
    cursor: Cursor = None,
    country: Annotated[list[CountryCode] | None, Query(description="Only these countries")] = None,
    kind: Annotated[list[ActorKind] | None, Query(description="Only these kinds")] = None,
    sme_only: bool = False,
    eligible_countries_only: bool = False,
    total: Total = False,
    facets: Facets = None,
) -> PartnerPage:
    wanted = service.parse_facets(facets)
    constraints = Constraints(
        countries_in=country,
        kinds=kind,
        sme_only=sme_only,
        eligible_countries_only=eligible_countries_only,
    )
    search = await service.for_actor(session, actor_id, constraints)
    return await service.page(
        session, search, limit=limit, cursor=cursor, total=total, facets=wanted
    )
