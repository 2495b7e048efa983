"""HTTP for regional S3 priorities."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from synergia_shared.http.auth import ALL_ROLES, Principal, Role, require
from synergia_shared.http.preconditions import PRECONDITION_RESPONSES, IfMatch, versioned_json
from synergia_shared.http.problems import PROBLEM_RESPONSES
from synergia_shared.http.shapes import NUTS_CODE
from synergia_shared.http.transactions import ReadOnly, Write

from synergia_matching.regions import service
from synergia_matching.regions.schemas import S3Priorities, S3PrioritiesIn

router = APIRouter(prefix="/v1/regions", tags=["regions"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Principal, Depends(require(*ALL_ROLES))]
Setter = Annotated[Principal, Depends(require(Role.ADMIN, Role.AUTHORITY))]
Nuts = Annotated[
    str,
    Path(
        description="NUTS code of the region (2024 or 2021), e.g. ITH5",
        examples=["ITH5"],
        json_schema_extra=NUTS_CODE,
    ),
]
ETAG: dict[str, Any] = {"ETag": {"schema": {"type": "string"}, "description": "Version"}}


def _response(view: S3Priorities) -> JSONResponse:
    return versioned_json(view)


@router.get(
    "/{nuts}/s3-priorities",
    operation_id="getS3Priorities",
    summary="S3 priorities of a region",
    description="The smart-specialisation priority domains set for exactly this NUTS region "
    "(version 0 and no domains when none are set). Partner search and team proposals also "
    "apply the strategies of the regions containing it.",
    response_model=S3Priorities,
    responses={200: {"headers": ETAG}},
)
async def get_s3_priorities(nuts: Nuts, _: Reader, session: ReadOnly) -> JSONResponse:
    return _response(await service.get(session, nuts))


@router.put(
    "/{nuts}/s3-priorities",
    operation_id="setS3Priorities",
    summary="Set the S3 priorities of a region",
    description="Replaces the region's priority domains (sectors as NACE codes, ecosystems, "
    "keywords). An admin, or an authority for its own region and the regions inside it. "
    'Send If-Match with the ETag you read ("0" when none are set yet).',
    response_model=S3Priorities,
    responses={200: {"headers": ETAG}, **PRECONDITION_RESPONSES},
)
async def set_s3_priorities(
    nuts: Nuts, body: S3PrioritiesIn, principal: Setter, if_match: IfMatch, session: Write
) -> JSONResponse:
    return _response(await service.replace(session, nuts, body, principal, if_match))
