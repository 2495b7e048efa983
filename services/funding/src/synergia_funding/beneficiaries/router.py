"""HTTP for the beneficiaries projection."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from synergia_shared.db import unit_of_work
from synergia_shared.http.auth import ALL_ROLES, Principal, require
from synergia_shared.http.problems import PROBLEM_RESPONSES, Problem, ProblemException

from synergia_funding.beneficiaries import repository
from synergia_funding.beneficiaries.schemas import Beneficiary

router = APIRouter(prefix="/v1/beneficiaries", tags=["beneficiaries"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Principal, Depends(require(*ALL_ROLES))]


@router.get(
    "/{actor_id}",
    operation_id="getBeneficiary",
    summary="Funding beneficiary view of one actor",
    description="What funding knows of the actor from the registry's events: identity, "
    "country and NUTS region, sectors and ecosystems, SME category, whether it is active, "
    "and the contact persons who consented to be shown to partners. Eventually consistent "
    "with the registry; 404 until the registration has arrived.",
    response_model=Beneficiary,
    responses={404: {"model": Problem, "description": "Not known here (yet)"}},
)
async def getBeneficiary(request: Request, actor_id: uuid.UUID, _: Reader) -> Beneficiary:
    async with unit_of_work(request.app.state.sessions) as session:
        row = await repository.get(session, actor_id)
    if row is None:
        raise ProblemException(
            404,
            "not-found",
            "Not Found",
            f"actor {actor_id} is not known here: unknown, or its registration has not arrived yet",
        )
    return Beneficiary.model_validate(row, from_attributes=True)
