"""HTTP for registering beneficiaries: a JSON batch and a CSV upload of the same items."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from synergia_shared.http.auth import Principal, Role, organisation_sender, require
from synergia_shared.http.input_limits import BodyKind, body_limit
from synergia_shared.http.item_batches import json_items
from synergia_shared.http.problems import PROBLEM_RESPONSES, Problem
from synergia_shared.http.transactions import Write

from synergia_registry.beneficiaries import csv_rows, service
from synergia_registry.beneficiaries.rules import Sender
from synergia_registry.beneficiaries.schemas import (
    MAX_BATCH_ITEMS,
    BatchRegistrationResult,
    BeneficiaryBatchIn,
)

router = APIRouter(tags=["actors"], responses=PROBLEM_RESPONSES)

Registrar = Annotated[Principal, Depends(require(Role.AUTHORITY, Role.ADMIN))]
RACED: dict[int | str, dict[str, Any]] = {
    409: {
        "model": Problem,
        "description": "Another request registered some of the same organisations or external "
        "ids at the same moment, twice over: nothing was registered; send the batch again",
    }
}

_RULES = (
    "Each item is matched before anything is created: first by the sender's `external_id` "
    "(sent before: the same actor, `replayed`), then by PIC, VAT number and national "
    "business identifier (a VAT number and the identifier it is made of, `BG` + EIK, "
    "`RO` + CUI…, count as one). A match answers `matched` with the actor's id and "
    "`matched_by`, and changes nothing on the actor. Identifiers naming two different "
    "actors are refused (409). Without a match, an active actor of the same country whose "
    "legal name has the same key (case, accents, Cyrillic/Greek script and legal forms "
    "such as Ltd, GmbH, S.R.L., ЕООД, d.o.o. set aside) makes the item a "
    "`possible_duplicate` listing the `candidates`, unless the item says "
    "`allow_similar_name: true`. Otherwise the actor is registered (`registered`) and "
    "`eu.synergia.registry.actor.registered.v1` is published. A regional authority "
    "(token or API key, the sender `authority:<NUTS>` for both) registers only "
    "organisations whose `nuts_code` lies in its region (403 for the item otherwise); an "
    "administrator anywhere. Valid items are kept when others are refused, each with an "
    "RFC 9457 problem naming the item and field. Sending the same batch again creates "
    "nothing: every item answers `matched` by its `external_id`."
)


def sender_of(principal: Principal) -> Sender:
    """A regional authority registers as itself, its officials and its API keys alike,
    so its external ids are one namespace; an administrator as itself, anywhere."""
    return Sender(*organisation_sender(principal, doing="register"))


def parse_batch(body: bytes) -> list[Any]:
    return json_items(body, MAX_BATCH_ITEMS)


@router.post(
    "/v1/actors:batch-register",
    operation_id="registerBeneficiaries",
    summary="Register or match a batch of beneficiaries",
    description=f"Up to {MAX_BATCH_ITEMS} items; results in the batch's order, `index` "
    f"being the item's position. {_RULES}",
    response_model=BatchRegistrationResult,
    responses=RACED,
    openapi_extra={
        **body_limit(BodyKind.BATCH),
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/BeneficiaryBatchIn"}}
            },
        },
    },
)
async def register_beneficiaries(
    request: Request, principal: Registrar, session: Write
) -> BatchRegistrationResult:
    items = parse_batch(await request.body())
    return await service.register_beneficiaries(session, sender_of(principal), items)


@router.post(
    "/v1/actors:batch-register-csv",
    operation_id="uploadBeneficiaries",
    summary="Register or match beneficiaries from a CSV file",
    description="A `text/csv` body (UTF-8) whose header names the item fields (those of "
    "`BeneficiaryIn`; empty cells are absent values; `allow_similar_name` is `true` or "
    "`false`). The delimiter is `,`, `;`, tab or `|`, whichever splits the header into the "
    "most field names. An item's `index` is its row number, the header being row 1, and a "
    f"problem's `loc` is `body.row.<row>.<column>`; at most {MAX_BATCH_ITEMS} rows. " + _RULES,
    response_model=BatchRegistrationResult,
    responses=RACED,
    openapi_extra={
        **body_limit(BodyKind.BATCH),
        "requestBody": {
            "required": True,
            # Bytes, as the file is sent: clients generate a file parameter for it.
            "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
        },
    },
)
async def upload_beneficiaries(
    request: Request, principal: Registrar, session: Write
) -> BatchRegistrationResult:
    rows = csv_rows.parse(await request.body())
    return await service.register_beneficiaries(
        session,
        sender_of(principal),
        rows,
        loc_root=("body", "row"),
        first_index=csv_rows.FIRST_ROW,
    )


def document_batch_schema(document: dict[str, Any]) -> dict[str, Any]:
    """Put ``BeneficiaryBatchIn`` and what it uses into the OpenAPI components: the
    batch's body is parsed by hand (so one bad item is refused alone, not the whole
    batch), and FastAPI documents only the models it parses. A finisher of the OpenAPI document
    (synergia_shared.http.openapi_document)."""
    schema = BeneficiaryBatchIn.model_json_schema(ref_template="#/components/schemas/{model}")
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault("BeneficiaryBatchIn", schema)
    return document
