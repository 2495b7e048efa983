"""HTTP for value-chain team proposals."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from synergia_shared.http.auth import ALL_ROLES, Principal, Role, require
from synergia_shared.http.idempotency import IdempotencyKey, request_fingerprint
from synergia_shared.http.problems import PROBLEM_RESPONSES, Problem
from synergia_shared.http.transactions import OwnTransactions, ReadOnly, Write

from synergia_matching.proposals import service
from synergia_matching.proposals.schemas import (
    Decline,
    TeamProposal,
    TeamProposalPage,
    TeamProposals,
    TeamRequest,
)

router = APIRouter(tags=["team-proposals"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Principal, Depends(require(*ALL_ROLES))]
Lead = Annotated[Principal, Depends(require(Role.ADMIN, Role.CLUSTER_MANAGER))]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "Unknown proposal or value chain"}
}


@router.post(
    "/v1/value-chains/{value_chain_id}/team-proposals",
    operation_id="proposeTeams",
    summary="Propose optimal teams for a value chain",
    description="The best k distinct teams that cover every stage of the value chain with "
    "actors whose offers and competences fit it, under the consortium rules: at least 3 "
    "independent legal entities (linked enterprises count once) in at least 3 Member "
    "States or Associated Countries, more than one NACE section, the SME share (of the "
    "planned budget when every stage has one, else of the members), the maximum team size, "
    "must-include (by default the lead clusters) and exclude lists. Solved with OR-Tools "
    "CP-SAT within the time limit; each proposal says whether it is proven optimal or the "
    "best found in time, with its objective broken down. When no team is possible the "
    "outcome is `no_team` with the reasons. Proposals are stored; an admin or a manager of "
    "a lead cluster may ask.",
    response_model=TeamProposals,
    responses={
        **NOT_FOUND,
        409: {"model": Problem, "description": "Value chain closed or without stages"},
    },
)
async def propose_teams(
    request: Request,
    value_chain_id: uuid.UUID,
    principal: Lead,
    sessions: OwnTransactions,
    body: Annotated[TeamRequest, Body()] = TeamRequest(),
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    retry = None
    if idempotency_key is not None:
        fingerprint = request_fingerprint(request.method, request.url.path, await request.body())
        retry = service.Retry(idempotency_key, fingerprint)
    answer, replayed = await service.propose(sessions, value_chain_id, body, principal, retry)
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(answer.model_dump(mode="json"), headers=headers)


@router.get(
    "/v1/value-chains/{value_chain_id}/team-proposals",
    operation_id="listTeamProposals",
    summary="Stored team proposals of a value chain",
    description="Newest request first, each request's proposals by rank, with their "
    "decision. Cursor-paginated.",
    response_model=TeamProposalPage,
)
async def list_team_proposals(
    value_chain_id: uuid.UUID,
    _: Reader,
    session: ReadOnly,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> TeamProposalPage:
    return await service.list_for_chain(session, value_chain_id, limit=limit, cursor=cursor)


@router.get(
    "/v1/team-proposals/{proposal_id}",
    operation_id="getTeamProposal",
    summary="One stored team proposal",
    description="A proposed team with its members, stages, objective and decision.",
    response_model=TeamProposal,
    responses=NOT_FOUND,
)
async def get_team_proposal(proposal_id: uuid.UUID, _: Reader, session: ReadOnly) -> TeamProposal:
    return await service.get(session, proposal_id)


@router.post(
    "/v1/team-proposals/{proposal_id}/accept",
    operation_id="acceptTeamProposal",
    summary="Accept a team proposal",
    description="Publishes `eu.synergia.matching.proposal.accepted.v1`; the registry then adds "
    "the team's members to the value chain (a member covering several stages takes part "
    "on the first of them; members already taking part keep their role). Repeating the "
    "call answers the same; accepting a declined proposal is a 409.",
    response_model=TeamProposal,
    responses={**NOT_FOUND, 409: {"model": Problem, "description": "Already declined"}},
)
async def accept_team_proposal(
    proposal_id: uuid.UUID, principal: Lead, session: Write
) -> TeamProposal:
    return await service.decide(session, proposal_id, principal, accept=True)


@router.post(
    "/v1/team-proposals/{proposal_id}/decline",
    operation_id="declineTeamProposal",
    summary="Decline a team proposal",
    description="Publishes `eu.synergia.matching.proposal.declined.v1` with the reason. "
    "Repeating the call answers the same; declining an accepted proposal is a 409.",
    response_model=TeamProposal,
    responses={**NOT_FOUND, 409: {"model": Problem, "description": "Already accepted"}},
)
async def decline_team_proposal(
    proposal_id: uuid.UUID,
    principal: Lead,
    session: Write,
    body: Annotated[Decline, Body()] = Decline(),
) -> TeamProposal:
    return await service.decide(session, proposal_id, principal, accept=False, reason=body.reason)
