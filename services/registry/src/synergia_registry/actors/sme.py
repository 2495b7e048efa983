"""The EU SME definition (Commission Recommendation 2003/361/EC, Annex) as pure code.

The category is computed from the enterprise's figures plus those of its partner and
linked enterprises (Annex, Articles 3 and 6), then held steady by the two-consecutive-
periods rule (Article 4(2)); every step leaves a plain sentence in the explanation.

Figures are each enterprise's own, unconsolidated accounts: the aggregation adds linked
enterprises itself, so consolidated accounts would be counted twice.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Protocol
from uuid import UUID

from synergia_shared.money import euros


class SmeCategory(StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    NOT_SME = "not_sme"


class RelationKind(StrEnum):
    PARTNER = "partner"
    LINKED = "linked"


class Autonomy(StrEnum):
    AUTONOMOUS = "autonomous"
    PARTNER = "partner"
    LINKED = "linked"


@dataclass(frozen=True)
class Ceiling:
    category: SmeCategory
    staff_below: Decimal  # annual work units; mandatory
    turnover_max: Decimal  # EUR; this or the balance sheet must fit
    balance_sheet_max: Decimal  # EUR


# Recommendation 2003/361/EC, Annex, Article 2, smallest first: the first ceiling an
# enterprise fits is its category.
CEILINGS = (
    Ceiling(SmeCategory.MICRO, Decimal(10), Decimal(2_000_000), Decimal(2_000_000)),
    Ceiling(SmeCategory.SMALL, Decimal(50), Decimal(10_000_000), Decimal(10_000_000)),
    Ceiling(SmeCategory.MEDIUM, Decimal(250), Decimal(50_000_000), Decimal(43_000_000)),
)
# Annex, Article 3: a partner holds 25 % or more; a linked enterprise holds the majority of
# the voting rights (or controls otherwise); the investors of Article 3(2) do not make
# a partner up to 50 %.
PARTNER_FROM = Decimal(25)
LINKED_ABOVE = Decimal(50)
EXEMPT_INVESTOR_UP_TO = Decimal(50)

_RANK = {category: rank for rank, category in enumerate(SmeCategory)}


class Figures(Protocol):
    @property
    def headcount(self) -> Decimal: ...
    @property
    def turnover(self) -> Decimal: ...
    @property
    def balance_sheet(self) -> Decimal: ...


@dataclass(frozen=True)
class YearFigures:
    year: int
    headcount: Decimal  # annual work units
    turnover: Decimal  # EUR
    balance_sheet: Decimal  # EUR, balance sheet total
    estimate: bool = False  # a new enterprise's good-faith estimate (Annex, Article 4(3))

    def __post_init__(self) -> None:
        if min(self.headcount, self.turnover, self.balance_sheet) < 0:
            raise ValueError(f"the {self.year} figures must not be negative")


@dataclass(frozen=True)
class OwnershipLink:
    holder_id: UUID
    held_id: UUID
    share: Decimal  # percent: the higher of capital and voting rights held
    controls: bool = False  # dominant influence without a majority (Article 3(3) b-d)
    # Article 3(2): public investment corporations, venture capital, business angels
    # investing under EUR 1.25 m, universities and non-profit research centres,
    # institutional investors, autonomous local authorities under EUR 10 m budget and
    # 5 000 inhabitants.
    holder_exempt_investor: bool = False

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.share <= Decimal(100):
            raise ValueError(f"a share is a percentage from 0 to 100, got {self.share}")
        if self.holder_id == self.held_id:
            raise ValueError("an enterprise cannot hold itself")


@dataclass(frozen=True)
class Related:
    enterprise_id: UUID
    share: Decimal  # percent of its figures added
    reason: str


@dataclass(frozen=True)
class Relations:
    autonomy: Autonomy
    related: tuple[Related, ...]
    notes: tuple[str, ...]  # holdings looked at that do not count


@dataclass(frozen=True)
class Contribution:
    enterprise_id: UUID
    share: Decimal
    headcount: Decimal
    turnover: Decimal
    balance_sheet: Decimal
    explanation: str


@dataclass(frozen=True)
class AggregatedYear:
    year: int
    headcount: Decimal
    turnover: Decimal
    balance_sheet: Decimal
    contributions: tuple[Contribution, ...]
    missing: tuple[str, ...]  # related enterprises without figures for the year
    estimate: bool

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class YearResult:
    year: int
    category: SmeCategory  # a lower bound when the figures are incomplete
    figures: AggregatedYear
    reason: str


@dataclass(frozen=True)
class SmeAssessment:
    category: SmeCategory | None
    by_year: dict[int, YearResult]
    autonomy: Autonomy
    explanation: list[str]
    declared: SmeCategory | None
    contradicts_declared: bool
    contradiction: str | None
    complete: bool


def classify_relation(link: OwnershipLink) -> RelationKind | None:
    """How ``link`` ties the two enterprises; None when it leaves them autonomous."""
    if link.controls or link.share > LINKED_ABOVE:
        return RelationKind.LINKED
    if link.share < PARTNER_FROM:
        return None
    if link.holder_exempt_investor and link.share <= EXEMPT_INVESTOR_UP_TO:
        return None
    return RelationKind.PARTNER


def category_for(fig: Figures) -> SmeCategory:
    """The category of one year's (aggregated) figures, before the two-year rule."""
    for ceiling in CEILINGS:
        if _fits(fig, ceiling):
            return ceiling.category
    return SmeCategory.NOT_SME


def relations(
    subject_id: UUID, links: Sequence[OwnershipLink], *, names: Mapping[UUID, str] | None = None
) -> Relations:
    """The enterprises whose figures count for ``subject_id``, with the share of each."""
    name = _namer(subject_id, names)
    edges: dict[UUID, list[tuple[UUID, OwnershipLink]]] = {}
    for link in links:
        edges.setdefault(link.holder_id, []).append((link.held_id, link))
        edges.setdefault(link.held_id, []).append((link.holder_id, link))
    group = _linked_component(subject_id, edges, name)
    counted: dict[UUID, Related] = {
        member: Related(member, Decimal(100), reason)
        for member, reason in group.items()
        if member != subject_id
    }
    notes: list[str] = []
    partners: dict[UUID, None] = {}  # ordered, so explanations read the same every time
    # Partners of the enterprise and of its linked enterprises, one level (Article 6(2), 6(4)).
    for member in group:
        for other, link in edges.get(member, []):
            if other in group:
                continue
            kind = classify_relation(link)
            if kind is None:
                notes.append(_ignored(link, name))
                continue
            via = "" if member == subject_id else f" of linked enterprise {name(member)}"
            _count(counted, Related(other, link.share, f"partner{via}: {_holding(link, name)}"))
            partners[other] = None
    # A partner's data includes 100 % of its own linked enterprises (Article 6(3)).
    for partner in [counted[p] for p in partners]:
        for member, reason in _linked_component(partner.enterprise_id, edges, name).items():
            if member != partner.enterprise_id:
                text = f"linked to partner {name(partner.enterprise_id)} ({reason})"
                _count(counted, Related(member, partner.share, text))
    if len(group) > 1:
        autonomy = Autonomy.LINKED
    elif counted:
        autonomy = Autonomy.PARTNER
    else:
        autonomy = Autonomy.AUTONOMOUS
    return Relations(autonomy, tuple(counted.values()), tuple(dict.fromkeys(notes)))


def aggregate(
    subject_id: UUID,
    figures: Mapping[UUID, Sequence[YearFigures]],
    links: Sequence[OwnershipLink],
    *,
    names: Mapping[UUID, str] | None = None,
) -> dict[int, AggregatedYear]:
    """Per accounting year of the subject: its figures plus its related enterprises' share."""
    return _aggregate(subject_id, figures, relations(subject_id, links, names=names), names)


def assess(
    subject_id: UUID,
    figures: Mapping[UUID, Sequence[YearFigures]],
    links: Sequence[OwnershipLink],
    declared: SmeCategory | None = None,
    *,
    names: Mapping[UUID, str] | None = None,
) -> SmeAssessment:
    """The SME category of ``subject_id``, explained, checked against ``declared``."""
    rel = relations(subject_id, links, names=names)
    name = _namer(subject_id, names)
    explanation = [_autonomy_sentence(rel.autonomy)]
    explanation += [
        f"Counted {_pct(r.share)} of {name(r.enterprise_id)} ({r.reason})." for r in rel.related
    ]
    explanation += [f"Not counted: {note}." for note in rel.notes]
    years = _aggregate(subject_id, figures, rel, names)
    if not years:
        explanation.append("No accounting data for the enterprise: no category can be computed.")
        return SmeAssessment(None, {}, rel.autonomy, explanation, declared, False, None, True)
    by_year: dict[int, YearResult] = {}
    for year, agg in years.items():
        category = category_for(agg)
        reason = _why(agg, category)
        by_year[year] = YearResult(year, category, agg, reason)
        explanation.append(f"{year}: {_describe(agg)}: {category} ({reason}).")
        explanation += list(agg.missing)
    category, status_notes = _status(list(by_year.values()))
    explanation += status_notes
    complete = all(agg.complete for agg in years.values())
    if not complete:
        explanation.append(
            f"Some figures are missing: {category} is a lower bound, the enterprise may be larger."
        )
    contradiction = _contradiction(declared, category, complete)
    if contradiction:
        explanation.append(contradiction)
    elif declared is not None and declared != category:
        explanation.append(
            f"The declared category {declared} cannot be confirmed until the missing "
            f"figures are known."
        )
    return SmeAssessment(
        category,
        by_year,
        rel.autonomy,
        explanation,
        declared,
        contradiction is not None,
        contradiction,
        complete,
    )


def _fits(fig: Figures, ceiling: Ceiling) -> bool:
    return fig.headcount < ceiling.staff_below and (
        fig.turnover <= ceiling.turnover_max or fig.balance_sheet <= ceiling.balance_sheet_max
    )


def _why(fig: Figures, category: SmeCategory) -> str:
    rank = _RANK[category]
    parts = []
    if rank > 0:
        smaller = CEILINGS[rank - 1]
        if fig.headcount >= smaller.staff_below:
            miss = f"staff {_awu(fig.headcount)} is not below {_awu(smaller.staff_below)}"
        else:
            miss = (
                f"turnover {_eur(fig.turnover)} is over {_eur(smaller.turnover_max)} and "
                f"balance sheet {_eur(fig.balance_sheet)} is over "
                f"{_eur(smaller.balance_sheet_max)}"
            )
        parts.append(f"not {smaller.category}: {miss}")
    if rank < len(CEILINGS):
        ceiling = CEILINGS[rank]
        fit = f"staff {_awu(fig.headcount)} is below {_awu(ceiling.staff_below)} and "
        if fig.turnover <= ceiling.turnover_max:
            fit += f"turnover {_eur(fig.turnover)} is within {_eur(ceiling.turnover_max)}"
        else:
            fit += (
                f"balance sheet {_eur(fig.balance_sheet)} is within "
                f"{_eur(ceiling.balance_sheet_max)}, which suffices although turnover "
                f"{_eur(fig.turnover)} is over {_eur(ceiling.turnover_max)}"
            )
        parts.append(f"{category}: {fit}")
    return "; ".join(parts)


def _status(results: list[YearResult]) -> tuple[SmeCategory, list[str]]:
    """Article 4(2): the status changes only after two consecutive periods across a ceiling.

    When both periods cross into different categories on the same side, the new status
    is the one both reach: the category nearer the old status.
    """
    results = sorted(results, key=lambda r: r.year)
    first = results[0]
    status = first.category
    basis = "a good-faith estimate of a new enterprise" if first.figures.estimate else "the first"
    notes = [f"Status: {first.year} ({basis} year on record) sets it to {status}."]
    for prev, cur in pairwise(results):
        if cur.category == status:
            continue
        step = _RANK[cur.category] - _RANK[status]
        prev_step = _RANK[prev.category] - _RANK[status]
        if cur.year != prev.year + 1:
            notes.append(
                f"{cur.year} is {cur.category}, but {prev.year} and {cur.year} are not "
                f"consecutive accounting periods: the status stays {status}."
            )
        elif prev_step * step > 0:
            new = min((prev.category, cur.category), key=lambda c: abs(_RANK[c] - _RANK[status]))
            notes.append(
                f"{prev.year} ({prev.category}) and {cur.year} ({cur.category}) are two "
                f"consecutive periods {'over' if step > 0 else 'under'} the {status} ceilings: "
                f"the status changes from {status} to {new} in {cur.year}."
            )
            status = new
        else:
            notes.append(
                f"{cur.year} is {cur.category}, a single period across the {status} ceilings: "
                f"the status stays {status} (it changes after two consecutive periods)."
            )
    return status, notes


def _contradiction(
    declared: SmeCategory | None, category: SmeCategory, complete: bool
) -> str | None:
    if declared is None or declared == category:
        return None
    # Missing figures can only make the enterprise larger, so only a smaller
    # declaration is then certainly wrong.
    if not complete and _RANK[declared] > _RANK[category]:
        return None
    return f"The declared category {declared} contradicts the computed category {category}."


def _aggregate(
    subject_id: UUID,
    figures: Mapping[UUID, Sequence[YearFigures]],
    rel: Relations,
    names: Mapping[UUID, str] | None,
) -> dict[int, AggregatedYear]:
    name = _namer(subject_id, names)
    own = _by_year(figures.get(subject_id, ()))
    out: dict[int, AggregatedYear] = {}
    for year, mine in sorted(own.items()):
        parts = [_part(subject_id, Decimal(100), mine, "the enterprise itself")]
        missing = []
        for r in rel.related:
            theirs = _by_year(figures.get(r.enterprise_id, ())).get(year)
            if theirs is None:
                missing.append(
                    f"No {year} figures for {name(r.enterprise_id)} ({r.reason}): the {year} "
                    f"total is incomplete."
                )
            else:
                parts.append(
                    _part(r.enterprise_id, r.share, theirs, f"{name(r.enterprise_id)}, {r.reason}")
                )
        out[year] = AggregatedYear(
            year,
            sum((p.headcount for p in parts), Decimal(0)),
            sum((p.turnover for p in parts), Decimal(0)),
            sum((p.balance_sheet for p in parts), Decimal(0)),
            tuple(parts),
            tuple(missing),
            mine.estimate,
        )
    return out


def _part(enterprise: UUID, share: Decimal, fig: YearFigures, who: str) -> Contribution:
    f = share / 100
    return Contribution(
        enterprise,
        share,
        fig.headcount * f,
        fig.turnover * f,
        fig.balance_sheet * f,
        f"{who}: {_pct(share)} of {_describe(fig)}",
    )


def _by_year(rows: Sequence[YearFigures]) -> dict[int, YearFigures]:
    out: dict[int, YearFigures] = {}
    for row in rows:
        if row.year in out:
            raise ValueError(f"two sets of figures for {row.year}")
        out[row.year] = row
    return out


def _linked_component(
    start: UUID,
    edges: Mapping[UUID, list[tuple[UUID, OwnershipLink]]],
    name: _Namer,
) -> dict[UUID, str]:
    """Enterprises linked to ``start`` directly or through a chain (Article 3(3)), with why."""
    found = {start: ""}
    queue = deque([start])
    while queue:
        member = queue.popleft()
        for other, link in edges.get(member, []):
            if other not in found and classify_relation(link) is RelationKind.LINKED:
                via = "" if member == start else f" through {name(member)}"
                found[other] = f"linked{via}: {_holding(link, name)}"
                queue.append(other)
    return found


def _count(counted: dict[UUID, Related], candidate: Related) -> None:
    """Count an enterprise reached through several holdings once, at its largest share."""
    known = counted.get(candidate.enterprise_id)
    if known is None or known.share < candidate.share:
        counted[candidate.enterprise_id] = candidate


class _Namer(Protocol):
    def __call__(self, enterprise: UUID) -> str: ...


def _namer(subject_id: UUID, names: Mapping[UUID, str] | None) -> _Namer:
    def name(enterprise: UUID) -> str:
        if enterprise == subject_id:
            return "the enterprise"
        return (names or {}).get(enterprise) or f"enterprise {enterprise}"

    return name


def _holding(link: OwnershipLink, name: _Namer) -> str:
    verb = "controls" if link.controls and link.share <= LINKED_ABOVE else "holds"
    return f"{name(link.holder_id)} {verb} {_pct(link.share)} of {name(link.held_id)}"


def _ignored(link: OwnershipLink, name: _Namer) -> str:
    if link.share < PARTNER_FROM:
        return f"{_holding(link, name)}, below {_pct(PARTNER_FROM)}"
    return (
        f"{_holding(link, name)} as an investor of Article 3(2), which does not count up "
        f"to {_pct(EXEMPT_INVESTOR_UP_TO)}"
    )


def _autonomy_sentence(autonomy: Autonomy) -> str:
    return {
        Autonomy.AUTONOMOUS: "The enterprise is autonomous: no enterprise holds 25 % or more "
        "of it and it holds no 25 % or more of another, so only its own figures count.",
        Autonomy.PARTNER: "The enterprise has partner enterprises (25 % to 50 % holdings): "
        "their figures count in proportion to the holding.",
        Autonomy.LINKED: "The enterprise is linked (over 50 % or control): the figures of "
        "linked enterprises count in full, their partners' in proportion.",
    }[autonomy]


def _describe(fig: Figures) -> str:
    return (
        f"staff {_awu(fig.headcount)}, turnover {_eur(fig.turnover)}, "
        f"balance sheet {_eur(fig.balance_sheet)}"
    )


def _pct(share: Decimal) -> str:
    return f"{share.normalize():f} %"


def _awu(value: Decimal) -> str:
    return f"{value.normalize():f} AWU"


def _eur(value: Decimal) -> str:
    return euros(value, places=0, prefix="EUR ")
