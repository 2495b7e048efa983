from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field


class LedgerEntryOut(BaseModel):
    """One recorded ledger entry, as stored (append-only)."""

    entry_id: uuid.UUID
    seq: int = Field(description="Recording order")
    kind: str
    beneficiary_id: uuid.UUID
    project_id: uuid.UUID | None
    source: str
    fund: str | None
    instrument_id: str | None
    amount: Decimal
    finance_type: str
    entry_date: date
    member_state: str
    region_nuts: str | None
    external_system: str
    external_id: str
    cost_item_ref: str | None
    commitment_ref: uuid.UUID | None
    is_de_minimis: bool
    aid_equivalent: Decimal | None
    private_timing: str | None
    reverses: uuid.UUID | None
    adjusts: uuid.UUID | None
    flags: list[dict[str, Any]]
    recorded_at: datetime


class LedgerPage(BaseModel):
    items: list[LedgerEntryOut]
    next_cursor: str | None = Field(
        default=None, description="Send it as `cursor` for the next page; null on the last"
    )
