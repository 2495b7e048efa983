"""FSTP caps: what a project passes on to one third party, and in total."""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal

from synergia_shared.money import euros

from synergia_funding.ledger.entries import Entry, EntryKind, Source

from ..balances import ZERO, Effect, Resolution
from .context import FstpCaps, RuleContext
from .findings import Breach, Rule, Violation

_FSTP_SOURCE = "H2020 Rules for Participation (Reg. 1290/2013) Art. 23(7)"


def _commitments_by_party(
    res: Resolution, focus: Entry | None
) -> dict[tuple[uuid.UUID, uuid.UUID], list[Effect]]:
    """FSTP commitments by (project, third party): of the focus's project only, if given."""
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
    return per_party


def _party_breach(
    project: uuid.UUID, party: uuid.UUID, total: Decimal, cap: Decimal, effects: list[Effect]
) -> Breach:
    ids = sorted(str(x.original.entry_id) for x in effects if x.amount)
    return Breach(
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


def _project_breach(project: uuid.UUID, total: Decimal, cap: Decimal) -> Breach:
    return Breach(
        ("fstp_project", project),
        total - cap,
        Violation(
            Rule.FSTP_CAP,
            "error",
            f"FSTP support committed by project {project} adds up to "
            f"{euros(total)}, {euros(total - cap)} above the project's "
            f"FSTP limit of {euros(cap)}.",
            {
                "project_id": str(project),
                "committed": str(total),
                "cap": str(cap),
                "excess": str(total - cap),
            },
        ),
    )


def fstp_cap_breaches(res: Resolution, ctx: RuleContext, focus: Entry | None) -> list[Breach]:
    """FSTP committed to one third party by one project stays within the project's cap per
    third party (€60,000 unless set otherwise), and what a project passes on in total
    within its project cap, if it has one (H2020 Rules for Participation Art. 23(7))."""
    if focus is not None and (focus.source is not Source.FSTP or focus.project_id is None):
        return []
    out: list[Breach] = []
    per_project: dict[uuid.UUID, Decimal] = defaultdict(lambda: ZERO)
    for (project, party), effects in _commitments_by_party(res, focus).items():
        total = sum((x.amount for x in effects), ZERO)
        per_project[project] += total
        cap = ctx.fstp_caps.get(project, FstpCaps()).per_third_party
        if total > cap and (focus is None or focus.beneficiary_id == party):
            out.append(_party_breach(project, party, total, cap, effects))
    for project, total in per_project.items():
        project_cap = ctx.fstp_caps.get(project, FstpCaps()).per_project
        if project_cap is not None and total > project_cap:
            out.append(_project_breach(project, total, project_cap))
    return out
