"""HTTP for value-chain initiatives: parse, authorise, call the service, shape the response."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from synergia_shared.http import idempotency
from synergia_shared.http.auth import ALL_ROLES, Principal, Role, require
from synergia_shared.http.preconditions import (
    PRECONDITION_RESPONSES,
    IfMatch,
    etag_for,
    versioned_json,
)
from synergia_shared.http.problems import PROBLEM_RESPONSES, Problem
from synergia_shared.http.transactions import Idempotent, ReadOnly, Write
from synergia_shared.reference.ecosystems import Ecosystem

from synergia_registry.value_chains import service
from synergia_registry.value_chains.repository import ListFilters
from synergia_registry.value_chains.rules import ValueChainStatus
from synergia_registry.value_chains.schemas import (
    EligibilityReport,
    StatusChange,
    ValueChain,
    ValueChainCreate,
    ValueChainPage,
    ValueChainReplace,
)

router = APIRouter(prefix="/v1/value-chains", tags=["value-chains"], responses=PROBLEM_RESPONSES)

# Cluster managers are further limited, in the service, to the value chains they lead.
Manager = Annotated[Principal, Depends(require(Role.ADMIN, Role.CLUSTER_MANAGER))]
Reader = Annotated[Principal, Depends(require(*ALL_ROLES))]

ETAG_HEADER = {"ETag": {"schema": {"type": "string"}, "description": "The new version"}}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such value chain"}
}
PRECONDITIONS = PRECONDITION_RESPONSES


@router.post(
    "",
    operation_id="createValueChain",
    summary="Create a value-chain initiative",
    description="Creates a `draft` value chain and publishes "
    "`eu.synergia.registry.value-chain.updated.v1`. Leads must be active cluster "
    "organisations or SME intermediaries, participants active actors (422 naming the "
    "field otherwise). A cluster manager must list its own organisation among the leads. "
    "Send an `Idempotency-Key` to make a retry return the first result.",
    status_code=201,
    response_model=ValueChain,
    responses={
        201: {
            "headers": {
                "Location": {"schema": {"type": "string"}},
                "ETag": {"schema": {"type": "string"}},
                "Idempotent-Replayed": {
                    "schema": {"type": "string"},
                    "description": "`true` when this is the stored answer to an earlier "
                    "request with the same Idempotency-Key",
                },
            }
        }
    },
)
async def create_value_chain(
    body: ValueChainCreate,
    principal: Manager,
    once: Idempotent,
    idempotency_key: idempotency.IdempotencyKey = None,
) -> Response:
    async def create(session: idempotency.AsyncSession) -> idempotency.StoredResponse:
        view = await service.create(session, body, principal)
        return idempotency.StoredResponse(
            201,
            view.model_dump_json().encode(),
            {"Location": f"/v1/value-chains/{view.id}", "ETag": etag_for(view.version)},
        )

    return await once.respond(principal.subject, idempotency_key, create)


@router.get(
    "",
    operation_id="listValueChains",
    summary="List value-chain initiatives",
    description="In creation order, a page at a time: pass `next_cursor` back as `cursor`. "
    "Filters combine with AND.",
    response_model=ValueChainPage,
)
async def list_value_chains(
    _: Reader,
    session: ReadOnly,
    status: Annotated[ValueChainStatus | None, Query(description="Only in this status")] = None,
    lead_actor_id: Annotated[
        uuid.UUID | None, Query(description="Only the value chains this actor leads")
    ] = None,
    participant_actor_id: Annotated[
        uuid.UUID | None, Query(description="Only the value chains this actor takes part in")
    ] = None,
    ecosystem: Annotated[
        Ecosystem | None, Query(description="Only the value chains targeting this ecosystem")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the page before")] = None,
) -> ValueChainPage:
    filters = ListFilters(
        status=status.value if status else None,
        lead_actor_id=lead_actor_id,
        participant_actor_id=participant_actor_id,
        ecosystem=ecosystem.value if ecosystem else None,
    )
    return await service.list_value_chains(session, filters, cursor=cursor, limit=limit)


@router.get(
    "/{value_chain_id}",
    operation_id="getValueChain",
    summary="One value-chain initiative",
    description="The value chain with its current version in the `ETag` header (send it "
    "as `If-Match` on changes).",
    response_model=ValueChain,
    responses={
        200: {"headers": {"ETag": {"schema": {"type": "string"}, "description": "Version"}}},
        **NOT_FOUND,
    },
)
async def get_value_chain(value_chain_id: uuid.UUID, _: Reader, session: ReadOnly) -> JSONResponse:
    view = await service.get(session, value_chain_id)
    if view is None:
        raise service.not_found(value_chain_id)
    return versioned_json(view)


@router.put(
    "/{value_chain_id}",
    operation_id="replaceValueChain",
    summary="Replace a value chain's content",
    description="Replaces title, vision, target industry, ecosystems, leads, stages and "
    "participants (the status changes only through POST …/status). Needs `If-Match`. "
    "Refused with 409 once the value chain is closed. Publishes "
    "`eu.synergia.registry.value-chain.updated.v1`.",
    response_model=ValueChain,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_FOUND,
        409: {"model": Problem, "description": "The value chain is closed"},
        **PRECONDITIONS,
    },
)
async def replace_value_chain(
    value_chain_id: uuid.UUID,
    body: ValueChainReplace,
    principal: Manager,
    if_match: IfMatch,
    session: Write,
) -> JSONResponse:
    view = await service.replace(session, value_chain_id, body, principal, if_match)
    return versioned_json(view)


@router.post(
    "/{value_chain_id}/status",
    operation_id="changeValueChainStatus",
    summary="Move a value chain through its life cycle",
    description="draft → open → formed → running → closed; any status but closed may also "
    "go to closed. A transition not allowed from the current status is a 409 naming the "
    "allowed ones. Going to `formed` needs a passing eligibility report: otherwise a 409 "
    "whose `errors` hold the failing criteria with their explanations. Needs `If-Match`. "
    "Publishes `…value-chain.updated.v1` and `…value-chain.status-changed.v1`.",
    response_model=ValueChain,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_FOUND,
        409: {
            "model": Problem,
            "description": "Transition not allowed, or (to formed) not eligible",
        },
        **PRECONDITIONS,
    },
)
async def change_value_chain_status(
    value_chain_id: uuid.UUID,
    body: StatusChange,
    principal: Manager,
    if_match: IfMatch,
    session: Write,
) -> JSONResponse:
    view = await service.change_status(session, value_chain_id, body.to, principal, if_match)
    return versioned_json(view)


@router.get(
    "/{value_chain_id}/eligibility",
    operation_id="getValueChainEligibility",
    summary="The value chain's eligibility report",
    description="Computed from the current data on every request, item by item: at least "
    "3 independent legal entities in 3 different Member States or Associated Countries; "
    "at least 75 % of the planned budget to SMEs; more than one NACE section or ecosystem. "
    "Each item says what was counted, naming the actors.",
    response_model=EligibilityReport,
    responses={**NOT_FOUND},
)
async def get_value_chain_eligibility(
    value_chain_id: uuid.UUID, _: Reader, session: ReadOnly
) -> EligibilityReport:
    report = await service.eligibility(session, value_chain_id)
    if report is None:
        raise service.not_found(value_chain_id)
    return report
