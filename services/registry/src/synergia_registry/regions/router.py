"""HTTP for region names: resolve a name, in any script, to its NUTS region."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, Query
from synergia_shared.http.auth import Principal, require
from synergia_shared.http.problems import (
    PROBLEM_JSON,
    PROBLEM_RESPONSES,
    ProblemException,
    invalid_field,
)
from synergia_shared.reference.nuts import DEFAULT_NUTS_VERSION
from synergia_shared.reference.nuts_names import (
    AmbiguousRegionName,
    RegionFilter,
    RegionNameError,
    resolve_region_name,
)

from synergia_registry.access import READERS
from synergia_registry.regions.schemas import (
    AMBIGUOUS_EXAMPLE,
    UNKNOWN_EXAMPLE,
    NutsRegionView,
    RegionNameProblem,
)

router = APIRouter(prefix="/v1", tags=["regions"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Principal, Depends(require(*READERS))]
NutsVersion = Literal["2016", "2021", "2024"]


def _refusal(description: str, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": RegionNameProblem,
        "description": description,
        "content": {PROBLEM_JSON: {"example": example}},
    }


@router.get(
    "/nuts-regions:resolve",
    operation_id="resolveRegionName",
    summary="Find the NUTS region a name names",
    description="Resolves a region's name, as beneficiary lists write it, to its NUTS "
    "code: in the national language and script or romanised (`Бургас`, `Burgas`), "
    "whatever the case, diacritics or punctuation (`Sud Vest Oltenia`), with or without a "
    "designator (`Blagoevgrad Province`, `област`). Exactly one region must carry the "
    "name: several is a 422 listing them all in `candidates` (narrow it down by `country` "
    "or `level`), none is a 404 whose `candidates` are near misses. Nothing is guessed.",
    response_model=NutsRegionView,
    responses={
        404: _refusal("No region carries the name; near misses", UNKNOWN_EXAMPLE),
        422: _refusal(
            "Several regions carry the name (all of them in `candidates`), or a parameter "
            "is invalid (`errors` says which)",
            AMBIGUOUS_EXAMPLE,
        ),
    },
)
# Not async: the first call builds the name index (a second or two of CPU), which must
# not hold up the event loop; FastAPI runs plain functions in its thread pool.
def resolve_region(
    _: Reader,
    name: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="The region's name",
            examples=["Blagoevgrad Province"],
        ),
    ],
    country: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=2,
            description="Only regions of this country (ISO or EU form: GR and EL alike)",
            examples=["BG"],
        ),
    ] = None,
    level: Annotated[
        int | None, Query(ge=0, le=3, description="Only regions of this NUTS level (0: country)")
    ] = None,
    version: Annotated[
        NutsVersion,
        Query(description="NUTS version (2016 has only the United Kingdom)"),
    ] = cast(NutsVersion, DEFAULT_NUTS_VERSION),
) -> NutsRegionView:
    try:
        where = RegionFilter(country=country, level=level, version=version)
        region = resolve_region_name(name, where)
    except RegionNameError as exc:
        ambiguous = isinstance(exc, AmbiguousRegionName)
        raise ProblemException(
            422 if ambiguous else 404,
            "ambiguous-region-name" if ambiguous else "unknown-region-name",
            "Ambiguous region name" if ambiguous else "Unknown region name",
            str(exc),
            extensions={
                "candidates": [
                    NutsRegionView.of(candidate).model_dump(mode="json", exclude_none=True)
                    for candidate in exc.candidates
                ]
            },
        ) from None
    except ValueError as exc:  # the only filter the query model cannot check: the country
        raise invalid_field(["query", "country"], str(exc)) from None
    return NutsRegionView.of(region)
