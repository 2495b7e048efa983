"""What the rules need to know beyond the entries: single undertakings, FSTP caps, fiscal
years and SME status; and the calendar arithmetic of their windows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from synergia_funding.ledger.entries import Source, normalise_member_state

from ..balances import PROJECT_BUDGET_SOURCES
from ..limits import FSTP_CAP_PER_THIRD_PARTY


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


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 1 March in a common year (the
    later choice: the aid counts one day longer, never one day too short)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)
