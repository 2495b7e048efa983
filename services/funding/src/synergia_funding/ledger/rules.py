"""The ledger's domain rules: pure checks over entries, no I/O.

Every rule works on a :class:`~.balances.Resolution` (the net effect of every original
after corrections) and finds *breaches*, each with a key (what it is about) and an excess
(how far past the limit). :func:`check_ledger` lists the breaches of a whole ledger (the
reports' "open rule flags"); :func:`check_new_entry` decides for one new entry by
comparing the ledger without it and with it: a breach the new entry creates or makes worse
is the entry's violation. So a reversal or a downward adjustment that reduces a breach is
never refused, and an old breach is not blamed on an unrelated new entry.

Error (refuse the entry) or flag (accept it and flag it), decided here:

==========================  ========  ======================================================
rule                        severity  why
==========================  ========  ======================================================
duplicate                   error     the id or the external reference is already taken by
                                      a different entry (an identical replay is a no-op)
prerequisite                error     the corrected entry / the commitment has not arrived:
                                      the service parks the entry (``missing_prerequisites``)
consistency                 error     a correction that does not match what it corrects,
                                      reverses twice, or drives an amount below zero; a
                                      disbursement that does not match its commitment
fstp_cap                    error     a legal cap of the grant (RfP Art. 23(7))
double_funding              error     ineligible expenditure (CPR Art. 65(11))
de_minimis                  error     aid above the ceiling may not be granted at all (Reg.
                                      2023/2831 Art. 3(2); 1407/2013 Art. 3(7))
disbursed_above_committed   error     a payment with no legal basis
sme_share                   flag      a property of the whole plan, met over time: a single
                                      commitment to a large company must be recordable
==========================  ========  ======================================================
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from .balances import (
    PROJECT_BUDGET_SOURCES,
    ZERO,
    Effect,
    Resolution,
    resolve,
    sme_share,
)
from .limits import (
    DE_MINIMIS_1407_2013_CEILING,
    DE_MINIMIS_1407_2013_FISCAL_YEARS,
    DE_MINIMIS_2023_2831_CEILING,
    DE_MINIMIS_2023_2831_FROM,
    DE_MINIMIS_2023_2831_WINDOW_YEARS,
    FSTP_CAP_PER_THIRD_PARTY,
    MIN_SME_BUDGET_PERCENT,
)
from .model import EU_SOURCES, Entry, EntryKind, Source, normalise_member_state

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
class FstpCaps:
    """A project's FSTP caps: per third party (default €60,000), and optionally a cap on
    the FSTP it passes on in total ("some with a per-project limit too")."""

    per_third_party: Decimal = FSTP_CAP_PER_THIRD_PARTY
    per_project: Decimal | None = None


@dataclass(frozen=True)
class FiscalYearStart:
    """The first day of a fiscal year (month, day); the default is the calendar year."""

    month: int = 1
    day: int = 1

    def __post_init__(self) -> None:
        date(2023, self.month, self.day)  # raises on an impossible day; 29 Feb is refused

    def year_of(self, day: date) -> int:
        """The fiscal year a day falls in, named by the calendar year it starts in."""
        return day.year if (day.month, day.day) >= (self.month, self.day) else day.year - 1

    def start(self, year: int) -> date:
        return date(year, self.month, self.day)


CALENDAR_YEAR = FiscalYearStart()


@dataclass(frozen=True)
class RuleContext:
    # Single undertaking: actor -> undertaking id (linked enterprises share one id, taken
    # from the registry's ownership data). An actor not in the mapping is its own
    # undertaking (its id is the undertaking id).
    undertaking_of: Mapping[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    # FSTP caps by project id; a project not listed has the default caps.
    fstp_caps: Mapping[uuid.UUID, FstpCaps] = field(default_factory=dict)
    # Fiscal years for the 1407/2013 regime by Member State (EU form); calendar year if
    # not given.
    fiscal_year_starts: Mapping[str, FiscalYearStart] = field(default_factory=dict)
    # The SME beneficiaries (computed SME status from the registry); None skips the
    # SME-share rule.
    smes: frozenset[uuid.UUID] | None = None
    sme_budget_sources: frozenset[Source] = PROJECT_BUDGET_SOURCES

    def undertaking(self, actor_id: uuid.UUID) -> uuid.UUID:
        return self.undertaking_of.get(actor_id, actor_id)

    def fiscal_year(self, member_state: str) -> FiscalYearStart:
        return self.fiscal_year_starts.get(normalise_member_state(member_state), CALENDAR_YEAR)


def undertaking_ids(groups: Iterable[frozenset[uuid.UUID]]) -> dict[uuid.UUID, uuid.UUID]:
    """Each member of a single undertaking -> one id for the undertaking (its smallest
    member's, so the same group always gets the same id): ``RuleContext.undertaking_of``."""
    out: dict[uuid.UUID, uuid.UUID] = {}
    for group in groups:
        head = min(group)
        for member in group:
            out[member] = min(head, out.get(member, head))
    return out


def euros(amount: Decimal) -> str:
    return f"€{amount:,.2f}"


@dataclass(frozen=True)
class _Breach:
    key: tuple[object, ...]
    excess: Decimal
    violation: Violation


# --- FSTP cap ---------------------------------------------------------------------------

_FSTP_SOURCE = "H2020 Rules for Participation (Reg. 1290/2013) Art. 23(7)"


def _fstp(res: Resolution, ctx: RuleContext, focus: Entry | None) -> list[_Breach]:
    """FSTP commitments per third party per project, and per project in total."""
    if focus is not None and (focus.source is not Source.FSTP or focus.project_id is None):
        return []
    per_party: dict[tuple[uuid.UUID, uuid.UUID], list[Effect]] = defaultdict(list)
    for effect in res.effects.values():
        e = effect.original
        if (
            e.source is Source.FSTP
            and e.kind is EntryKind.COMMITMENT
            and e.project_id
            and (focus is None or e.project_id == focus.project_id)
        ):
            per_party[(e.project_id, e.beneficiary_id)].append(effect)
    out: list[_Breach] = []
    per_project: dict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
    for (project, party), effects in per_party.items():
        total = sum((x.amount for x in effects), ZERO)
        per_project[project] += total
        cap = ctx.fstp_caps.get(project, FstpCaps()).per_third_party
        if total > cap and (focus is None or focus.beneficiary_id == party):
            ids = sorted(str(x.original.entry_id) for x in effects if x.amount)
            out.append(
                _Breach(
                    ("fstp_party", project, party),
                    total - cap,
                    Violation(
                        Rule.FSTP_CAP,
                        "error",
                        f"FSTP support committed to third party {party} in project {project} "
                        f"adds up to {euros(total)}, {euros(total - cap)} above the cap of "
                        f"{euros(cap)} per third party ({_FSTP_SOURCE}).",
                        {
                            "project_id": str(project),
                            "beneficiary_id": str(party),
                            "committed": str(total),
                            "cap": str(cap),
                            "excess": str(total - cap),
                            "entry_ids": ids,
                        },
                    ),
                )
            )
    for project, total in per_project.items():
        project_cap = ctx.fstp_caps.get(project, FstpCaps()).per_project
        if project_cap is not None and total > project_cap:
            out.append(
                _Breach(
                    ("fstp_project", project),
                    total - project_cap,
                    Violation(
                        Rule.FSTP_CAP,
                        "error",
                        f"FSTP support committed by project {project} adds up to "
                        f"{euros(total)}, {euros(total - project_cap)} above the project's "
                        f"FSTP limit of {euros(project_cap)}.",
                        {
                            "project_id": str(project),
                            "committed": str(total),
                            "cap": str(project_cap),
                            "excess": str(total - project_cap),
                        },
                    ),
                )
            )
    return out


# --- No double funding -------------------------------------------------------------------

_DOUBLE_SOURCE = "Common Provisions Regulation 1303/2013 Art. 65(11)"


def _stream(entry: Entry) -> tuple[str, str, str]:
    """An EU funding stream: source, fund and instrument (programme / grant). Two streams
    differ when any of the three differs: Art. 65(11) also forbids "support from the same
    Fund under a different programme"."""
    return (entry.source.value, entry.fund.value if entry.fund else "", entry.instrument_id or "")


def _stream_label(stream: tuple[str, str, str]) -> str:
    source, fund, instrument = stream
    label = source.upper() + (f" {fund}" if fund else "")
    return label + (f" ({instrument})" if instrument else "")


def _double(res: Resolution, ctx: RuleContext, focus: Entry | None) -> list[_Breach]:
    """A cost item of a beneficiary (``cost_item_ref``) funded, claimed or paid by two EU
    streams with a positive net amount each."""
    if focus is not None and (focus.cost_item_ref is None or focus.source not in EU_SOURCES):
        return []
    items: dict[tuple[uuid.UUID, str], dict[tuple[str, str, str], list[Effect]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for effect in res.effects.values():
        e = effect.original
        if e.cost_item_ref is None or e.source not in EU_SOURCES:
            continue
        if focus is not None and (e.beneficiary_id, e.cost_item_ref) != (
            focus.beneficiary_id,
            focus.cost_item_ref,
        ):
            continue
        items[(e.beneficiary_id, e.cost_item_ref)][_stream(e)].append(effect)
    out: list[_Breach] = []
    for (beneficiary, item), streams in items.items():
        amounts = {s: sum((x.amount for x in xs), ZERO) for s, xs in streams.items()}
        live = {s: a for s, a in amounts.items() if a > 0}
        if len(live) < 2:
            continue
        if focus is not None and _stream(focus) not in live:
            continue
        ordered = sorted(live)
        parts = ", ".join(f"{_stream_label(s)} {euros(live[s])}" for s in ordered)
        out.append(
            _Breach(
                ("double", beneficiary, item),
                sum(live.values(), ZERO),
                Violation(
                    Rule.DOUBLE_FUNDING,
                    "error",
                    f"Cost item {item!r} of beneficiary {beneficiary} is funded by "
                    f"{len(live)} EU sources ({parts}); one cost item may be funded by one EU "
                    f"source only ({_DOUBLE_SOURCE}).",
                    {
                        "beneficiary_id": str(beneficiary),
                        "cost_item_ref": item,
                        "streams": [
                            {
                                "source": s[0],
                                "fund": s[1] or None,
                                "instrument_id": s[2] or None,
                                "amount": str(live[s]),
                                "entry_ids": sorted(
                                    str(x.original.entry_id) for x in streams[s] if x.amount
                                ),
                            }
                            for s in ordered
                        ],
                    },
                ),
            )
        )
    return out


# --- De minimis ---------------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 1 March in a common year (the
    later choice: the aid counts one day longer, never one day too short)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def de_minimis_regime(on: date) -> tuple[str, Decimal]:
    """The regulation in force for aid granted on ``on``, and its ceiling."""
    if on >= DE_MINIMIS_2023_2831_FROM:
        return "Regulation (EU) 2023/2831", DE_MINIMIS_2023_2831_CEILING
    return "Regulation (EU) No 1407/2013", DE_MINIMIS_1407_2013_CEILING


def counts_on(granted: date, on: date, fiscal: FiscalYearStart = CALENDAR_YEAR) -> bool:
    """Whether aid granted on ``granted`` counts toward the ceiling for aid granted on ``on``.

    From 2024-01-01 (2023/2831): the three years ending on ``on``, i.e. granted in
    (on - 3 years, on]. Before (1407/2013): granted in the fiscal year of ``on`` or the two
    before it, and not after ``on``. The regime is the one in force on ``on``, and the
    window takes every de minimis aid in it, whichever regulation it was granted under.
    """
    if granted > on:
        return False
    if on >= DE_MINIMIS_2023_2831_FROM:
        return on < add_years(granted, DE_MINIMIS_2023_2831_WINDOW_YEARS)
    return fiscal.year_of(granted) > fiscal.year_of(on) - DE_MINIMIS_1407_2013_FISCAL_YEARS


def drops_out_on(granted: date, fiscal: FiscalYearStart = CALENDAR_YEAR) -> date:
    """The first day from which aid granted on ``granted`` no longer counts, for good.

    Under 2023/2831 that is ``granted`` + 3 years. An aid that leaves the window before
    2024-01-01 leaves at the start of its fiscal year + 3, or at the latest on 2024-01-01
    when the rolling window takes over (if it is already older than three years then).
    """
    rolling = add_years(granted, DE_MINIMIS_2023_2831_WINDOW_YEARS)
    if rolling > DE_MINIMIS_2023_2831_FROM:
        return rolling
    fiscal_end = fiscal.start(fiscal.year_of(granted) + DE_MINIMIS_1407_2013_FISCAL_YEARS)
    return min(fiscal_end, DE_MINIMIS_2023_2831_FROM)


def _window_words(on: date, fiscal: FiscalYearStart) -> str:
    if on >= DE_MINIMIS_2023_2831_FROM:
        start = add_years(on, -DE_MINIMIS_2023_2831_WINDOW_YEARS)
        return f"the three years after {start.isoformat()} up to {on.isoformat()}"
    year = fiscal.year_of(on)
    first = year - DE_MINIMIS_1407_2013_FISCAL_YEARS + 1
    return f"the fiscal years {first} to {year} (up to {on.isoformat()})"


@dataclass(frozen=True)
class Aid:
    entry_id: uuid.UUID
    beneficiary_id: uuid.UUID
    granted: date
    amount: Decimal


def _aids(
    res: Resolution, ctx: RuleContext, undertaking: uuid.UUID, member_state: str
) -> list[Aid]:
    state = normalise_member_state(member_state)
    return [
        Aid(e.entry_id, e.beneficiary_id, e.entry_date, x.aid)
        for x in res.effects.values()
        if (e := x.original).is_de_minimis
        and e.kind is EntryKind.COMMITMENT
        and x.aid != 0
        and e.member_state == state
        and ctx.undertaking(e.beneficiary_id) == undertaking
    ]


def _used(aids: Iterable[Aid], on: date, fiscal: FiscalYearStart) -> list[Aid]:
    return [a for a in aids if counts_on(a.granted, on, fiscal)]


def _de_minimis(res: Resolution, ctx: RuleContext, focus: Entry | None) -> list[_Breach]:
    if focus is not None:
        if not (focus.is_de_minimis and focus.kind is EntryKind.COMMITMENT):
            return []
        groups = {(ctx.undertaking(focus.beneficiary_id), focus.member_state)}
    else:
        groups = {
            (ctx.undertaking(x.original.beneficiary_id), x.original.member_state)
            for x in res.effects.values()
            if x.original.is_de_minimis
        }
    out: list[_Breach] = []
    for undertaking, state in groups:
        fiscal = ctx.fiscal_year(state)
        aids = _aids(res, ctx, undertaking, state)
        days = {a.granted for a in aids}
        if focus is not None:
            # The new aid's own date, and every later grant whose window it falls in.
            days = {d for d in days | {focus.entry_date} if counts_on(focus.entry_date, d, fiscal)}
        for on in sorted(days):
            regulation, ceiling = de_minimis_regime(on)
            counted = _used(aids, on, fiscal)
            used = sum((a.amount for a in counted), ZERO)
            if used <= ceiling:
                continue
            out.append(
                _Breach(
                    ("de_minimis", undertaking, state, on),
                    used - ceiling,
                    Violation(
                        Rule.DE_MINIMIS,
                        "error",
                        f"De minimis aid to single undertaking {undertaking} in {state} adds "
                        f"up to {euros(used)} over {_window_words(on, fiscal)}, "
                        f"{euros(used - ceiling)} above the ceiling of {euros(ceiling)} "
                        f"({regulation}).",
                        {
                            "undertaking_id": str(undertaking),
                            "member_state": state,
                            "on": on.isoformat(),
                            "regulation": regulation,
                            "ceiling": str(ceiling),
                            "used": str(used),
                            "excess": str(used - ceiling),
                            "aids": [
                                {
                                    "entry_id": str(a.entry_id),
                                    "beneficiary_id": str(a.beneficiary_id),
                                    "granted": a.granted.isoformat(),
                                    "amount": str(a.amount),
                                }
                                for a in sorted(counted, key=lambda a: (a.granted, a.entry_id))
                            ],
                        },
                    ),
                )
            )
    return out


@dataclass(frozen=True)
class Headroom:
    undertaking_id: uuid.UUID
    member_state: str
    on: date
    regulation: str
    ceiling: Decimal
    used: Decimal  # the aid counting on ``on``
    # What may still be granted on ``on``: the ceiling minus the aid used, and never so
    # much that the window of an aid already granted for a later date would overflow.
    remaining: Decimal
    drops_out: list[tuple[date, Decimal]]  # (first day it no longer counts, amount), by date


def de_minimis_headroom(
    entries: Iterable[Entry] | Resolution,
    undertaking: uuid.UUID,
    member_state: str,
    on: date,
    context: RuleContext | None = None,
) -> Headroom:
    """The de minimis headroom of a single undertaking in a Member State on a day."""
    ctx = context or RuleContext()
    res = entries if isinstance(entries, Resolution) else resolve(entries)
    state = normalise_member_state(member_state)
    fiscal = ctx.fiscal_year(state)
    aids = _aids(res, ctx, undertaking, state)
    regulation, ceiling = de_minimis_regime(on)
    counted = _used(aids, on, fiscal)
    used = sum((a.amount for a in counted), ZERO)
    remaining = ceiling - used
    for later in sorted({a.granted for a in aids if a.granted > on}):
        if counts_on(on, later, fiscal):
            _, later_ceiling = de_minimis_regime(later)
            later_used = sum((a.amount for a in _used(aids, later, fiscal)), ZERO)
            remaining = min(remaining, later_ceiling - later_used)
    drops: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for a in counted:
        drops[drops_out_on(a.granted, fiscal)] += a.amount
    return Headroom(
        undertaking_id=undertaking,
        member_state=state,
        on=on,
        regulation=regulation,
        ceiling=ceiling,
        used=used,
        remaining=max(remaining, ZERO),
        drops_out=sorted(drops.items()),
    )


# --- Disbursed never above committed -----------------------------------------------------


def _over(
    key: tuple[object, ...],
    committed: Decimal,
    disbursed: Decimal,
    what: str,
    details: dict[str, Any],
) -> _Breach:
    return _Breach(
        key,
        disbursed - committed,
        Violation(
            Rule.DISBURSED_ABOVE_COMMITTED,
            "error",
            f"Disbursed {euros(disbursed)} against {what}, which commits {euros(committed)}: "
            f"{euros(disbursed - committed)} paid without a commitment.",
            {
                **details,
                "committed": str(committed),
                "disbursed": str(disbursed),
                "excess": str(disbursed - committed),
            },
        ),
    )


def _disbursed(res: Resolution, ctx: RuleContext, focus: Entry | None) -> list[_Breach]:
    commitment: dict[uuid.UUID, Decimal] = {}
    paid: dict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
    bucket_committed: dict[tuple[uuid.UUID, uuid.UUID | None, Source], Decimal] = defaultdict(
        lambda: ZERO
    )
    bucket_paid: dict[tuple[uuid.UUID, uuid.UUID | None, Source], Decimal] = defaultdict(
        lambda: ZERO
    )
    focus_bucket = None if focus is None else (focus.beneficiary_id, focus.project_id, focus.source)
    for x in res.effects.values():
        e = x.original
        bucket = (e.beneficiary_id, e.project_id, e.source)
        if focus_bucket is not None and bucket != focus_bucket:
            continue
        if e.kind is EntryKind.COMMITMENT:
            commitment[e.entry_id] = x.amount
            bucket_committed[bucket] += x.amount
        elif e.kind is EntryKind.DISBURSEMENT:
            bucket_paid[bucket] += x.amount
            if e.commitment_ref is not None:
                paid[e.commitment_ref] += x.amount
    out: list[_Breach] = []
    focus_commitment = None
    if focus is not None:
        focus_commitment = (
            focus.entry_id if focus.kind is EntryKind.COMMITMENT else focus.commitment_ref
        )
    for ref, committed in commitment.items():
        if focus is not None and ref != focus_commitment:
            continue
        if paid[ref] > committed:
            out.append(
                _over(
                    ("commitment", ref),
                    committed,
                    paid[ref],
                    f"commitment {ref}",
                    {"commitment_id": str(ref)},
                )
            )
    for bucket, disbursed in bucket_paid.items():
        committed = bucket_committed[bucket]
        if disbursed > committed:
            beneficiary, project, source = bucket
            where = f"project {project}" if project else "no project"
            out.append(
                _over(
                    ("bucket", *bucket),
                    committed,
                    disbursed,
                    f"the {source.value.upper()} money of beneficiary {beneficiary} in {where}",
                    {
                        "beneficiary_id": str(beneficiary),
                        "project_id": None if project is None else str(project),
                        "source": source.value,
                    },
                )
            )
    return out


# --- SME share of a value chain ------------------------------------------------------------


def _sme(res: Resolution, ctx: RuleContext, focus: Entry | None) -> list[_Breach]:
    if ctx.smes is None:
        return []
    if focus is not None:
        if (
            focus.project_id is None
            or focus.kind is not EntryKind.COMMITMENT
            or focus.source not in ctx.sme_budget_sources
        ):
            return []
        projects = {focus.project_id}
    else:
        projects = {
            e.project_id
            for x in res.effects.values()
            if (e := x.original).project_id is not None and e.source in ctx.sme_budget_sources
        }
    out: list[_Breach] = []
    threshold = MIN_SME_BUDGET_PERCENT
    for project in projects:
        if project is None:
            continue
        share = sme_share(res, project, ctx.smes, ctx.sme_budget_sources)
        if share.total_budget == 0 or share.at_least(threshold):
            continue
        sources = "+".join(sorted(s.value.upper() for s in ctx.sme_budget_sources))
        out.append(
            _Breach(
                ("sme_share", project),
                threshold * share.total_budget - 100 * share.sme_budget,
                Violation(
                    Rule.SME_SHARE,
                    "flag",
                    f"Value chain {project}: {euros(share.sme_budget)} of the "
                    f"{euros(share.total_budget)} committed ({sources}) goes to SMEs, "
                    f"{share.percent} %, below the {threshold} % the value chain must give "
                    f"to SMEs directly (DOMAIN.md Value chains; INNOSUP-01).",
                    {
                        "project_id": str(project),
                        "sme_budget": str(share.sme_budget),
                        "total_budget": str(share.total_budget),
                        "percent": str(share.percent),
                        "threshold_percent": str(threshold),
                    },
                ),
            )
        )
    return out


_RULES: tuple[Callable[[Resolution, RuleContext, Entry | None], list[_Breach]], ...] = (
    _fstp,
    _double,
    _de_minimis,
    _disbursed,
    _sme,
)


def check_ledger(
    entries: Iterable[Entry] | Resolution, context: RuleContext | None = None
) -> list[Violation]:
    """Every breach in a ledger as it stands (for the reports' open rule flags)."""
    ctx = context or RuleContext()
    res = entries if isinstance(entries, Resolution) else resolve(entries)
    return [b.violation for rule in _RULES for b in rule(res, ctx, None)]


# --- A new entry ---------------------------------------------------------------------------

# Nothing this system tracks predates 2014: Horizon 2020, the ESIF 2014-2020 programmes and
# EFSI (2015) all start then. A date outside [EARLIEST_ENTRY_DATE, today + a year] is a
# typo (2204 for 2024), and recorded it would sit outside every de minimis window.
EARLIEST_ENTRY_DATE = date(2014, 1, 1)
LATEST_ENTRY_YEARS_AHEAD = 1


def latest_entry_date(today: date) -> date:
    return add_years(today, LATEST_ENTRY_YEARS_AHEAD)


def implausible_date(day: date, today: date) -> str | None:
    """Why an item's date cannot be meant, in words, or ``None`` when it is plausible:
    from :data:`EARLIEST_ENTRY_DATE` to one year after ``today`` (UTC), both included.
    Checked when an item arrives, before the ledger sees it."""
    if day < EARLIEST_ENTRY_DATE:
        return (
            f"{day.isoformat()} is before {EARLIEST_ENTRY_DATE.isoformat()}: nothing this "
            "system tracks (Horizon 2020, ESIF 2014-2020, EFSI) predates it"
        )
    latest = latest_entry_date(today)
    if day > latest:
        return (
            f"{day.isoformat()} is more than one year after today ({today.isoformat()}, UTC); "
            f"the latest date accepted is {latest.isoformat()}"
        )
    return None


def is_replay(existing: Iterable[Entry], new: Entry) -> bool:
    """The very same entry is already recorded: accepting it again changes nothing."""
    return any(e == new for e in existing)


def missing_prerequisites(existing: Iterable[Entry], new: Entry) -> list[uuid.UUID]:
    """The ids a new entry needs and that have not arrived: the entry it corrects, or a
    disbursement's commitment. The service parks the entry until they arrive."""
    ids = {e.entry_id for e in existing}
    needed = [new.target, new.commitment_ref]
    return [i for i in needed if i is not None and i not in ids]


# The fields a correction must repeat from the entry it corrects.
_CORRECTION_SAME = (
    "kind",
    "beneficiary_id",
    "project_id",
    "source",
    "fund",
    "instrument_id",
    "finance_type",
    "member_state",
    "cost_item_ref",
    "commitment_ref",
    "is_de_minimis",
    "private_timing",
)
# The fields a disbursement must repeat from its commitment.
_DISBURSEMENT_SAME = ("beneficiary_id", "project_id", "source", "fund", "instrument_id")


def _mismatch(a: Entry, b: Entry, names: Iterable[str]) -> list[str]:
    return [n for n in names if getattr(a, n) != getattr(b, n)]


def _consistency(res: Resolution, new: Entry) -> list[str]:
    """What makes a new entry contradict the entries it refers to (plain words)."""
    problems: list[str] = []
    entries = res.entries
    if new.target is not None:
        target = entries[new.target]
        verb = "reverses" if new.reverses is not None else "adjusts"
        wrong = _mismatch(new, target, _CORRECTION_SAME)
        if wrong:
            problems.append(
                f"it {verb} entry {target.entry_id} but differs from it in "
                + ", ".join(wrong)
                + " (a correction repeats what it corrects)"
            )
        if target.reverses is not None:
            problems.append(f"entry {target.entry_id} is itself a reversal; enter a new entry")
        elif new.adjusts is not None and target.adjusts is not None:
            problems.append(
                f"entry {target.entry_id} is an adjustment; adjust its original "
                f"{target.adjusts} instead"
            )
        already = sorted(str(e.entry_id) for e in entries.values() if e.reverses == target.entry_id)
        if already and new.reverses is not None and target.reverses is None:
            problems.append(f"entry {target.entry_id} is already reversed by {', '.join(already)}")
        if new.reverses is not None and new.amount != target.amount:
            problems.append(
                f"a reversal repeats the reversed amount {euros(target.amount)}, "
                f"not {euros(new.amount)}"
            )
        original = res.original_of(target.entry_id)
        if original is not None and new.adjusts is not None:
            if original.entry_id in {
                e.reverses for e in entries.values() if e.reverses is not None
            }:
                problems.append(f"entry {original.entry_id} is reversed; it cannot be adjusted")
            effect = res.effects[original.entry_id]
            if effect.amount + new.amount < 0:
                problems.append(
                    f"the adjustment of {euros(new.amount)} would bring entry "
                    f"{original.entry_id} from {euros(effect.amount)} to "
                    f"{euros(effect.amount + new.amount)}, below zero"
                )
            if original.is_de_minimis and effect.aid + new.aid < 0:
                problems.append(
                    f"the adjustment would bring the aid of entry {original.entry_id} below zero"
                )
    if new.commitment_ref is not None and new.target is None:
        commitment = entries[new.commitment_ref]
        if commitment.kind is not EntryKind.COMMITMENT or commitment.is_correction:
            problems.append(f"entry {commitment.entry_id} is not an original commitment")
        wrong = _mismatch(new, commitment, _DISBURSEMENT_SAME)
        if wrong:
            problems.append(
                f"it pays commitment {commitment.entry_id} but differs from it in "
                + ", ".join(wrong)
            )
    return problems


def _describe(entry: Entry) -> str:
    if entry.reverses is not None:
        return f"Entry {entry.entry_id} (reversal of {entry.reverses}, {entry.entry_date})"
    if entry.adjusts is not None:
        return (
            f"Entry {entry.entry_id} (adjustment of {entry.adjusts} by {euros(entry.amount)}, "
            f"{entry.entry_date})"
        )
    return (
        f"Entry {entry.entry_id} ({entry.source.value} {entry.kind.value} of "
        f"{euros(entry.amount)} to {entry.beneficiary_id} on {entry.entry_date})"
    )


def _violation(rule: Rule, new: Entry, message: str, **details: Any) -> Violation:
    return Violation(
        rule, "error", f"{_describe(new)}: {message}", {"entry_id": str(new.entry_id), **details}
    )


def check_new_entry(
    existing: Iterable[Entry],
    new: Entry,
    context: RuleContext | None = None,
) -> list[Violation]:
    """The violations a new entry would cause; any ``error`` means refuse it, ``flag``s are
    recorded with it. An identical replay of an entry already recorded returns no violation
    (check :func:`is_replay` to treat it as a no-op).

    ``existing`` may be the whole ledger or only the part the entry can touch: the entries of
    its beneficiary's single undertaking (de minimis), of its project (FSTP, SME share), of
    its beneficiary (double funding, disbursements) and the entry it refers to.
    """
    ctx = context or RuleContext()
    existing = list(existing)
    for e in existing:
        if e.entry_id == new.entry_id:
            if e == new:
                return []
            return [
                _violation(
                    Rule.DUPLICATE,
                    new,
                    f"the id is already taken by a different entry "
                    f"({e.external_system}/{e.external_id})",
                    existing_entry_id=str(e.entry_id),
                )
            ]
        if e.external_ref == new.external_ref:
            return [
                _violation(
                    Rule.DUPLICATE,
                    new,
                    f"{new.external_system}/{new.external_id} is already recorded as entry "
                    f"{e.entry_id}; a resent item is answered with that entry, not recorded "
                    "again",
                    existing_entry_id=str(e.entry_id),
                )
            ]
    missing = missing_prerequisites(existing, new)
    if missing:
        return [
            _violation(
                Rule.PREREQUISITE,
                new,
                "it refers to "
                + ", ".join(f"entry {m}" for m in missing)
                + ", which has not arrived yet; it is applied when it does",
                missing=[str(m) for m in missing],
            )
        ]
    # What the ledger was without the new entry matters only to a correction or a
    # payment (consistency) and to a rule that finds a breach with it (did the new
    # entry cause it or make it worse?): resolved only then, most entries need not.
    resolved: list[Resolution] = []

    def before() -> Resolution:
        if not resolved:
            resolved.append(resolve(existing))
        return resolved[0]

    if new.target is not None or new.commitment_ref is not None:
        problems = _consistency(before(), new)
        if problems:
            return [_violation(Rule.CONSISTENCY, new, "; ".join(problems), problems=problems)]
    after = resolve([*existing, new])
    focus = after.original_of(new.entry_id)
    assert focus is not None  # prerequisites are present
    out: list[Violation] = []
    for rule in _RULES:
        breaches = rule(after, ctx, focus)
        if not breaches:
            continue
        was = {b.key: b.excess for b in rule(before(), ctx, focus)}
        for breach in breaches:
            if breach.key in was and breach.excess <= was[breach.key]:
                continue  # an existing breach the new entry does not make worse
            v = breach.violation
            out.append(
                Violation(
                    v.rule,
                    v.severity,
                    f"{_describe(new)}: {v.message}",
                    {"entry_id": str(new.entry_id), **v.details},
                )
            )
    return out
