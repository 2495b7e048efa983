"""HTTP for the co-funding reports of value chains and regions (JSON or CSV)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Path, Response
from pydantic import BaseModel
from synergia_shared.http.auth import ALL_ROLES, Principal, require
from synergia_shared.http.problems import PROBLEM_RESPONSES, Problem
from synergia_shared.http.shapes import NUTS_CODE
from synergia_shared.http.transactions import Snapshot

from synergia_funding.reports import csv, service
from synergia_funding.reports.schemas import RegionCoFunding, ValueChainCoFunding

M = TypeVar("M", bound=BaseModel)

router = APIRouter(tags=["reports"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Principal, Depends(require(*ALL_ROLES))]
Accept = Annotated[
    str | None,
    Header(description="application/json (default) or text/csv", examples=["text/csv"]),
]
Nuts = Annotated[
    str,
    Path(
        description="NUTS code (2024, 2021, or 2016 for the UK) of any level; the country "
        "code is level 0",
        examples=["ITH5"],
        json_schema_extra=NUTS_CODE,
    ),
]


def report_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: the report as JSON or CSV, and 406 for anything else."""
    return {
        200: {
            "description": description,
            "content": {
                csv.CSV_MEDIA_TYPE: {
                    "schema": {"type": "string"},
                    "example": "section,line,measure,value,unit\r\n"
                    "total,,committed,1650000.00,EUR\r\n",
                }
            },
        },
        406: {"model": Problem, "description": "Accept names neither JSON nor CSV"},
    }


def respond(
    report: M, kind: csv.Representation, render: Callable[[M], str], filename: str
) -> Response:
    """The report as JSON, or rendered as CSV and offered as a download."""
    if kind == "csv":
        return Response(
            render(report),
            media_type=f"{csv.CSV_MEDIA_TYPE}; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Vary": "Accept",
            },
        )
    return Response(
        report.model_dump_json(),
        media_type=csv.JSON_MEDIA_TYPE,
        headers={"Vary": "Accept"},
    )


@router.get(
    "/v1/value-chains/{value_chain_id}/co-funding",
    operation_id="getValueChainCoFunding",
    summary="Co-funding of a value chain",
    description="The value chain's money by source line (H2020, FSTP, ESIF by fund, EFSI, "
    "national, regional, private upfront / follow-up; committed, cost claimed, disbursed, "
    "net of corrections), the share of its budget that goes to SMEs, its leverage (money "
    "mobilised per euro of EU programme money) and the open rule flags. A value chain no "
    "entry names yet answers 200 with zeros (not 404): funding does not keep the list of "
    "value chains, and a plan with no money yet is a valid state to show. "
    "`Accept: text/csv` gives the same figures as CSV.",
    response_model=ValueChainCoFunding,
    responses=report_responses("The co-funding report"),
)
async def get_value_chain_co_funding(
    value_chain_id: uuid.UUID, _: Reader, session: Snapshot, accept: Accept = None
) -> Response:
    kind = csv.representation(accept)
    report = await service.value_chain_co_funding(session, value_chain_id)
    return respond(
        report, kind, csv.value_chain_csv, f"value-chain-{value_chain_id}-co-funding.csv"
    )


@router.get(
    "/v1/regions/{nuts}/co-funding",
    operation_id="getRegionCoFunding",
    summary="ESIF mobilised in a region and what it leveraged",
    description="ESIF entries located in the NUTS region or below it, by fund, and the "
    "national, regional and private money it leveraged: in the same region, and in the "
    "same projects (the `method` field states the definitions). An unknown NUTS code is "
    "a 422. `Accept: text/csv` gives the same figures as CSV.",
    response_model=RegionCoFunding,
    responses=report_responses("The region's co-funding report"),
)
async def get_region_co_funding(
    nuts: Nuts, _: Reader, session: Snapshot, accept: Accept = None
) -> Response:
    place = service.region(nuts)
    kind = csv.representation(accept)
    report = await service.region_co_funding(session, place)
    return respond(report, kind, csv.region_csv, f"region-{place.code}-co-funding.csv")
