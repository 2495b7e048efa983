"""Ledger entries: append-only records of commitments, cost items and disbursements.

An entry is never updated in place. A correction is a new entry that either

* **reverses** an earlier entry (``reverses=<entry_id>``): the earlier entry's effect is
  cancelled. Its ``amount`` repeats the reversed entry's amount, for the reader; the fold
  cancels whatever the reversed entry contributes. Reversing an *original* also voids the
  adjustments made to it; reversing an *adjustment* cancels that adjustment only.
  A reversal cannot be reversed (enter a new original instead).
* **adjusts** an earlier original (``adjusts=<entry_id>``) by a signed delta in ``amount``
  (and, for de minimis aid, in ``aid_equivalent``). Adjustments target originals only.

A correction always takes its effect on the corrected original: its kind, beneficiary,
project, source, fund, instrument, cost item, commitment, Member State and date count,
not the correction's own fields (the rules check that they repeat the original's). So an
upward adjustment of de minimis aid counts on the date of the original grant; new aid
granted later is a new commitment, not an adjustment.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from synergia_shared.reference.countries import ISO_TO_EU

CENT = Decimal("0.01")


class EntryKind(StrEnum):
    COMMITMENT = "commitment"  # an amount awarded by a source to a beneficiary for a project
    COST_ITEM = "cost_item"  # a cost claimed against a source
    DISBURSEMENT = "disbursement"  # a payment


class Source(StrEnum):
    H2020 = "h2020"
    FSTP = "fstp"
    ESIF = "esif"
    EFSI = "efsi"
    NATIONAL = "national"
    REGIONAL = "regional"
    PRIVATE = "private"


# The "EU programme" sources: Union money, for the double-funding rule and for leverage.
# DOMAIN.md names "two EU sources (ESIF, Horizon 2020, EFSI)". FSTP is included because it
# IS Horizon 2020 money: the grant's beneficiaries pass part of the Union contribution on to
# third parties (H2020 Rules for Participation, Reg. (EU) 1290/2013 Art. 23(7); Financial
# Regulation Art. 204). A cost item paid by FSTP and by ESIF is paid twice by the Union
# budget, which is exactly what CPR 1303/2013 Art. 65(11) forbids ("another Fund or Union
# instrument"); and leverage must not count Union money as money it mobilised.
EU_SOURCES: frozenset[Source] = frozenset({Source.H2020, Source.FSTP, Source.ESIF, Source.EFSI})
NON_EU_SOURCES: frozenset[Source] = frozenset(Source) - EU_SOURCES


class EsifFund(StrEnum):
    """The European Structural and Investment Funds 2014-2020 (and the YEI)."""

    ERDF = "ERDF"  # European Regional Development Fund
    ESF = "ESF"  # European Social Fund
    CF = "CF"  # Cohesion Fund
    EAFRD = "EAFRD"  # European Agricultural Fund for Rural Development
    EMFF = "EMFF"  # European Maritime and Fisheries Fund
    YEI = "YEI"  # Youth Employment Initiative (specific allocation)


class FinanceType(StrEnum):
    GRANT = "grant"
    REPAYABLE_GRANT = "repayable_grant"
    LOAN = "loan"
    GUARANTEE = "guarantee"
    EQUITY = "equity"
    IN_KIND = "in_kind"


class PrivateTiming(StrEnum):
    UPFRONT = "upfront"
    FOLLOW_UP = "follow_up"


# The registry's SME categories that are SMEs (its ``not_sme`` is not).
SME_CATEGORIES = frozenset({"micro", "small", "medium"})


class InvalidEntry(ValueError):
    """An entry that is malformed on its own (before looking at any other entry)."""


def normalise_member_state(code: str) -> str:
    """The EU form of a country code (EL for Greece, UK for the United Kingdom)."""
    raw = code.strip().upper()
    return ISO_TO_EU.get(raw, raw)


@dataclass(frozen=True)
class Entry:
    entry_id: uuid.UUID
    kind: EntryKind
    beneficiary_id: uuid.UUID
    project_id: uuid.UUID | None  # the value chain / project; None for money outside one
    source: Source
    fund: EsifFund | None  # ESIF only: which fund
    instrument_id: str | None  # CCI code, grant agreement number, FSTP call, EFSI window...
    amount: Decimal  # EUR, 2 places; > 0 for originals and reversals; signed for adjustments
    finance_type: FinanceType
    entry_date: date  # for aid: the date the legal right to it arises
    member_state: str  # EU form (EL, UK); GR and GB are accepted and normalised
    external_system: str  # the system that sent it (authority id, "cordis", ...)
    external_id: str  # its id in that system
    cost_item_ref: str | None = None  # which cost item (of the beneficiary) it funds / is
    commitment_ref: uuid.UUID | None = None  # a disbursement's commitment
    region_nuts: str | None = None
    is_de_minimis: bool = False  # a commitment granted as de minimis aid
    # The aid's gross grant equivalent when it differs from ``amount`` (loans, guarantees,
    # equity); None means the aid is ``amount``. Signed delta on an adjustment.
    aid_equivalent: Decimal | None = None
    private_timing: PrivateTiming | None = None  # private money only: upfront or follow-up
    reverses: uuid.UUID | None = None
    adjusts: uuid.UUID | None = None

    def __post_init__(self) -> None:
        problems = entry_problems(self)
        if problems:
            raise InvalidEntry(f"entry {self.entry_id}: " + "; ".join(problems))
        object.__setattr__(self, "member_state", normalise_member_state(self.member_state))

    @property
    def is_correction(self) -> bool:
        return self.reverses is not None or self.adjusts is not None

    @property
    def target(self) -> uuid.UUID | None:
        """The entry this correction corrects, or None for an original."""
        return self.reverses if self.reverses is not None else self.adjusts

    @property
    def external_ref(self) -> tuple[str, str]:
        return (self.external_system, self.external_id)

    @property
    def aid(self) -> Decimal:
        """What this entry counts for de minimis (before corrections of it)."""
        return self.amount if self.aid_equivalent is None else self.aid_equivalent


def _is_cents(value: Decimal) -> bool:
    return value.is_finite() and value == value.quantize(CENT)


def aid_equivalent_in_cents(entry: Entry) -> str | None:
    """An aid equivalent is an amount of euros too: at most 2 decimals."""
    if entry.aid_equivalent is not None and not _is_cents(entry.aid_equivalent):
        return f"aid equivalent {entry.aid_equivalent} must have at most 2 decimals"
    return None


def one_correction(entry: Entry) -> str | None:
    """A correction reverses or adjusts, not both."""
    if entry.reverses is not None and entry.adjusts is not None:
        return "a correction either reverses or adjusts an entry, not both"
    return None


def not_self_correcting(entry: Entry) -> str | None:
    """An entry never corrects itself."""
    if entry.target == entry.entry_id:
        return "an entry cannot correct itself"
    return None


def amount_sign(entry: Entry) -> str | None:
    """An adjustment changes something (a delta of 0 does not); a reversal repeats an
    amount, which is never 0; an original is positive and its aid equivalent not negative."""
    if entry.adjusts is not None:
        if entry.amount == 0 and not entry.aid_equivalent:
            return "an adjustment must change the amount (delta is 0)"
    elif entry.reverses is not None:
        # It repeats the reversed amount, which is negative for a downward adjustment.
        if entry.amount == 0:
            return "a reversal repeats the reversed amount, which is never 0"
    elif entry.amount <= 0:
        return f"amount €{entry.amount} must be positive (an original)"
    elif entry.aid_equivalent is not None and entry.aid_equivalent < 0:
        return f"aid equivalent €{entry.aid_equivalent} must not be negative"
    return None


def fund_for_esif(entry: Entry) -> str | None:
    """An ESIF entry names its fund, and only an ESIF entry does."""
    if (entry.source is Source.ESIF) == (entry.fund is not None):
        return None
    if entry.source is Source.ESIF:
        return "an ESIF entry names its fund (ERDF, ESF, CF, EAFRD, EMFF, YEI)"
    return f"only ESIF entries name a fund, not {entry.source.value}"


def timing_for_private(entry: Entry) -> str | None:
    """Private money is upfront or follow-up, and only private money has a timing."""
    if (entry.source is Source.PRIVATE) == (entry.private_timing is not None):
        return None
    if entry.source is Source.PRIVATE:
        return "private money is either upfront or follow-up"
    return f"only private money has an upfront/follow-up timing, not {entry.source.value}"


def commitment_ref_on_disbursement(entry: Entry) -> str | None:
    """Only a disbursement refers to a commitment (and need not: the per-bucket rule
    applies without it)."""
    if entry.kind is not EntryKind.DISBURSEMENT and entry.commitment_ref is not None:
        return "only a disbursement refers to a commitment"
    return None


def fstp_in_project(entry: Entry) -> str | None:
    """FSTP is passed on by a project (H2020 RfP Art. 23(7)): it names the project."""
    if entry.source is Source.FSTP and entry.project_id is None:
        return "FSTP support is passed on by a project: project_id is required"
    return None


def cost_item_named(entry: Entry) -> str | None:
    """A cost item names which cost item it is (the double-funding rule's key)."""
    if entry.kind is EntryKind.COST_ITEM and entry.cost_item_ref is None:
        return "a cost item needs its cost_item_ref"
    return None


def de_minimis_by_commitment(entry: Entry) -> str | None:
    """De minimis aid is granted, so by a commitment."""
    if entry.is_de_minimis and entry.kind is not EntryKind.COMMITMENT:
        return "de minimis aid is granted by a commitment"
    return None


def aid_equivalent_for_de_minimis(entry: Entry) -> str | None:
    """An aid equivalent is the gross grant equivalent of de minimis aid, nothing else."""
    if entry.aid_equivalent is not None and not entry.is_de_minimis:
        return "an aid equivalent only matters for de minimis aid"
    return None


def member_state_code(entry: Entry) -> str | None:
    """A Member State is a 2-letter code."""
    state = entry.member_state.strip()
    if len(state) != 2 or not state.isalpha():
        return f"member state {entry.member_state!r} must be a 2-letter code"
    return None


def external_ref_given(entry: Entry) -> str | None:
    """An entry names the system that sent it and its id there (replays are found so)."""
    if not entry.external_system or not entry.external_id:
        return "external_system and external_id are required"
    return None


# Each check says what is wrong with an entry on its own, or None; in the order the
# problems are listed.
ENTRY_CHECKS: tuple[Callable[[Entry], str | None], ...] = (
    aid_equivalent_in_cents,
    one_correction,
    not_self_correcting,
    amount_sign,
    fund_for_esif,
    timing_for_private,
    commitment_ref_on_disbursement,
    fstp_in_project,
    cost_item_named,
    de_minimis_by_commitment,
    aid_equivalent_for_de_minimis,
    member_state_code,
    external_ref_given,
)


def entry_problems(entry: Entry) -> list[str]:
    """What is wrong with an entry on its own, in plain words (empty when it is valid)."""
    if not isinstance(entry.amount, Decimal) or not _is_cents(entry.amount):
        return [f"amount {entry.amount} must be in euros with at most 2 decimals"]
    return [problem for check in ENTRY_CHECKS if (problem := check(entry)) is not None]
