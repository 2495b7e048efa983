"""What a ledger rule finds: a breach (what it is about, how far past the limit) carrying
the violation a reader is shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

Severity = Literal["error", "flag"]


class Rule(StrEnum):
    DUPLICATE = "duplicate"
    PREREQUISITE = "prerequisite"
    CONSISTENCY = "consistency"
    FSTP_CAP = "fstp_cap"
    DOUBLE_FUNDING = "double_funding"
    DE_MINIMIS = "de_minimis"
    DISBURSED_ABOVE_COMMITTED = "disbursed_above_committed"
    SME_SHARE = "sme_share"


@dataclass(frozen=True)
class Violation:
    rule: Rule
    severity: Severity
    message: str  # plain words, naming the amounts, dates and ids
    details: dict[str, Any] = field(default_factory=dict)  # JSON-ready (str, list, dict)


@dataclass(frozen=True)
class Breach:
    """A limit a ledger passes: ``key`` names what it is about (the same key in the ledger
    before and after a new entry is the same breach), ``excess`` how far past it is."""

    key: tuple[object, ...]
    excess: Decimal
    violation: Violation
