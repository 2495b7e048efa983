"""What the listing of parked items answers (``GET /v1/authority-events?status=parked``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from synergia_funding.ledger.entries import EntryKind

# Only parked items are listed: an applied item is in the ledger and its reports, and one
# refused on arrival is not kept. Other values may come later without breaking clients.
ListedStatus = Literal["parked"]

_ITEM_EXAMPLE: dict[str, Any] = {
    "external_id": "ITH3-PAY-000311",
    "sender": "authority:ITH3",
    "entry_id": "0b7c1e55-2f7a-5d0e-9a43-6a0b1f1c2d3e",
    "kind": "disbursement",
    "status": "parked",
    "waiting_for": ["ITH3-2024-000017"],
    "parked_at": "2026-01-12T09:30:00Z",
    "expires_at": "2026-02-11T09:30:00Z",
}


class ParkedItem(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ITEM_EXAMPLE]})

    external_id: str = Field(description="The item's id in the sender's system")
    sender: str = Field(
        description="The organisation that sent it: `authority:<NUTS>` (its officials and "
        "API keys alike), `value-chain:<id>`, or an administrator"
    )
    entry_id: uuid.UUID = Field(description="The ledger entry it becomes once applied")
    kind: EntryKind
    status: ListedStatus = "parked"
    waiting_for: list[str] = Field(
        description="The sender's external ids of the items it waits for (an entry id "
        "where the sender's id is not known)"
    )
    parked_at: datetime = Field(description="Waiting since")
    expires_at: datetime = Field(
        description="If what it waits for has not arrived by then, the item is rejected "
        "(its status says why, and `authority-item.rejected` is announced)"
    )


class ParkedItemPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_ITEM_EXAMPLE],
                    "next_cursor": "WyIyMDI2LTAxLTEyVDA5OjMwOjAwKzAwOjAwIiwgIjBiN2MxZTU1LTJmN2Et"
                    "NWQwZS05YTQzLTZhMGIxZjFjMmQzZSJd",
                }
            ]
        }
    )

    items: list[ParkedItem]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
