"""HTTP for authority systems: a JSON batch and a CSV upload of the same items."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from synergia_shared.http.auth import Principal, Role, organisation_sender, require
from synergia_shared.http.input_limits import BodyKind, body_limit
from synergia_shared.http.item_batches import json_items
from synergia_shared.http.problems import (
    PROBLEM_RESPONSES,
    Problem,
    not_found,
)
from synergia_shared.http.transactions import ReadOnly, Write

from synergia_funding.authority import csv_items, intake, parked, senders
from synergia_funding.authority.parked_schemas import ListedStatus, ParkedItemPage
from synergia_funding.authority.schemas import (
    MAX_BATCH_ITEMS,
    AuthorityBatchIn,
    BatchResult,
    ItemResult,
)

router = APIRouter(tags=["authority-events"], responses=PROBLEM_RESPONSES)

_WRITERS = frozenset({Role.AUTHORITY, Role.ADMIN})
Writer = Annotated[Principal, Depends(require(*_WRITERS))]
# A value chain's managers also list what waits among the items they recorded for it.
Lister = Annotated[Principal, Depends(require(*_WRITERS, Role.CLUSTER_MANAGER))]

_RESULTS = (
    "Per-item results, in the batch's order: `applied`, `parked` (waits for the item it "
    "refers to, applied when that arrives) or `rejected` with an RFC 9457 problem for the "
    "item (422 invalid or against a rule, 403 outside the authority's region, 409 external "
    "id reused with other content). Valid items are recorded even when others are refused. "
    "Each item counts once per (authority, external id): a resent batch gets the same "
    "results, marked `replayed`."
)


SenderQuery = Query(
    min_length=1,
    max_length=300,
    description="Whose items (`authority:<NUTS>`, `value-chain:<id>`, an administrator's "
    "own…): "
    "administrators any sender, authorities their own, cluster managers a value chain "
    "they manage (required of them).",
)


def _own_sender(principal: Principal) -> str | None:
    """The sender a caller writes as; ``None`` for a cluster manager, who writes only as
    one of its value chains."""
    return authority_of(principal).system if principal.has_any(_WRITERS) else None


def authority_of(principal: Principal) -> intake.Authority:
    """An authority writes in its region; an administrator anywhere (operations); the
    sender is the organisation (:func:`synergia_shared.http.auth.organisation_sender`)."""
    system, region = organisation_sender(principal, doing="write")
    return intake.Authority(system=system, region=region)


def parse_batch(body: bytes) -> list[Any]:
    return json_items(body, MAX_BATCH_ITEMS)


@router.post(
    "/v1/authority-events:batch",
    operation_id="submitAuthorityEvents",
    summary="Push a batch of commitments, cost items and payments",
    description=_RESULTS,
    response_model=BatchResult,
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
async def submit_authority_events(
    request: Request, principal: Writer, session: Write
) -> BatchResult:
    items = parse_batch(await request.body())
    return await intake.submit(session, authority_of(principal), items)


@router.post(
    "/v1/authority-events:csv",
    operation_id="uploadAuthorityEvents",
    summary="Upload the same items as CSV",
    description="A `text/csv` body (UTF-8) whose header names the item fields (those of "
    "`AuthorityEventIn`; empty cells are absent values). The delimiter is `,`, `;`, tab "
    "or `|`, whichever splits the header into the most field names. Amounts are read as "
    "spreadsheets write them, with a decimal point or comma and unambiguous thousands "
    "separators (`1234.56`, `1234,56`, `1.234,56`, `1 234,56`, `1,234.56`); one "
    "separator before exactly three digits (`1,234`, `100.000`) is ambiguous and refused "
    "for the row. Dates are ISO (`2024-03-01`) or day first with dots (`1.3.2024`, "
    "`01.03.2024`); with `/` or `-` (`01/03/2024`) the order of day and month depends on "
    "the country, so such a date is refused for the row, as is a day the calendar does "
    "not have (`31.02.2024`). An item's `index` is its row number, the header being row 1, and a "
    "problem's `loc` is `body.row.<row>.<column>`; at most "
    f"{MAX_BATCH_ITEMS} rows. {_RESULTS}",
    response_model=BatchResult,
    openapi_extra={
        **body_limit(BodyKind.BATCH),
        "requestBody": {
            "required": True,
            # Bytes, as the file is sent: clients generate a file parameter for it.
            "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
        },
    },
)
async def upload_authority_events(
    request: Request, principal: Writer, session: Write
) -> BatchResult:
    rows = csv_items.parse(await request.body())
    return await intake.submit(
        session,
        authority_of(principal),
        rows,
        loc_root=("body", "row"),
        first_index=csv_items.FIRST_ROW,
        spreadsheet_cells=True,
    )


@router.get(
    "/v1/authority-events/{external_id}",
    operation_id="getAuthorityEvent",
    summary="What became of an item sent earlier",
    description="An item by its sender's external id: `applied` (with its entry id and "
    "flags), `parked` (with what it waits for) or `rejected` after parking (with the "
    "reason). The sender is the caller's own unless `sender` names another, with the "
    "listing's rule: an authority or API key its own items, a cluster manager those of a "
    "value chain it manages (`sender=value-chain:<id>`, required of it), an administrator "
    "any sender's. 404 if no item with that id was recorded or parked: an item refused on "
    "arrival is not kept, its answer was in the batch's response.",
    response_model=ItemResult,
    responses={404: {"model": Problem, "description": "Not recorded or parked"}},
)
async def get_authority_event(
    external_id: str,
    principal: Lister,
    session: ReadOnly,
    sender: Annotated[str | None, SenderQuery] = None,
) -> ItemResult:
    own = _own_sender(principal)
    of = await senders.item_sender(session, principal, own=own, requested=sender)
    result = await intake.status(session, of, external_id)
    if result is None:
        raise not_found(f"{of} has no recorded or parked item {external_id!r}")
    return result


@router.get(
    "/v1/authority-events",
    operation_id="listAuthorityEvents",
    summary="The caller's items still waiting for their prerequisite",
    description="Parked items (`status=parked`, required), oldest first, a page at a time: "
    "pass `next_cursor` back as `cursor`. Each says what it waits for, by the sender's "
    "own ids, and when it expires: an item whose prerequisite has not arrived by "
    "`expires_at` is rejected (`GET /v1/authority-events/{external_id}` then gives the "
    "reason; `authority-item.rejected` is announced). An authority or API key sees its "
    "own sender's items; a cluster manager those of a value chain it manages (one of "
    "the chain's lead clusters is the token's `actor_id`, as for recording the chain's "
    "ledger entries), named by `sender=value-chain:<id>`, which it must give; an "
    "administrator sees every sender's, or one with `sender`. Another sender's items "
    "are a 403.",
    response_model=ParkedItemPage,
)
async def list_authority_events(
    request: Request,
    principal: Lister,
    session: ReadOnly,
    status: Annotated[ListedStatus, Query(description="Only `parked` for now")],
    sender: Annotated[str | None, SenderQuery] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the page before")] = None,
) -> ParkedItemPage:
    own = _own_sender(principal)
    settings = request.app.state.settings
    visible = await senders.visible_to(session, principal, own=own, requested=sender)
    return await parked.list_parked(
        session,
        sender=visible,
        max_age=timedelta(days=settings.parked_expiry_days),
        limit=limit,
        cursor=cursor,
    )


def document_batch_schema(document: dict[str, Any]) -> dict[str, Any]:
    """Put ``AuthorityBatchIn`` and what it uses into the OpenAPI components: the batch's
    body is parsed by hand (so one bad item is refused alone, not the whole batch), and
    FastAPI documents only the models it parses. A finisher of the OpenAPI document
    (synergia_shared.http.openapi_document)."""
    schema = AuthorityBatchIn.model_json_schema(ref_template=REF_TEMPLATE)
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault("AuthorityBatchIn", schema)
    return document


REF_TEMPLATE = "#/components/schemas/{model}"
