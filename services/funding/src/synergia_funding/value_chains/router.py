"""HTTP for a value chain's own ledger: its cluster managers record and list its money."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from synergia_shared.http.auth import ALL_ROLES, Principal, Role, require
from synergia_shared.http.input_limits import BodyKind, body_limit
from synergia_shared.http.pagination import bad_cursor, encode_cursor, parse_cursor
from synergia_shared.http.problems import PROBLEM_RESPONSES, Problem
from synergia_shared.http.transactions import ReadOnly, Write

from synergia_funding.authority import intake
from synergia_funding.authority.router import parse_batch
from synergia_funding.authority.schemas import BatchResult
from synergia_funding.ledger import repository as ledger_repository
from synergia_funding.value_chains import service
from synergia_funding.value_chains.schemas import LedgerEntryOut, LedgerPage

router = APIRouter(prefix="/v1/value-chains", tags=["value-chains"], responses=PROBLEM_RESPONSES)

Manager = Annotated[Principal, Depends(require(Role.CLUSTER_MANAGER, Role.ADMIN))]
Reader = Annotated[Principal, Depends(require(*ALL_ROLES))]


@router.post(
    "/{value_chain_id}/ledger-entries:batch",
    operation_id="recordValueChainEntries",
    summary="Record the co-funding of a value chain",
    description="The items of `POST /v1/authority-events:batch` (Horizon 2020 grants, FSTP "
    "passed on, EFSI and private money) for one value chain, by a manager of one of its "
    "lead clusters (the token's `actor_id`) or an administrator. ESIF, national and "
    "regional money is the authorities' to push: such an item is refused (403). The sender "
    "is the chain: its managers share one namespace of external ids. Items without `project_id` "
    "are the chain's; another project is refused for the item (403). Same per-item "
    "results, rules and exactly-once per (sender, external id).",
    response_model=BatchResult,
    responses={404: {"model": Problem, "description": "Value chain not known here (yet)"}},
    openapi_extra={
        **body_limit(BodyKind.BATCH),
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/AuthorityBatchIn"}}
            },
        },
    },
)
async def record_value_chain_entries(
    request: Request, value_chain_id: uuid.UUID, principal: Manager, session: Write
) -> BatchResult:
    items = parse_batch(await request.body())
    writer = await service.writer(session, value_chain_id, principal)
    return await intake.submit(session, writer, items)


@router.get(
    "/{value_chain_id}/ledger-entries",
    operation_id="listValueChainEntries",
    summary="The ledger entries of a value chain, oldest first",
    description="Every recorded entry naming the value chain, corrections included, in "
    "the order they were recorded, with the rule flags each raised. Keyset-paginated.",
    response_model=LedgerPage,
)
async def list_value_chain_entries(
    value_chain_id: uuid.UUID,
    _: Reader,
    session: ReadOnly,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[
        str | None, Query(description="`next_cursor` of the previous page; omit for the first.")
    ] = None,
) -> LedgerPage:
    after = 0
    if cursor is not None:
        (after,) = parse_cursor(cursor, int)
        if after < 0:
            raise bad_cursor()
    rows = await ledger_repository.project_entries(session, value_chain_id, after, limit + 1)
    page = rows[:limit]
    return LedgerPage(
        items=[LedgerEntryOut.model_validate(dict(r._mapping)) for r in page],
        next_cursor=encode_cursor([page[-1].seq]) if len(rows) > limit else None,
    )
