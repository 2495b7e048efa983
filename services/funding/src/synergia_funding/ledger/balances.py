"""A pure fold from a set of ledger entries to balances and report totals.

The fold works on a *set*: the result does not depend on the order of the entries, and the
same entry given twice (same ``entry_id``, same content) counts once. Two different
entries under one id are a data error (:class:`ConflictingEntries`), in any order.

Corrections (see :mod:`.model`) take effect on the original they correct:

* an original counts its ``amount`` plus the deltas of its adjustments, or nothing at all
  once it is reversed (a reversed original voids its adjustments too);
* a reversed adjustment adds nothing;
* a correction whose target is not in the set yet is *unresolved* and adds nothing (the
  service parks it); a reversal of a reversal or an adjustment of a correction is
  *ignored* (the rules reject both).

Amounts are Decimal sums of 2-place values, so they are exact and order-free.

:func:`resolve` is the one definition of the fold. The net amounts the reports read
(table ``ledger_nets``) are its projection: the writer stores what it computes, and the
SQL that rebuilds them (``repository.REBUILD_NETS``) is checked against it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import TypeVar

from synergia_funding.ledger.entries import (
    EU_SOURCES,
    NON_EU_SOURCES,
    Entry,
    EntryKind,
    EsifFund,
    PrivateTiming,
    Source,
)

K = TypeVar("K")
ZERO = Decimal("0.00")

# The money that makes up a value-chain project's budget for the SME-share rule: the Horizon
# 2020 grant of the action, including what it passes on to third parties as FSTP
# (INNOSUP-01: "at least 75 % of the total budget goes to SMEs directly, as members or as
# third parties receiving support"). Money mobilised from ESIF, EFSI, national, regional
# and private sources is not the action's budget.
PROJECT_BUDGET_SOURCES: frozenset[Source] = frozenset({Source.H2020, Source.FSTP})


class ConflictingEntries(ValueError):
    """Two different entries carry the same entry_id."""


@dataclass(frozen=True)
class Effect:
    """What one original contributes after all its corrections in the set."""

    original: Entry
    amount: Decimal  # net: amount + adjustments, 0 once reversed
    aid: Decimal  # net de minimis aid (gross grant equivalent), 0 once reversed
    reversed: bool
    corrections: frozenset[uuid.UUID]  # the corrections that applied to it


@dataclass(frozen=True)
class Resolution:
    """The deduplicated entries and the net effect of every original."""

    entries: Mapping[uuid.UUID, Entry]
    effects: Mapping[uuid.UUID, Effect]  # by the original's entry_id
    unresolved: frozenset[uuid.UUID]  # corrections whose target has not arrived
    ignored: frozenset[uuid.UUID]  # corrections that may not apply to their target

    def original_of(self, entry_id: uuid.UUID) -> Entry | None:
        """The original an entry is or corrects (None when not in the set)."""
        entry = self.entries.get(entry_id)
        while entry is not None and entry.target is not None:
            entry = self.entries.get(entry.target)
        return entry


def resolve(entries: Iterable[Entry]) -> Resolution:
    by_id: dict[uuid.UUID, Entry] = {}
    for entry in entries:
        seen = by_id.setdefault(entry.entry_id, entry)
        if seen is not entry and seen != entry:
            raise ConflictingEntries(
                f"two different entries carry the id {entry.entry_id} "
                f"(from {seen.external_system}/{seen.external_id} and "
                f"{entry.external_system}/{entry.external_id})"
            )
    reversed_ids: set[uuid.UUID] = set()
    applied: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    adjustments: dict[uuid.UUID, list[Entry]] = defaultdict(list)
    unresolved: set[uuid.UUID] = set()
    ignored: set[uuid.UUID] = set()
    for entry in by_id.values():
        if entry.target is None:
            continue
        target = by_id.get(entry.target)
        if target is None:
            unresolved.add(entry.entry_id)
        elif entry.reverses is not None and target.reverses is None:
            reversed_ids.add(target.entry_id)
            applied[target.adjusts or target.entry_id].add(entry.entry_id)
        elif entry.adjusts is not None and not target.is_correction:
            adjustments[target.entry_id].append(entry)
        else:
            ignored.add(entry.entry_id)
    effects: dict[uuid.UUID, Effect] = {}
    no_corrections: frozenset[uuid.UUID] = frozenset()
    for entry in by_id.values():
        if entry.is_correction:
            continue
        entry_id = entry.entry_id
        # Most originals have no correction: the same sums, without building the sets.
        own = adjustments.get(entry_id, ())
        live = [a for a in own if a.entry_id not in reversed_ids]
        gone = entry_id in reversed_ids
        amount = ZERO if gone else entry.amount + sum((a.amount for a in live), ZERO)
        aid = ZERO
        if entry.is_de_minimis and not gone:
            aid = entry.aid + sum((a.aid for a in live), ZERO)
        corrections = applied.get(entry_id)
        effects[entry_id] = Effect(
            original=entry,
            amount=amount,
            aid=aid,
            reversed=gone,
            corrections=(
                frozenset((corrections or set()) | {a.entry_id for a in own})
                if corrections or own
                else no_corrections
            ),
        )
    return Resolution(
        entries=by_id,
        effects=effects,
        unresolved=frozenset(unresolved),
        ignored=frozenset(ignored),
    )


@dataclass(frozen=True)
class Balance:
    committed: Decimal = ZERO
    cost_claimed: Decimal = ZERO
    disbursed: Decimal = ZERO

    @property
    def open(self) -> Decimal:
        """Committed and not yet paid."""
        return self.committed - self.disbursed

    def add(self, kind: EntryKind, amount: Decimal) -> Balance:
        if kind is EntryKind.COMMITMENT:
            return Balance(self.committed + amount, self.cost_claimed, self.disbursed)
        if kind is EntryKind.COST_ITEM:
            return Balance(self.committed, self.cost_claimed + amount, self.disbursed)
        return Balance(self.committed, self.cost_claimed, self.disbursed + amount)

    def __add__(self, other: Balance) -> Balance:
        return Balance(
            self.committed + other.committed,
            self.cost_claimed + other.cost_claimed,
            self.disbursed + other.disbursed,
        )


@dataclass(frozen=True)
class BucketKey:
    """Beneficiary x project x source x instrument (with the fund and private timing that
    belong to the source, so ESIF splits by fund and private money by timing)."""

    beneficiary_id: uuid.UUID
    project_id: uuid.UUID | None
    source: Source
    fund: EsifFund | None
    instrument_id: str | None
    private_timing: PrivateTiming | None


def bucket_of(entry: Entry) -> BucketKey:
    return BucketKey(
        entry.beneficiary_id,
        entry.project_id,
        entry.source,
        entry.fund,
        entry.instrument_id,
        entry.private_timing,
    )


@dataclass(frozen=True)
class SourceLine:
    """A line of the co-funding reports: H2020, FSTP, ESIF by fund, EFSI, national,
    regional, private upfront / follow-up."""

    source: Source
    fund: EsifFund | None = None
    private_timing: PrivateTiming | None = None

    @property
    def label(self) -> str:
        detail = self.fund or self.private_timing
        return self.source.value if detail is None else f"{self.source.value}.{detail.value}"


def line_of(entry: Entry) -> SourceLine:
    return SourceLine(entry.source, entry.fund, entry.private_timing)


def group(
    resolution: Resolution,
    key: Callable[[Entry], K],
    where: Callable[[Entry], bool] | None = None,
) -> dict[K, Balance]:
    """Sum the net effects of the originals by ``key`` (of the original), keeping those
    ``where`` accepts. Originals that net to zero still show (with zero amounts)."""
    out: dict[K, Balance] = {}
    for effect in resolution.effects.values():
        entry = effect.original
        if where is not None and not where(entry):
            continue
        k = key(entry)
        out[k] = out.get(k, Balance()).add(entry.kind, effect.amount)
    return out


@dataclass(frozen=True)
class Balances:
    by_bucket: Mapping[BucketKey, Balance]
    # Per commitment id: its net amount, and what was disbursed against it. A disbursement
    # whose commitment has not arrived shows under that id with committed = 0.
    by_commitment: Mapping[uuid.UUID, Balance]
    unresolved_corrections: frozenset[uuid.UUID] = field(default_factory=frozenset)
    ignored_corrections: frozenset[uuid.UUID] = field(default_factory=frozenset)

    def total(self, where: Callable[[BucketKey], bool] | None = None) -> Balance:
        return sum((b for k, b in self.by_bucket.items() if where is None or where(k)), Balance())


def commitment_balances(resolution: Resolution) -> dict[uuid.UUID, Balance]:
    out: dict[uuid.UUID, Balance] = {}
    for effect in resolution.effects.values():
        entry = effect.original
        if entry.kind is EntryKind.COMMITMENT:
            ref = entry.entry_id
        elif entry.kind is EntryKind.DISBURSEMENT and entry.commitment_ref is not None:
            ref = entry.commitment_ref
        else:
            continue
        out[ref] = out.get(ref, Balance()).add(entry.kind, effect.amount)
    return out


def fold(entries: Iterable[Entry] | Resolution) -> Balances:
    """Balances per beneficiary x project x source x instrument, and per commitment."""
    resolution = entries if isinstance(entries, Resolution) else resolve(entries)
    return Balances(
        by_bucket=group(resolution, bucket_of),
        by_commitment=commitment_balances(resolution),
        unresolved_corrections=resolution.unresolved,
        ignored_corrections=resolution.ignored,
    )


@dataclass(frozen=True)
class CoFunding:
    """A value chain's (or region's) money by report line."""

    by_line: Mapping[SourceLine, Balance]

    @property
    def total(self) -> Balance:
        return sum(self.by_line.values(), Balance())

    def committed(self, sources: Collection[Source]) -> Decimal:
        return sum((b.committed for k, b in self.by_line.items() if k.source in sources), ZERO)


def value_chain_totals(entries: Iterable[Entry] | Resolution, project_id: uuid.UUID) -> CoFunding:
    """A value chain's totals by source: H2020, FSTP, ESIF by fund, EFSI, national,
    regional, private upfront / follow-up."""
    resolution = entries if isinstance(entries, Resolution) else resolve(entries)
    return CoFunding(group(resolution, line_of, lambda e: e.project_id == project_id))


def region_totals(entries: Iterable[Entry] | Resolution, nuts_prefix: str) -> CoFunding:
    """Totals by line of the money recorded in a NUTS region (a code and all below it)."""
    resolution = entries if isinstance(entries, Resolution) else resolve(entries)
    prefix = nuts_prefix.strip().upper()
    return CoFunding(
        group(
            resolution,
            line_of,
            lambda e: e.region_nuts is not None and e.region_nuts.upper().startswith(prefix),
        )
    )


@dataclass(frozen=True)
class SmeShare:
    sme_budget: Decimal
    total_budget: Decimal

    @property
    def percent(self) -> Decimal | None:
        """Rounded down to 0.01, so 74.999 % never reads as 75.00 %; None without budget."""
        if self.total_budget == 0:
            return None
        return (self.sme_budget * 100 / self.total_budget).quantize(
            Decimal("0.01"), rounding=ROUND_DOWN
        )

    def at_least(self, percent: Decimal) -> bool:
        """Exact comparison (no rounding): sme / total >= percent / 100."""
        return self.sme_budget * 100 >= percent * self.total_budget


def sme_share(
    entries: Iterable[Entry] | Resolution,
    project_id: uuid.UUID,
    smes: Collection[uuid.UUID],
    sources: Collection[Source] = PROJECT_BUDGET_SOURCES,
) -> SmeShare:
    """The share of a value chain's committed budget (``sources``, by default the H2020
    grant incl. FSTP) that goes to the beneficiaries in ``smes``."""
    resolution = entries if isinstance(entries, Resolution) else resolve(entries)
    by_beneficiary = group(
        resolution,
        lambda e: e.beneficiary_id,
        lambda e: e.project_id == project_id and e.source in sources,
    )
    total = sum((b.committed for b in by_beneficiary.values()), ZERO)
    sme = sum((b.committed for k, b in by_beneficiary.items() if k in smes), ZERO)
    return SmeShare(sme_budget=sme, total_budget=total)


@dataclass(frozen=True)
class Leverage:
    """Other money per euro of base money, on committed amounts.

    ``ratio = other / base`` (4 decimals, None when base is 0). By default ``base`` is the
    EU programme money (H2020, FSTP, ESIF, EFSI: every Union source) and ``other`` the money
    it mobilised (national, regional, private); a region's ESIF leverage uses
    ``base={ESIF}``, and an INNOSUP-style "what the H2020 action mobilised" view uses
    ``base={H2020, FSTP}, other=everything else``.
    """

    base: Decimal
    other: Decimal
    other_by_line: Mapping[SourceLine, Decimal]

    @property
    def ratio(self) -> Decimal | None:
        if self.base == 0:
            return None
        return (self.other / self.base).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)

    def private(self, timing: PrivateTiming) -> Decimal:
        return sum((v for k, v in self.other_by_line.items() if k.private_timing is timing), ZERO)


def leverage(
    cofunding: CoFunding,
    base: Collection[Source] = EU_SOURCES,
    other: Collection[Source] = NON_EU_SOURCES,
) -> Leverage:
    if set(base) & set(other):
        raise ValueError("a source cannot be both base and leveraged money")
    return Leverage(
        base=cofunding.committed(base),
        other=cofunding.committed(other),
        other_by_line={k: b.committed for k, b in cofunding.by_line.items() if k.source in other},
    )
