"""HTTP for funding reference data: parse, authorise, call the service, shape the response."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from synergia_shared.http import idempotency
from synergia_shared.http.auth import ALL_ROLES, Principal, Role, require
from synergia_shared.http.input_limits import BodyKind, body_limit
from synergia_shared.http.preconditions import (
    PRECONDITION_RESPONSES,
    IfMatch,
    etag_for,
    versioned_json,
)
from synergia_shared.http.problems import PROBLEM_RESPONSES, Problem, ProblemException
from synergia_shared.http.shapes import NUTS_CODE
from synergia_shared.http.transactions import Idempotent, ReadOnly, Write

from synergia_funding.reference import csv_import, service, totals_csv
from synergia_funding.reference.esif_csv import EsifCsvFormatError
from synergia_funding.reference.repository import ListFilters
from synergia_funding.reference.rules import EsifFund
from synergia_funding.reference.schemas import (
    EsifImportReport,
    EsifTotals,
    EsifTotalsBy,
    FundingSource,
    FundingSourceIn,
    FundingSourcePage,
    SourceKind,
)
from synergia_funding.reports import csv as csv_report

router = APIRouter(
    prefix="/v1/funding-sources", tags=["funding-sources"], responses=PROBLEM_RESPONSES
)

Reader = Annotated[Principal, Depends(require(*ALL_ROLES))]
# Authorities are further limited, in the service, to programmes within their region.
Writer = Annotated[Principal, Depends(require(Role.ADMIN, Role.AUTHORITY))]
CSV_MEDIA_TYPES = frozenset({"text/csv", "application/csv", "text/plain"})

ETAG_HEADER = {"ETag": {"schema": {"type": "string"}, "description": "The version"}}
LOCATION_HEADER = {"Location": {"schema": {"type": "string"}}}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such funding source"}
}
PRECONDITIONS = PRECONDITION_RESPONSES
_CSV_SAMPLE = (
    "MS,MS Name,CCI,Ver,Programme Title,Fund,Priority,TO_code,To short,TO long,"
    "Category of region,EAFRD Measure code,Measure short description,EAFRD Focus Area code,"
    "Focus area short description,EU Amount,National Amount,Total Amount,EU co-financing\n"
    "IT,Italy,2014IT16RFOP012,4,POR Lombardia FESR 2014-2020,ERDF,3,03,"
    "Competitiveness of SMEs,Enhancing the competitiveness of SMEs,More developed,,,,,"
    "97000000,97000000,194000000,50\n"
    "IT,Italy,2014IT06RDRP007,6,Rural Development Programme (Regional) - Lombardia,EAFRD,"
    "P4,,,,More developed,M10,Agri-environment-climate,4A,Biodiversity,"
    "43120000,56880000,100000000,43.12\n"
    "TC,Interreg,2014TC16RFCB052,2,Interreg V-A Italy-Austria,ERDF,1,01,"
    "Research & Innovation,Strengthening research,,,,,,70000000,12352941.18,82352941.18,85\n"
)
_TOTALS_CSV_SAMPLE = (
    "fund,name,eu_amount,national_amount,total_amount,lines,programmes\r\n"
    "EAFRD,,43120000.00,56880000.00,100000000.00,1,1\r\n"
    "ERDF,,167000000.00,109352941.18,276352941.18,2,2\r\n"
    "total,,210120000.00,166232941.18,376352941.18,3,3\r\n"
)


@router.post(
    "",
    operation_id="createFundingSource",
    summary="Load a funding source",
    description="Stores a Horizon 2020 grant, an FSTP call of a value chain, an ESIF "
    "operational programme with its financial plan, an EFSI operation, a national or "
    "regional programme or a private investor, told apart by `kind`. A source is "
    "identified by its natural code within its kind (see `code` in the response): posting "
    "one that exists with the same content answers 200 with the stored source; with other "
    "content a 409 whose `Location` is the stored one, to change with PUT. Admins load "
    "anything; an authority only ESIF and national/regional programmes whose regions all "
    "lie within its own. ESIF lines whose rate is above the ceiling for their fund and "
    "category of region are stored with a flag saying which exceptions would allow it. "
    "Send an `Idempotency-Key` to make a retry return the first answer.",
    status_code=201,
    response_model=FundingSource,
    responses={
        200: {
            "model": FundingSource,
            "description": "Already stored with this content",
            "headers": {**ETAG_HEADER, **LOCATION_HEADER},
        },
        201: {"headers": {**ETAG_HEADER, **LOCATION_HEADER}},
        409: {"model": Problem, "description": "Stored with other content: use PUT"},
    },
)
async def create_funding_source(
    body: Annotated[FundingSourceIn, Body()],
    principal: Writer,
    once: Idempotent,
    idempotency_key: idempotency.IdempotencyKey = None,
) -> Response:
    async def create(session: idempotency.AsyncSession) -> idempotency.StoredResponse:
        result = await service.create(session, body, principal)
        view = result.view
        return idempotency.StoredResponse(
            201 if result.created else 200,
            view.model_dump_json().encode(),
            {"Location": service.location_of(view.id), "ETag": etag_for(view.version)},
        )

    return await once.respond(principal.subject, idempotency_key, create)


@router.get(
    "",
    operation_id="listFundingSources",
    summary="List funding sources",
    description="In (kind, code) order, a page at a time: pass `next_cursor` back as "
    "`cursor`. Filters combine with AND. `region` (a NUTS code, or a country code) finds "
    "the sources located there: declared for it, for a region inside it, or for a region "
    "containing it (a national programme covers its regions); a country code also finds "
    "sources by their country, such as programmes loaded from the open data, which names "
    "only the Member State. Interreg programmes have no Member State: `interreg=true` "
    "finds them.",
    response_model=FundingSourcePage,
)
async def list_funding_sources(
    _: Reader,
    session: ReadOnly,
    kind: Annotated[SourceKind | None, Query(description="Only this kind")] = None,
    region: Annotated[
        str | None,
        Query(
            description="NUTS code (2021/2024; UK: 2016)",
            examples=["ITC4"],
            json_schema_extra=NUTS_CODE,
        ),
    ] = None,
    fund: Annotated[
        EsifFund | None, Query(description="ESIF programmes with a line of this fund")
    ] = None,
    interreg: Annotated[
        bool | None,
        Query(
            description="true: only Interreg (European territorial cooperation) programmes, "
            "whose CCI has TC for a country and which have no single Member State; false: "
            "every source but them"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the page before")] = None,
) -> FundingSourcePage:
    filters = ListFilters(
        kind=kind.value if kind else None,
        region=service.region_filter(region),
        fund=fund.value if fund else None,
        interreg=interreg,
    )
    return await service.list_sources(session, filters, cursor=cursor, limit=limit)


@router.get(
    "/esif-programmes/totals",
    operation_id="getEsifPlannedTotals",
    summary="ESIF 2014-2020 planned totals",
    description="The EU, national and total planned amounts of every stored ESIF "
    "programme line, added up by `country` (EU form: EL, UK; `TC` for Interreg, which has "
    "no single Member State), `fund`, `programme` (CCI, with its title) or "
    "`thematic-objective` (lines without one under a null key, last), with how many lines "
    "and programmes each sums, and the grand total. Exact: summed as NUMERIC, in euro "
    "and cent. `Accept: text/csv` gives the same figures as CSV, the total as the last "
    "row.",
    response_model=EsifTotals,
    responses={
        200: {
            "description": "The totals",
            "content": {
                csv_report.CSV_MEDIA_TYPE: {
                    "schema": {"type": "string"},
                    "example": _TOTALS_CSV_SAMPLE,
                }
            },
        },
        406: {"model": Problem, "description": "Accept names neither JSON nor CSV"},
    },
)
async def get_esif_planned_totals(
    _: Reader,
    session: ReadOnly,
    by: Annotated[EsifTotalsBy, Query(description="What to add up by", examples=["country"])],
    accept: Annotated[
        str | None,
        Header(description="application/json (default) or text/csv", examples=["text/csv"]),
    ] = None,
) -> Response:
    kind = csv_report.representation(accept)
    totals = await service.esif_totals(session, by)
    if kind == "csv":
        return Response(
            totals_csv.render(totals),
            media_type=f"{csv_report.CSV_MEDIA_TYPE}; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="esif-planned-by-{by.value}.csv"',
                "Vary": "Accept",
            },
        )
    return Response(
        totals.model_dump_json(), media_type=csv_report.JSON_MEDIA_TYPE, headers={"Vary": "Accept"}
    )


@router.get(
    "/{source_id}",
    operation_id="getFundingSource",
    summary="One funding source",
    description="The source with its current version in the `ETag` header (send it as "
    "`If-Match` to change it); an ESIF programme with its financial plan.",
    response_model=FundingSource,
    responses={200: {"headers": ETAG_HEADER}, **NOT_FOUND},
)
async def get_funding_source(source_id: uuid.UUID, _: Reader, session: ReadOnly) -> JSONResponse:
    return versioned_json(await service.get(session, source_id))


@router.put(
    "/{source_id}",
    operation_id="replaceFundingSource",
    summary="Replace a funding source",
    description="Replaces the source's definition (an ESIF programme's whole plan: lines not "
    "in the body are removed). The kind cannot change (422); a natural code taken by "
    "another source is a 409. Needs `If-Match`. An authority may replace only a programme "
    "within its region, and only keeping it there.",
    response_model=FundingSource,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_FOUND,
        409: {"model": Problem, "description": "The natural code is another source's"},
        **PRECONDITIONS,
    },
)
async def replace_funding_source(
    source_id: uuid.UUID,
    body: Annotated[FundingSourceIn, Body()],
    principal: Writer,
    if_match: IfMatch,
    session: Write,
) -> JSONResponse:
    return versioned_json(await service.replace(session, source_id, body, principal, if_match))


@router.post(
    "/esif-programmes:import",
    operation_id="importEsifProgrammes",
    summary="Import ESIF 2014-2020 planned finances (CSV)",
    description="The cohesion open-data portal's \"ESIF 2014-2020 Finance Implementation "
    'Details: planned" export as the raw body (`Content-Type: text/csv`), UTF-8, `,`, `;`, '
    "tab or `|` separated, read as it streams. Each row is a line of a programme's plan: "
    "CCI and version (`Ver`), fund, priority (may be empty: EMFF, EAFRD technical "
    "assistance), thematic objective, category of region, EAFRD measure and focus area, EU, "
    "national and total amounts, EU co-financing rate. Every 2014-2020 programme code is "
    "read (multi-fund `MA`/`M0`-`M9`, `TA`, `RN`, PEACE `PC`, SME Initiative from 2014-2016, "
    "Interreg `TC` with `MS` TC or empty). A row whose CCI, fund (IPA and other instruments "
    "are not ESIF) or amounts are invalid, whose EU + national is not the total, whose "
    "stated rate is not EU / total (within 0.01 point) or that repeats an earlier row's "
    "line identity is rejected with its line number and every reason; the other rows load "
    "(`rows` = `lines_loaded` + `rejected`). New CCIs create programmes (no managing "
    "authority or regions until a PUT). A newer `Ver` than held replaces the programme's "
    "plan (lines it no longer has are retired); the version held adds or updates lines; an "
    "older one is refused row by row, naming the version held. Importing the same file "
    "again changes nothing. A file that is not that CSV (columns missing, empty, not UTF-8) "
    "is a 422 and nothing is kept. Admins; an authority only for programmes within its "
    "region (an Interreg programme, which has no Member State, once a PUT declares its "
    "regions).",
    response_model=EsifImportReport,
    responses={
        415: {"model": Problem, "description": "Not text/csv"},
        422: {"model": Problem, "description": "Not an ESIF planned-finances CSV at all"},
    },
    openapi_extra={
        **body_limit(BodyKind.UPLOAD),
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string", "format": "binary"},
                    "example": _CSV_SAMPLE,
                }
            },
        },
    },
)
async def import_esif_programmes(
    request: Request, principal: Writer, session: Write
) -> EsifImportReport:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_MEDIA_TYPES:
        raise ProblemException(
            415,
            "unsupported-media-type",
            "Unsupported Media Type",
            f"send the file as the raw body with Content-Type text/csv; got "
            f"{media_type or 'no Content-Type'}",
        )
    try:
        return await csv_import.import_esif_programmes(session, request.stream(), principal)
    except EsifCsvFormatError as exc:
        raise ProblemException(
            422,
            "invalid-csv",
            "Not an ESIF 2014-2020 planned-finances CSV",
            f"{exc}; nothing was imported",
            errors=[{"loc": ["body"], "msg": str(exc)}],
        ) from None
