"""The SME share of a value chain's budget (a flag: met over the life of the plan)."""

from __future__ import annotations

import uuid

from synergia_shared.money import euros

from synergia_funding.ledger.entries import Entry, EntryKind

from ..balances import Resolution, SmeShare, sme_share
from ..limits import MIN_SME_BUDGET_PERCENT
from .context import RuleContext
from .findings import Breach, Rule, Violation


def _projects(res: Resolution, ctx: RuleContext, focus: Entry | None) -> set[uuid.UUID]:
    """The projects to check: the focus's, if it is a commitment of the budget's sources."""
    if focus is not None:
        if (
            focus.project_id is None
            or focus.kind is not EntryKind.COMMITMENT
            or focus.source not in ctx.sme_budget_sources
        ):
            return set()
        return {focus.project_id}
    return {
        e.project_id
        for x in res.effects.values()
        if (e := x.original).project_id is not None and e.source in ctx.sme_budget_sources
    }


def _share_breach(project: uuid.UUID, share: SmeShare, ctx: RuleContext) -> Breach:
    threshold = MIN_SME_BUDGET_PERCENT
    sources = "+".join(sorted(s.value.upper() for s in ctx.sme_budget_sources))
    return Breach(
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


def sme_share_breaches(res: Resolution, ctx: RuleContext, focus: Entry | None) -> list[Breach]:
    """At least 75 % of a value chain's committed budget goes to SMEs directly (INNOSUP-01);
    skipped when the SMEs are not known (``ctx.smes`` is None)."""
    if ctx.smes is None:
        return []
    out: list[Breach] = []
    for project in _projects(res, ctx, focus):
        share = sme_share(res, project, ctx.smes, ctx.sme_budget_sources)
        if share.total_budget == 0 or share.at_least(MIN_SME_BUDGET_PERCENT):
            continue
        out.append(_share_breach(project, share, ctx))
    return out
