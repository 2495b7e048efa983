"""De minimis aid: the ceiling per single undertaking and Member State over a rolling
window (Reg. 2023/2831 from 2024-01-01; Reg. 1407/2013 before), and the headroom left."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from synergia_shared.money import euros

from synergia_funding.ledger.entries import Entry, EntryKind, normalise_member_state

from ..balances import ZERO, Resolution, resolve
from ..limits import (
    DE_MINIMIS_1407_2013_CEILING,
    DE_MINIMIS_1407_2013_FISCAL_YEARS,
    DE_MINIMIS_2023_2831_CEILING,
    DE_MINIMIS_2023_2831_FROM,
    DE_MINIMIS_2023_2831_WINDOW_YEARS,
)
from .context import CALENDAR_YEAR, FiscalYearStart, RuleContext, add_years
from .findings import Breach, Rule, Violation


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


@dataclass(frozen=True, slots=True)
class CountingWindow:
    """The aid that counts toward the ceiling for aid granted on ``on``: granted after
    ``rolling_after`` (2023/2831's three rolling years), or else in the fiscal years
    ``first_fiscal_year`` to ``last_fiscal_year`` (1407/2013); never after ``on``."""

    on: date
    rolling_after: date | None = None
    first_fiscal_year: int | None = None
    last_fiscal_year: int | None = None


def counting_window(on: date, fiscal: FiscalYearStart = CALENDAR_YEAR) -> CountingWindow:
    """The window :func:`counts_on` applies, for saying it (the same bounds)."""
    if on >= DE_MINIMIS_2023_2831_FROM:
        return CountingWindow(on, rolling_after=add_years(on, -DE_MINIMIS_2023_2831_WINDOW_YEARS))
    year = fiscal.year_of(on)
    return CountingWindow(
        on,
        first_fiscal_year=year - DE_MINIMIS_1407_2013_FISCAL_YEARS + 1,
        last_fiscal_year=year,
    )


def _window_words(on: date, fiscal: FiscalYearStart) -> str:
    window = counting_window(on, fiscal)
    if window.rolling_after is not None:
        return f"the three years after {window.rolling_after.isoformat()} up to {on.isoformat()}"
    return (
        f"the fiscal years {window.first_fiscal_year} to {window.last_fiscal_year} "
        f"(up to {on.isoformat()})"
    )


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


def _groups(res: Resolution, ctx: RuleContext, focus: Entry | None) -> set[tuple[uuid.UUID, str]]:
    """The (single undertaking, Member State) pairs to check: the focus's, if given."""
    if focus is not None:
        if not (focus.is_de_minimis and focus.kind is EntryKind.COMMITMENT):
            return set()
        return {(ctx.undertaking(focus.beneficiary_id), focus.member_state)}
    return {
        (ctx.undertaking(x.original.beneficiary_id), x.original.member_state)
        for x in res.effects.values()
        if x.original.is_de_minimis
    }


def _ceiling_breach(
    undertaking: uuid.UUID, state: str, on: date, fiscal: FiscalYearStart, counted: list[Aid]
) -> Breach | None:
    """The breach of the ceiling on ``on`` by the ``counted`` aid, if it is above."""
    regulation, ceiling = de_minimis_regime(on)
    used = sum((a.amount for a in counted), ZERO)
    if used <= ceiling:
        return None
    return Breach(
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


def de_minimis_breaches(res: Resolution, ctx: RuleContext, focus: Entry | None) -> list[Breach]:
    """De minimis aid to a single undertaking in a Member State stays within the ceiling
    on every day aid is granted (Reg. 2023/2831 Art. 3(2); 1407/2013 Art. 3(7))."""
    out: list[Breach] = []
    for undertaking, state in _groups(res, ctx, focus):
        fiscal = ctx.fiscal_year(state)
        aids = _aids(res, ctx, undertaking, state)
        days = {a.granted for a in aids}
        if focus is not None:
            # The new aid's own date, and every later grant whose window it falls in.
            days = {d for d in days | {focus.entry_date} if counts_on(focus.entry_date, d, fiscal)}
        for on in sorted(days):
            breach = _ceiling_breach(undertaking, state, on, fiscal, _used(aids, on, fiscal))
            if breach is not None:
                out.append(breach)
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
