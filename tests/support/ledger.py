"""Ledger entries for tests: short builders with the defaults the rules tests assume."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from synergia_funding.ledger.entries import (
    Entry,
    EntryKind,
    EsifFund,
    FinanceType,
    PrivateTiming,
    Source,
)

C, K, D = EntryKind.COMMITMENT, EntryKind.COST_ITEM, EntryKind.DISBURSEMENT
PROJECT = 100


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def make_entry(
    n: int,
    kind: EntryKind = C,
    amount: str = "1000.00",
    *,
    beneficiary: int = 1,
    project: int | None = PROJECT,
    source: Source = Source.H2020,
    day: date = date(2024, 3, 1),
    state: str = "DE",
    **extra: Any,
) -> Entry:
    """Entry ``n`` (its id is ``uid(n)``); ESIF gets a fund, private money a timing and a
    cost item its reference unless given."""
    if source is Source.ESIF:
        extra.setdefault("fund", EsifFund.ERDF)
    if source is Source.PRIVATE:
        extra.setdefault("private_timing", PrivateTiming.UPFRONT)
    if kind is K:
        extra.setdefault("cost_item_ref", f"item-{n}")
    return Entry(
        entry_id=uid(n),
        kind=kind,
        beneficiary_id=uid(beneficiary),
        project_id=None if project is None else uid(project),
        source=source,
        fund=extra.pop("fund", None),
        instrument_id=extra.pop("instrument_id", None),
        amount=Decimal(amount),
        finance_type=extra.pop("finance_type", FinanceType.GRANT),
        entry_date=day,
        member_state=state,
        external_system="test",
        external_id=str(n),
        **extra,
    )


def make_correction(n: int, of: Entry, amount: str, **extra: Any) -> Entry:
    """Entry ``n`` repeating ``of`` (as a correction must), with its own amount."""
    return Entry(
        **{
            **{f: getattr(of, f) for f in of.__dataclass_fields__},
            "entry_id": uid(n),
            "amount": Decimal(amount),
            "external_id": str(n),
            "reverses": None,
            "adjusts": None,
            **extra,
        }
    )
