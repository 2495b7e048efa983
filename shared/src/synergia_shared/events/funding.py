"""Events of the funding service's ledger, and the authority submissions it consumes.

Out on ``funding.ledger`` for other systems: one event per recorded entry (a commitment, a
cost item or a disbursement; a correction is recorded as a new entry of the corrected
kind, naming what it ``reverses`` or ``adjusts``), one per rule flag raised, and one per
item refused where no answer can say so (from Kafka, or after it had been parked).
Amounts are decimal strings in EUR.

In on ``funding.authority-inbound``: the same items a regional authority system can post
to ``POST /v1/authority-events:batch``, as a CloudEvent whose data names the authority.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from synergia_shared.events.base import EventData

__all__ = [
    "AuthorityEventsSubmittedV1",
    "AuthorityItemRejectedV1",
    "CommitmentRecordedV1",
    "CostItemRecordedV1",
    "DisbursementRecordedV1",
    "LedgerEntryV1",
    "RuleFlagV1",
    "RuleViolationFlaggedV1",
]


class RuleFlagV1(EventData):
    rule: str = Field(description="fstp_cap, double_funding, de_minimis, sme_share, …")
    severity: Literal["error", "flag"]
    message: str = Field(description="Plain words, naming the amounts, dates and ids")
    details: dict[str, Any] = Field(default_factory=dict)


class LedgerEntryV1(EventData):
    """One recorded ledger entry (append-only; corrections are new entries)."""

    entry_id: uuid.UUID
    beneficiary_id: uuid.UUID = Field(description="The registry actor receiving the money")
    project_id: uuid.UUID | None = Field(default=None, description="The value chain / project")
    source: str = Field(description="h2020, fstp, esif, efsi, national, regional, private")
    fund: str | None = Field(default=None, description="ESIF only: ERDF, ESF, CF, EAFRD, …")
    instrument_id: str | None = Field(default=None, description="CCI, grant agreement, …")
    amount: Decimal = Field(description="EUR; a signed delta for an adjustment")
    finance_type: str
    entry_date: date
    member_state: str
    region_nuts: str | None = None
    external_system: str = Field(description="The system that sent it")
    external_id: str = Field(description="Its id in that system")
    cost_item_ref: str | None = None
    commitment_ref: uuid.UUID | None = None
    is_de_minimis: bool = False
    aid_equivalent: Decimal | None = None
    private_timing: str | None = Field(default=None, description="upfront or follow_up")
    reverses: uuid.UUID | None = None
    adjusts: uuid.UUID | None = None
    flags: list[RuleFlagV1] = Field(
        default_factory=list, description="Rule flags raised when it was recorded"
    )


class CommitmentRecordedV1(LedgerEntryV1):
    """An amount awarded by a source to a beneficiary (or a correction of one)."""


class CostItemRecordedV1(LedgerEntryV1):
    """A cost claimed against a source (or a correction of one)."""


class DisbursementRecordedV1(LedgerEntryV1):
    """A payment (or a correction of one)."""


class RuleViolationFlaggedV1(EventData):
    """A rule of the field flagged on a recorded entry (accepted, but to be looked at)."""

    entry_id: uuid.UUID
    beneficiary_id: uuid.UUID
    project_id: uuid.UUID | None = None
    flag: RuleFlagV1


class AuthorityItemRejectedV1(EventData):
    """An item a sender pushed that is not recorded, where no answer can say so: refused
    on arrival from Kafka; or parked (its prerequisite had not arrived) and refused once
    the prerequisite arrived and it broke a rule, or once it had waited too long for it
    (rule ``prerequisite_expired``: sent again, it is decided afresh). Keyed by the
    sender."""

    external_system: str
    external_id: str
    entry_id: uuid.UUID
    reason: str
    violations: list[RuleFlagV1] = Field(default_factory=list)


class AuthorityEventsSubmittedV1(EventData):
    """Items from a regional authority system, as posted to the batch endpoint.

    ``authority`` names the machine client (its API-key name in the service's
    configuration), which gives the region it may write in. Items are validated one by one,
    so a bad item is refused on its own and does not poison the message.
    """

    authority: str = Field(min_length=1, max_length=200)
    items: list[dict[str, Any]] = Field(min_length=1)
