"""HTTP for the beneficiaries projection, with the beneficiary's funding report."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from synergia_shared.http.auth import ALL_ROLES, Principal, require
from synergia_shared.http.iso_date import IsoDate
from synergia_shared.http.problems import PROBLEM_RESPONSES, Problem
from synergia_shared.http.transactions import Snapshot
from synergia_shared.projections.actor_views import not_known_here

from synergia_funding.beneficiaries import repository
from synergia_funding.beneficiaries.schemas import Beneficiary
from synergia_funding.reports import csv
from synergia_funding.reports import service as reports
from synergia_funding.reports.router import Accept, report_responses, respond

router = APIRouter(prefix="/v1/beneficiaries", tags=["beneficiaries"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Principal, Depends(require(*ALL_ROLES))]
On = Annotated[
    IsoDate | None,
    Query(
        description="Reference date of the de minimis headroom (YYYY-MM-DD); today (UTC) "
        "when omitted",
        examples=["2026-06-30"],
    ),
]


def _csv(view: Beneficiary) -> str:
    return csv.beneficiary_csv(view.funding)


@router.get(
    "/{actor_id}",
    operation_id="getBeneficiary",
    summary="Funding beneficiary view of one actor",
    description="What funding knows of the actor from the registry's events: identity, "
    "country and NUTS region, sectors and ecosystems, SME category, whether it is active, "
    "and the contact persons who consented to be shown to partners. Eventually consistent "
    "with the registry; 404 until the registration has arrived (money an authority sends "
    "for it meanwhile waits, parked, and is not counted anywhere). `funding` is its "
    "report from the ledger: totals by source and instrument net of corrections, and the "
    "de minimis aid of its single "
    "undertaking (linked enterprises included) per Member State, with the headroom left "
    "on the reference date and the day each aid drops out of the window. "
    "`Accept: text/csv` gives the funding figures as CSV.",
    response_model=Beneficiary,
    responses={
        **report_responses("The beneficiary and its funding"),
        404: {"model": Problem, "description": "Not known here (yet)"},
    },
)
async def get_beneficiary(
    actor_id: uuid.UUID, _: Reader, session: Snapshot, on: On = None, accept: Accept = None
) -> Response:
    kind = csv.representation(accept)
    day = on or datetime.now(UTC).date()
    row = await repository.get(session, actor_id)
    if row is None:
        raise not_known_here(actor_id)
    funding = await reports.beneficiary_funding(session, actor_id, day)
    profile: dict[str, Any] = dict(row._mapping)
    view = Beneficiary.model_validate({**profile, "funding": funding})
    return respond(view, kind, _csv, f"beneficiary-{actor_id}-funding-{day.isoformat()}.csv")
