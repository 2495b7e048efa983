"""HTTP for code lists: public, ETag + long cache (shared.http.cacheable).

Public, without credentials: they are the EU's published classifications and the API's
own enumerations (no personal or business data), a registration form needs them before
its user has an account, and an answer without ``Authorization`` can be kept by any
shared cache (a CDN, a corporate proxy) for every user.

Not async: the first answer of a list reads its source (the NUTS workbook: a second or
two of CPU), which must not hold up the event loop; FastAPI runs these in its thread pool.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Query, Request, Response
from synergia_shared.http.cacheable import (
    CACHEABLE_HEADERS,
    INDEX_MAX_AGE,
    NOT_MODIFIED,
    CacheableBody,
)
from synergia_shared.http.cacheable import cacheable_json as _cacheable_json
from synergia_shared.http.problems import PROBLEM_JSON, Problem, invalid_field
from synergia_shared.reference.countries import UnknownCountry, lookup_country
from synergia_shared.reference.nace import DEFAULT_NACE_REVISION
from synergia_shared.reference.nuts import DEFAULT_NUTS_VERSION

from synergia_registry.code_lists import catalogue
from synergia_registry.code_lists.schemas import (
    CodeList,
    CodeListIndex,
    CountryList,
    NaceCorrespondence,
    NaceList,
    NutsRegionList,
)

router = APIRouter(
    prefix=catalogue.PREFIX,
    tags=["code-lists"],
    responses={
        **NOT_MODIFIED,
        422: {
            "model": Problem,
            "description": "A parameter is invalid (`errors` says which)",
            "content": {PROBLEM_JSON: {}},
        },
    },
)

NutsVersion = Literal["2016", "2021", "2024"]
NaceRevision = Literal["2", "2.1"]
EnumerationName = Literal[
    "competences",
    "ecosystems",
    "actor-kinds",
    "offer-types",
    "participant-roles",
    "sme-categories",
    "user-roles",
]
Version = Annotated[
    str | None,
    Query(
        alias="v",
        max_length=64,
        description="The list's version from the index: with the current one the answer "
        "is cached for a year",
    ),
]


def _ok(model: type[Any], description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": description, "headers": CACHEABLE_HEADERS}}


def _answer(request: Request, name: str, v: str | None, body: CacheableBody) -> Response:
    return _cacheable_json(request, body, versioned=v == catalogue.versions()[name])


@router.get(
    "",
    operation_id="listCodeLists",
    summary="The code lists, with their versions",
    description="Every code list with its current version and a link that carries it: "
    "follow the links and a change in a list is a new URL. This index is cached for an "
    "hour; the linked lists for a year.",
    responses={200: {"model": CodeListIndex, "headers": CACHEABLE_HEADERS}},
    response_model=None,
)
def list_code_lists(request: Request) -> Response:
    return _cacheable_json(request, catalogue.index(), max_age=INDEX_MAX_AGE)


@router.get(
    "/countries",
    operation_id="listCountries",
    summary="Countries and their programme standing",
    description="Every country the API accepts, in the EU form (EL, UK, XK), with its "
    "standing in Horizon 2020 (the consortium rule value chains follow) and in Horizon "
    "Europe: `member_state`, `associated_country`, `united_kingdom` (Horizon 2020 only) or "
    "`third_country`.",
    responses=_ok(CountryList, "The countries"),
    response_model=None,
)
def list_countries(request: Request, v: Version = None) -> Response:
    return _answer(request, "countries", v, catalogue.countries())


@router.get(
    "/nuts-regions",
    operation_id="listNutsRegions",
    summary="NUTS regions of a version",
    description="The regions of one NUTS version with Eurostat's names (and their Latin "
    "form for Cyrillic and Greek ones), each with its level and parent; level 0 is the "
    "country. NUTS 2016 holds only the United Kingdom (its last NUTS codes); 2021 and 2024 "
    "the EU and the Statistical Regions of EFTA and candidate countries.",
    responses=_ok(NutsRegionList, "The regions"),
    response_model=None,
)
def list_nuts_regions(
    request: Request,
    v: Version = None,
    version: Annotated[NutsVersion, Query(description="NUTS version")] = cast(
        NutsVersion, DEFAULT_NUTS_VERSION
    ),
    country: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=2,
            description="Only regions of this country (ISO or EU form: GR and EL alike)",
            examples=["BG"],
        ),
    ] = None,
    level: Annotated[int | None, Query(ge=0, le=3, description="Only this NUTS level")] = None,
) -> Response:
    stored = None
    if country is not None:
        try:
            stored = lookup_country(country).code
        except UnknownCountry as exc:
            if country.strip().upper() != "XK":
                raise invalid_field(["query", "country"], str(exc)) from None
            stored = "XK"
    return _answer(request, "nuts-regions", v, catalogue.nuts_regions(version, stored, level))


@router.get(
    "/nace",
    operation_id="listNaceCodes",
    summary="NACE codes of a revision",
    description="Every code of NACE Rev. 2 or Rev. 2.1 with its label, level and parent, "
    "in the form the API stores (`C28.11`). Rev. 2.1 moved divisions between sections "
    "(62 is J in Rev. 2, K in Rev. 2.1).",
    responses=_ok(NaceList, "The codes"),
    response_model=None,
)
def list_nace_codes(
    request: Request,
    v: Version = None,
    revision: Annotated[NaceRevision, Query(description="NACE revision")] = cast(
        NaceRevision, DEFAULT_NACE_REVISION
    ),
    level: Annotated[
        int | None, Query(ge=1, le=4, description="1 section, 2 division, 3 group, 4 class")
    ] = None,
    section: Annotated[
        str | None, Query(pattern="^[A-Z]$", description="Only codes of this section")
    ] = None,
) -> Response:
    return _answer(request, "nace", v, catalogue.nace(revision, level, section))


@router.get(
    "/nace-correspondence",
    operation_id="getNaceCorrespondence",
    summary="NACE Rev. 2 classes and their Rev. 2.1 counterparts",
    description="Each Rev. 2 class linked to the Rev. 2.1 class with the same label "
    "(`J62.01` Computer programming activities is `K62.10`). Derived from the two "
    "classifications the API validates against, not Eurostat's official table: a class "
    "that was split, merged or reworded has no link (no direct equivalent).",
    responses=_ok(NaceCorrespondence, "The links"),
    response_model=None,
)
def get_nace_correspondence(request: Request, v: Version = None) -> Response:
    return _answer(request, "nace-correspondence", v, catalogue.correspondence())


@router.get(
    "/{name}",
    operation_id="getCodeList",
    summary="One of the API's enumerations",
    description="Competences, ecosystems, actor kinds, offer and need types, value-chain "
    "participant roles, SME categories or user roles: each code the API accepts, with its "
    "label.",
    responses=_ok(CodeList, "The codes"),
    response_model=None,
)
def get_code_list(request: Request, name: EnumerationName, v: Version = None) -> Response:
    return _answer(request, name, v, catalogue.enumeration(name))
