"""Pure shaping of the report figures: from net totals (summed in SQL) and small sets of
entries (folded here with the ledger core) to the response models. No I/O."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date

from synergia_funding.ledger.balances import (
    PROJECT_BUDGET_SOURCES,
    ZERO,
    Balance,
    CoFunding,
    SmeShare,
    SourceLine,
    leverage,
    resolve,
)
from synergia_funding.ledger.entries import (
    EU_SOURCES,
    NON_EU_SOURCES,
    SME_CATEGORIES,
    Entry,
    EntryKind,
    EsifFund,
    PrivateTiming,
    Source,
)
from synergia_funding.ledger.limits import (
    MIN_SME_BUDGET_PERCENT,
)
from synergia_funding.ledger.rules import (
    FiscalYearStart,
    Rule,
    RuleContext,
    Violation,
    counting_window,
    counts_on,
    de_minimis_headroom,
    drops_out_on,
)
from synergia_funding.reports.repository import NetRow
from synergia_funding.reports.schemas import (
    Amounts,
    DeMinimis,
    DeMinimisAid,
    DeMinimisState,
    InstrumentTotals,
    LeverageOut,
    LineAmount,
    LineTotals,
    RuleFlag,
    SmeShareOut,
)

# The report lines in the order DOMAIN.md names them; every report shows all of them.
LINES: tuple[SourceLine, ...] = (
    SourceLine(Source.H2020),
    SourceLine(Source.FSTP),
    *(SourceLine(Source.ESIF, fund=f) for f in EsifFund),
    SourceLine(Source.EFSI),
    SourceLine(Source.NATIONAL),
    SourceLine(Source.REGIONAL),
    SourceLine(Source.PRIVATE, private_timing=PrivateTiming.UPFRONT),
    SourceLine(Source.PRIVATE, private_timing=PrivateTiming.FOLLOW_UP),
)
_LINE_ORDER = {line: i for i, line in enumerate(LINES)}


def line_key(source: str, fund: str | None, timing: str | None) -> SourceLine:
    return SourceLine(
        Source(source),
        EsifFund(fund) if fund is not None else None,
        PrivateTiming(timing) if timing is not None else None,
    )


def _order(line: SourceLine) -> tuple[int, str]:
    return (_LINE_ORDER.get(line, len(LINES)), line.label)


def balance_of(row: NetRow) -> Balance:
    return Balance(row.committed, row.cost_claimed, row.disbursed)


def cofunding(rows: Iterable[NetRow]) -> CoFunding:
    """Net rows keyed by (source, fund, private_timing) as the ledger core's CoFunding."""
    by_line: dict[SourceLine, Balance] = {}
    for row in rows:
        line = line_key(*row.key[:3])
        by_line[line] = by_line.get(line, Balance()) + balance_of(row)
    return CoFunding(by_line)


def amounts(balance: Balance) -> Amounts:
    return Amounts(
        committed=balance.committed, cost_claimed=balance.cost_claimed, disbursed=balance.disbursed
    )


def _line(line: SourceLine, balance: Balance) -> LineTotals:
    return LineTotals(
        line=line.label,
        source=line.source,
        fund=line.fund,
        private_timing=line.private_timing,
        **amounts(balance).model_dump(),
    )


def line_totals(
    funding: CoFunding, lines: Sequence[SourceLine] = LINES, extra: bool = True
) -> list[LineTotals]:
    """``lines`` in their order with zeros where nothing is recorded, then (``extra``) any
    other line the ledger holds."""
    shown = list(lines)
    if extra:
        shown += sorted((k for k in funding.by_line if k not in lines), key=_order)
    return [_line(k, funding.by_line.get(k, Balance())) for k in shown]


def instrument_totals(rows: Iterable[NetRow]) -> list[InstrumentTotals]:
    """Rows keyed by (source, fund, private_timing, instrument_id)."""
    keyed = [(line_key(*row.key[:3]), row.key[3], row) for row in rows]
    keyed.sort(key=lambda k: (*_order(k[0]), k[1] is not None, k[1] or ""))
    return [
        InstrumentTotals(instrument_id=instrument, **_line(line, balance_of(row)).model_dump())
        for line, instrument, row in keyed
    ]


def leverage_out(
    funding: CoFunding,
    base: Collection[Source] = EU_SOURCES,
    other: Collection[Source] = NON_EU_SOURCES,
) -> LeverageOut:
    figures = leverage(funding, base, other)
    return LeverageOut(
        base_sources=sorted(base),
        other_sources=sorted(other),
        base=figures.base,
        other=figures.other,
        ratio=figures.ratio,
        other_by_line=[
            LineAmount(line=k.label, committed=v)
            for k, v in sorted(figures.other_by_line.items(), key=lambda kv: _order(kv[0]))
        ],
        private_upfront=figures.private(PrivateTiming.UPFRONT),
        private_follow_up=figures.private(PrivateTiming.FOLLOW_UP),
    )


# --- SME share ---------------------------------------------------------------------------


def sme_share_out(
    budget_by_beneficiary: Iterable[NetRow],
    categories: Mapping[uuid.UUID, str | None],
    sources: Collection[Source] = PROJECT_BUDGET_SOURCES,
) -> SmeShareOut:
    """``budget_by_beneficiary`` is keyed by (beneficiary_id,); ``categories`` the SME
    category of each beneficiary known here. Unknowns count as not SME, and are shown."""
    sme = not_sme = unknown = ZERO
    unknown_ids: list[uuid.UUID] = []
    for row in budget_by_beneficiary:
        actor: uuid.UUID = row.key[0]
        category = categories.get(actor)
        if category in SME_CATEGORIES:
            sme += row.committed
        elif category is None:
            unknown += row.committed
            if row.committed:
                unknown_ids.append(actor)
        else:
            not_sme += row.committed
    share = SmeShare(sme_budget=sme, total_budget=sme + not_sme + unknown)
    return SmeShareOut(
        sources=sorted(sources),
        total_budget=share.total_budget,
        sme_budget=sme,
        not_sme_budget=not_sme,
        unknown_budget=unknown,
        unknown_beneficiaries=sorted(unknown_ids),
        percent=share.percent,
        threshold_percent=MIN_SME_BUDGET_PERCENT,
        meets_threshold=None if share.total_budget == 0 else share.at_least(MIN_SME_BUDGET_PERCENT),
    )


def smes(categories: Mapping[uuid.UUID, str | None]) -> frozenset[uuid.UUID]:
    return frozenset(a for a, c in categories.items() if c in SME_CATEGORIES)


# --- Single undertakings and de minimis ----------------------------------------------------


def window_words(on: date, fiscal: FiscalYearStart) -> str:
    window = counting_window(on, fiscal)
    if window.rolling_after is not None:
        return (
            f"aid granted after {window.rolling_after.isoformat()} up to {on.isoformat()} "
            "(rolling three years)"
        )
    return (
        f"aid granted in the fiscal years {window.first_fiscal_year} to "
        f"{window.last_fiscal_year}, up to {on.isoformat()}"
    )


def de_minimis(
    entries: Iterable[Entry],
    members: frozenset[uuid.UUID],
    on: date,
    context: RuleContext | None = None,
) -> DeMinimis:
    """Used and remaining de minimis headroom of the single undertaking ``members`` in each
    Member State it received aid in, on ``on``, with each aid and its drop-out date."""
    undertaking = min(members)
    ctx = context or RuleContext(undertaking_of=dict.fromkeys(members, undertaking))
    res = resolve(entries)
    aids = [
        x
        for x in res.effects.values()
        if (e := x.original).is_de_minimis
        and e.kind is EntryKind.COMMITMENT
        and x.aid != 0
        and ctx.undertaking(e.beneficiary_id) == undertaking
    ]
    states = sorted({x.original.member_state for x in aids})
    out: list[DeMinimisState] = []
    for state in states:
        fiscal = ctx.fiscal_year(state)
        headroom = de_minimis_headroom(res, undertaking, state, on, ctx)
        counted = sorted(
            (
                x
                for x in aids
                if x.original.member_state == state and counts_on(x.original.entry_date, on, fiscal)
            ),
            key=lambda x: (x.original.entry_date, x.original.entry_id),
        )
        out.append(
            DeMinimisState(
                member_state=state,
                regulation=headroom.regulation,
                ceiling=headroom.ceiling,
                used=headroom.used,
                remaining=headroom.remaining,
                window=window_words(on, fiscal),
                aids=[
                    DeMinimisAid(
                        entry_id=x.original.entry_id,
                        beneficiary_id=x.original.beneficiary_id,
                        granted=x.original.entry_date,
                        amount=x.aid,
                        drops_out_on=drops_out_on(x.original.entry_date, fiscal),
                    )
                    for x in counted
                ],
            )
        )
    return DeMinimis(on=on, undertaking=sorted(members), member_states=out)


# --- Open rule flags of a value chain ------------------------------------------------------


def _concerns(v: Violation, project: str, own: Collection[str]) -> bool:
    d = v.details
    if v.rule in (Rule.FSTP_CAP, Rule.SME_SHARE):
        return d.get("project_id") == project
    if v.rule is Rule.DISBURSED_ABOVE_COMMITTED:
        return d.get("project_id") == project or d.get("commitment_id") in own
    if v.rule is Rule.DOUBLE_FUNDING:
        return any(i in own for s in d.get("streams", []) for i in s.get("entry_ids", []))
    if v.rule is Rule.DE_MINIMIS:
        return any(a.get("entry_id") in own for a in d.get("aids", []))
    return False


def project_flags(
    violations: Iterable[Violation], project_id: uuid.UUID, own: Collection[uuid.UUID]
) -> list[RuleFlag]:
    """The breaches that concern the value chain: of its own rules (FSTP caps, SME share,
    payments), and the undertaking- or cost-item-wide ones one of its entries takes part in."""
    own_ids = {str(i) for i in own}
    return [
        RuleFlag(rule=v.rule.value, severity=v.severity, message=v.message, details=v.details)
        for v in violations
        if _concerns(v, str(project_id), own_ids)
    ]


def total(funding: CoFunding, sources: Collection[Source] | None = None) -> Balance:
    return sum(
        (b for k, b in funding.by_line.items() if sources is None or k.source in sources),
        Balance(),
    )
