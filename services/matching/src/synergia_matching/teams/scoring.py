"""The one definition of a team's objective and rule checks, shared by solver, greedy and tests.

:func:`score_team` computes the objective of an assignment exactly as the CP-SAT model
does (same integer scaling), so solver, greedy baseline and brute force agree by
construction. :func:`team_facts` and :func:`violations` check the rules in plain Python.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from synergia_shared.entity_country_matching import match_entities_to_countries

from synergia_matching.teams.problem import (
    Candidate,
    ObjectiveBreakdown,
    ObjectiveTerm,
    SmeShareBasis,
    Stage,
    TeamConstraints,
)

#: Fit and S3 alignment are scored in per-mille (the objective is an integer).
FIT_SCALE = 1000
S3_SCALE = 1000

CandidatesArg = Mapping[uuid.UUID, Candidate] | Iterable[Candidate]


def fit_points(value: float) -> int:
    """A fit score in per-mille, as the objective counts it."""
    return round(value * FIT_SCALE)


def s3_points(value: float) -> int:
    """An S3 alignment in per-mille, as the objective counts it."""
    return round(value * S3_SCALE)


def by_id(candidates: CandidatesArg) -> Mapping[uuid.UUID, Candidate]:
    if isinstance(candidates, Mapping):
        return candidates
    return {c.actor_id: c for c in candidates}


def can_cover(candidate: Candidate, stage_id: uuid.UUID, constraints: TeamConstraints) -> bool:
    """A candidate may cover a stage: it fits (> 0), is in an eligible country, not excluded."""
    return (
        candidate.fit.get(stage_id, 0.0) > 0
        and candidate.country_eligible
        and candidate.actor_id not in constraints.exclude
    )


def resolve_sector_basis(
    candidates: Iterable[Candidate], constraints: TeamConstraints
) -> Literal["nace", "ecosystems"]:
    """NACE sections when any candidate carries one ("auto"), else ecosystems."""
    if constraints.sector_basis != "auto":
        return constraints.sector_basis
    return "nace" if any(c.nace_sections for c in candidates) else "ecosystems"


def sector_labels(candidate: Candidate, basis: Literal["nace", "ecosystems"]) -> frozenset[str]:
    return candidate.nace_sections if basis == "nace" else candidate.ecosystems


@dataclass(frozen=True, slots=True)
class SmeRule:
    """The SME share rule in integers: ``den * sme_part >= num * whole``."""

    basis: SmeShareBasis
    share: Fraction
    budget_units: Mapping[uuid.UUID, int]  # stage id → budget in exact integer units

    @property
    def total_units(self) -> int:
        return sum(self.budget_units.values())


def sme_rule(stages: Sequence[Stage], constraints: TeamConstraints) -> SmeRule:
    """Budget share when every stage has a budget, member share otherwise.

    Budgets are Decimals; they are scaled to integers exactly (by the least common
    denominator), and the share is a fraction ``num/den``, so the rule is exact integer
    arithmetic both in Python and in the CP-SAT model.
    """
    if stages and all(s.budget is not None for s in stages):
        fractions = {s.id: Fraction(s.budget) for s in stages if s.budget is not None}
        scale = 1
        for f in fractions.values():
            scale = math.lcm(scale, f.denominator)
        units = {sid: int(f * scale) for sid, f in fractions.items()}
        return SmeRule("budget", Fraction(constraints.min_sme_share), units)
    return SmeRule("members", Fraction(constraints.member_sme_share), {})


def max_country_entity_matching(pairs: Iterable[tuple[uuid.UUID, str]]) -> int:
    """Largest number of distinct entities established in pairwise different countries:
    linked enterprises in two countries are one entity and can stand for one country only
    (the bipartite matching of ``synergia_shared.entity_country_matching``)."""
    countries_of: dict[uuid.UUID, set[str]] = {}
    for entity, country in pairs:
        countries_of.setdefault(entity, set()).add(country)
    return len(match_entities_to_countries(dict(sorted(countries_of.items()))))


@dataclass(frozen=True, slots=True)
class TeamFacts:
    """What the rules look at, for one assignment (plus the must-include actors)."""

    members: frozenset[uuid.UUID]
    eligible_countries: frozenset[str]
    entities: frozenset[uuid.UUID]  # entities with a member in an eligible country
    country_entity_matching: int
    sectors: frozenset[str]
    sme_rule: SmeRule
    sme_part: int  # SME budget units, or number of SME members
    whole: int  # total budget units, or number of members

    @property
    def sme_share(self) -> Fraction:
        return Fraction(self.sme_part, self.whole) if self.whole else Fraction(1)


def team_facts(
    assignment: Mapping[uuid.UUID, uuid.UUID],
    stages: Sequence[Stage],
    candidates: CandidatesArg,
    constraints: TeamConstraints,
    *,
    basis: Literal["nace", "ecosystems"] | None = None,
) -> TeamFacts:
    index = by_id(candidates)
    if basis is None:
        basis = resolve_sector_basis(index.values(), constraints)
    members = frozenset(assignment.values()) | frozenset(
        a for a in constraints.must_include if a in index
    )
    team = [index[a] for a in sorted(members)]
    eligible = [c for c in team if c.country_eligible]
    sectors: set[str] = set()
    for c in team:
        sectors |= sector_labels(c, basis)
    rule = sme_rule(stages, constraints)
    if rule.basis == "budget":
        sme_part = sum(
            rule.budget_units[sid] for sid, aid in assignment.items() if index[aid].is_sme
        )
        whole = rule.total_units
    else:
        sme_part = sum(1 for c in team if c.is_sme)
        whole = len(team)
    return TeamFacts(
        members=members,
        eligible_countries=frozenset(c.country for c in eligible),
        entities=frozenset(c.entity_id for c in eligible),
        country_entity_matching=max_country_entity_matching(
            (c.entity_id, c.country) for c in eligible
        ),
        sectors=frozenset(sectors),
        sme_rule=rule,
        sme_part=sme_part,
        whole=whole,
    )


def percent(share: Fraction | float) -> str:
    value = float(share) * 100
    return f"{value:.2f}".rstrip("0").rstrip(".") + " %"


def violations(
    assignment: Mapping[uuid.UUID, uuid.UUID],
    stages: Sequence[Stage],
    candidates: CandidatesArg,
    constraints: TeamConstraints,
) -> tuple[str, ...]:
    """Every rule the assignment breaks, in words (empty when the team is valid)."""
    index = by_id(candidates)
    out: list[str] = []
    for stage in stages:
        actor = assignment.get(stage.id)
        if actor is None:
            out.append(f"stage {stage.name!r} is not covered")
        elif actor not in index or not can_cover(index[actor], stage.id, constraints):
            out.append(f"stage {stage.name!r} is covered by an actor that cannot cover it")
    for actor in sorted(constraints.must_include):
        if actor not in index:
            out.append(f"must-include actor {actor} is not among the candidates")
        elif actor in constraints.exclude:
            out.append(f"must-include actor {index[actor].name} is excluded")
    if out:
        return tuple(out)
    facts = team_facts(assignment, stages, index, constraints)
    if len(facts.entities) < constraints.min_entities:
        out.append(
            f"{len(facts.entities)} independent legal entities; {constraints.min_entities} needed"
        )
    if facts.country_entity_matching < constraints.min_countries:
        out.append(
            f"{facts.country_entity_matching} independent entities in distinct eligible "
            f"countries; {constraints.min_countries} needed"
        )
    if len(facts.sectors) < constraints.min_nace_sections:
        out.append(f"{len(facts.sectors)} sectors; {constraints.min_nace_sections} needed")
    rule = facts.sme_rule
    if rule.share.denominator * facts.sme_part < rule.share.numerator * facts.whole:
        out.append(f"SME share {percent(facts.sme_share)} below {percent(rule.share)}")
    if len(facts.members) > constraints.max_team_size:
        out.append(f"{len(facts.members)} members; at most {constraints.max_team_size} allowed")
    return tuple(out)


def score_team(
    assignment: Mapping[uuid.UUID, uuid.UUID],
    stages: Sequence[Stage],
    candidates: CandidatesArg,
    constraints: TeamConstraints,
) -> ObjectiveBreakdown:
    """The objective of ``assignment`` (stage id → actor id) term by term.

    Members are the assigned actors plus the must-include ones. This is exactly the CP-SAT
    objective; it does not check the rules (see :func:`violations`).
    """
    index = by_id(candidates)
    basis = resolve_sector_basis(index.values(), constraints)
    facts = team_facts(assignment, stages, index, constraints, basis=basis)
    w = constraints.weights
    fit_raw = sum(fit_points(index[a].fit.get(s, 0.0)) for s, a in assignment.items())
    s3_raw = sum(s3_points(index[a].s3_alignment) for a in assignment.values())
    sme_raw = sum(1 for a in assignment.values() if index[a].is_sme)
    n_stages = len(assignment)
    sector_word = "NACE sections" if basis == "nace" else "ecosystems"
    raws = (
        ("fit", fit_raw, w.fit, f"fit of the {n_stages} stage assignments, in per-mille"),
        (
            "countries",
            len(facts.eligible_countries),
            w.countries,
            "distinct eligible countries (" + ", ".join(sorted(facts.eligible_countries)) + ")",
        ),
        (
            "sectors",
            len(facts.sectors),
            w.sectors,
            f"distinct {sector_word} (" + ", ".join(sorted(facts.sectors)) + ")",
        ),
        ("s3", s3_raw, w.s3, "S3 alignment of the actors covering the stages, in per-mille"),
        ("sme", sme_raw, w.sme, f"stages covered by an SME ({sme_raw} of {n_stages})"),
    )
    return ObjectiveBreakdown(
        tuple(
            ObjectiveTerm(
                name=name,
                raw=raw,
                weight=weight,
                contribution=raw * weight,
                description=f"{raw} x {weight}: {text}",
            )
            for name, raw, weight, text in raws
        )
    )
