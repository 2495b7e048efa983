"""Use cases of the funding reports: run the queries, then shape the figures."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.http.problems import invalid_field
from synergia_shared.reference.nuts import InvalidNuts, NutsRegion, validate_nuts

from synergia_funding.ledger.balances import PROJECT_BUDGET_SOURCES, Balance
from synergia_funding.ledger.entries import NON_EU_SOURCES, Source
from synergia_funding.ledger.repository import linked_enterprises
from synergia_funding.ledger.rules import RuleContext, check_ledger, undertaking_ids
from synergia_funding.reference import repository as reference_repository
from synergia_funding.reports import figures, repository
from synergia_funding.reports.schemas import (
    BeneficiaryFunding,
    RegionCoFunding,
    ValueChainCoFunding,
)

# Ledger entries name their region in NUTS 2024, NUTS 2021 (H2020-era data) or, for the
# United Kingdom's 2014-2020 programmes, NUTS 2016: a report accepts any of them.
NUTS_VERSIONS = ("2024", "2021", "2016")

REGION_METHOD = (
    "ESIF mobilised: ESIF ledger entries whose region (region_nuts) is this NUTS code or a "
    "region below it, by fund, net of corrections. leverage_in_region: national, regional "
    "and private money committed in the same region per euro of ESIF committed there. "
    "leverage_in_projects: national, regional and private money committed to the projects "
    "that have ESIF in the region, wherever located, per euro of those projects' ESIF. "
    "Committed amounts; other EU money (H2020, FSTP, EFSI) is neither base nor leveraged."
)

VALUE_CHAIN_NOTES = (
    "FSTP caps are the defaults (EUR 60,000 per third party, no per-project cap).",
    "De minimis flags count the aid of each beneficiary's whole single undertaking, also "
    "outside this value chain; fiscal years are calendar years for aid before 2024.",
)


async def beneficiary_funding(
    session: AsyncSession, actor_id: uuid.UUID, on: date
) -> BeneficiaryFunding:
    rows = await repository.beneficiary_totals(session, actor_id)
    groups = await linked_enterprises(session, [actor_id])
    members = groups.get(actor_id, frozenset({actor_id}))
    aid = await repository.de_minimis_entries(session, members)
    total = sum((figures.balance_of(r) for r in rows), Balance())
    return BeneficiaryFunding(
        total=figures.amounts(total),
        by_instrument=figures.instrument_totals(rows),
        de_minimis=figures.de_minimis(aid, members, on),
    )


async def value_chain_co_funding(
    session: AsyncSession, project_id: uuid.UUID
) -> ValueChainCoFunding:
    lines = await repository.project_lines(session, project_id)
    budget = await repository.project_budget_by_beneficiary(
        session, project_id, PROJECT_BUDGET_SOURCES
    )
    entries, own = await repository.project_rule_entries(session, project_id)
    beneficiaries = {e.beneficiary_id for e in entries}
    categories = await repository.sme_categories(
        session, beneficiaries | {r.key[0] for r in budget}
    )
    groups = await linked_enterprises(session, beneficiaries)
    context = RuleContext(
        undertaking_of=undertaking_ids(groups.values()),
        smes=figures.smes(categories),
        # The chain's FSTP calls may set a lower cap per third party than the default.
        fstp_caps=await reference_repository.fstp_caps(session, [project_id]),
    )
    funding = figures.cofunding(lines)
    return ValueChainCoFunding(
        value_chain_id=project_id,
        entries=sum(r.originals for r in lines),
        total=figures.amounts(funding.total),
        lines=figures.line_totals(funding),
        sme_share=figures.sme_share_out(budget, categories),
        leverage=figures.leverage_out(funding),
        flags=figures.project_flags(check_ledger(entries, context), project_id, own),
        notes=[
            *VALUE_CHAIN_NOTES,
            *(
                ["No ledger entry names this value chain (yet): every figure is zero."]
                if not lines
                else []
            ),
        ],
    )


def region(nuts: str) -> NutsRegion:
    """The NUTS region (any level, 0 = the country) in the first version that has it."""
    code = nuts.strip().upper()
    first: InvalidNuts | None = None
    for version in NUTS_VERSIONS:
        try:
            return validate_nuts(code, code[:2], version)
        except InvalidNuts as exc:
            first = first or exc
    raise invalid_field(["path", "nuts"], str(first))


async def region_co_funding(session: AsyncSession, place: NutsRegion) -> RegionCoFunding:
    lines = await repository.region_lines(session, place.code)
    project_lines = await repository.region_project_lines(session, place.code)
    funding = figures.cofunding(lines)
    projects = figures.cofunding(project_lines)
    esif_lines = [k for k in figures.LINES if k.source is Source.ESIF]
    return RegionCoFunding(
        nuts_code=place.code,
        region_name=place.name,
        nuts_level=place.level,
        nuts_version=place.version,
        method=REGION_METHOD,
        entries=sum(r.originals for r in lines),
        esif=figures.amounts(figures.total(funding, {Source.ESIF})),
        esif_by_fund=figures.line_totals(funding, esif_lines, extra=False),
        lines=figures.line_totals(funding),
        leverage_in_region=figures.leverage_out(funding, {Source.ESIF}, NON_EU_SOURCES),
        projects_with_esif=await repository.count_projects_with_esif(session, place.code),
        leverage_in_projects=figures.leverage_out(projects, {Source.ESIF}, NON_EU_SOURCES),
    )
