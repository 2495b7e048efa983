"""Keep every actor's computed SME category in step with the accounts and ownership data.

One actor's figures count in the category of its partner and linked enterprises, so a
change is followed through the ownership group: every actor reachable through holdings
of 25 % or more (or control) is assessed again.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from synergia_registry.actors import repository
from synergia_registry.actors.sme import (
    OwnershipLink,
    SmeAssessment,
    SmeCategory,
    YearFigures,
    assess,
)

RELEVANT_SHARE = Decimal(25)  # below this a holding never counts (2003/361/EC Annex Art. 3)


def _link(row: Any) -> OwnershipLink:
    return OwnershipLink(
        holder_id=row.owner_actor_id,
        held_id=row.actor_id,
        share=row.share_percent,
        controls=row.controls,
        holder_exempt_investor=row.owner_exempt_investor,
    )


async def ownership_group(
    session: AsyncSession, actor_id: uuid.UUID
) -> tuple[set[uuid.UUID], list[OwnershipLink]]:
    """The actors whose category may depend on ``actor_id``'s data, and their links."""
    return await ownership_groups(session, {actor_id})


async def ownership_groups(
    session: AsyncSession, actor_ids: set[uuid.UUID]
) -> tuple[set[uuid.UUID], list[OwnershipLink]]:
    """:func:`ownership_group` of several actors at once: the union of their groups,
    walked together (a query per step of the walk, not per actor)."""
    group = set(actor_ids)
    frontier = set(actor_ids)
    links: dict[tuple[uuid.UUID, uuid.UUID], OwnershipLink] = {}
    while frontier:
        reached: set[uuid.UUID] = set()
        for row in await repository.ownership_links(session, frontier):
            if row.share_percent < RELEVANT_SHARE and not row.controls:
                continue
            links[(row.actor_id, row.owner_actor_id)] = _link(row)
            reached |= {row.actor_id, row.owner_actor_id}
        frontier = reached - group
        group |= reached
    return group, list(links.values())


def assessment_json(assessment: SmeAssessment) -> dict[str, Any]:
    return {
        "autonomy": assessment.autonomy.value,
        "contradicts_declared": assessment.contradicts_declared,
        "complete": assessment.complete,
        "explanation": assessment.explanation,
        "by_year": [
            {
                "year": year,
                "category": result.category.value,
                "headcount": str(result.figures.headcount),
                "turnover": str(result.figures.turnover),
                "balance_sheet": str(result.figures.balance_sheet),
                "reason": result.reason,
            }
            for year, result in sorted(assessment.by_year.items())
        ],
    }


async def refresh_sme(session: AsyncSession, actor_id: uuid.UUID) -> set[uuid.UUID]:
    """Assess ``actor_id`` and its ownership group again; return the other actors whose
    category moved (their version is bumped: they need an event too)."""
    group, links = await ownership_group(session, actor_id)
    await repository.lock(session, group - {actor_id})
    figures: dict[uuid.UUID, list[YearFigures]] = defaultdict(list)
    for row in await repository.financials_of(session, group):
        figures[row.actor_id].append(
            YearFigures(row.year, row.headcount, row.turnover, row.balance_sheet)
        )
    changed: set[uuid.UUID] = set()
    for fact in await repository.sme_facts(session, group):
        declared = SmeCategory(fact.sme_declared) if fact.sme_declared else None
        assessment = assess(fact.id, figures, links, declared)
        category = assessment.category.value if assessment.category else None
        moved = category != fact.sme_category and fact.id != actor_id
        await repository.set_sme(
            session, fact.id, category, assessment_json(assessment), bump=moved
        )
        if moved:
            changed.add(fact.id)
    return changed


async def refresh_sme_many(
    session: AsyncSession, actor_ids: set[uuid.UUID], *, registering: set[uuid.UUID]
) -> set[uuid.UUID]:
    """:func:`refresh_sme` of actors written together (a bulk registration): their
    ownership groups assessed once, in a few statements. Returns the actors not in
    ``registering`` (whose ``registered`` events are yet to be written, with the category
    assessed here) whose category moved: their version is bumped, they need an event."""
    group, links = await ownership_groups(session, actor_ids)
    await repository.lock(session, group - registering)
    figures: dict[uuid.UUID, list[YearFigures]] = defaultdict(list)
    for row in await repository.financials_of(session, group):
        figures[row.actor_id].append(
            YearFigures(row.year, row.headcount, row.turnover, row.balance_sheet)
        )
    changed: set[uuid.UUID] = set()
    assessments: list[tuple[uuid.UUID, str | None, dict[str, Any], bool]] = []
    for fact in await repository.sme_facts(session, group):
        declared = SmeCategory(fact.sme_declared) if fact.sme_declared else None
        assessment = assess(fact.id, figures, links, declared)
        category = assessment.category.value if assessment.category else None
        moved = category != fact.sme_category and fact.id not in registering
        assessments.append((fact.id, category, assessment_json(assessment), moved))
        if moved:
            changed.add(fact.id)
    await repository.set_sme_many(session, assessments)
    return changed
