"""Why no team exists, in plain language.

:func:`precheck` runs before solving: cheap, exact-or-bounding tests that each name what
fails (a stage nobody can cover, too few eligible countries, an SME share out of reach,
...). They are necessary conditions, not sufficient ones: when they all pass but CP-SAT
still proves the model infeasible, :func:`explain_infeasible` finds a minimal set of
constraint groups that conflict with a deletion filter (drop a group; if the rest is still
infeasible the group is not needed for the conflict, else it is kept) and reports
"these constraints cannot all be met together: ...".

What can fail, and what cannot: one actor may cover several stages, so the number of
stages alone never exceeds the team size; the size rule fails only when the must-include
actors, or the stages whose every candidate covers that stage alone, already need more
members than allowed, or when the entity/country minimums exceed the maximum size.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from synergia_matching.teams import _cpsat
from synergia_matching.teams.problem import Candidate, Stage, TeamConstraints
from synergia_matching.teams.scoring import (
    SmeRule,
    can_cover,
    max_country_entity_matching,
    percent,
    resolve_sector_basis,
    sector_labels,
    sme_rule,
)


def _names(values: Sequence[str] | set[str] | frozenset[str]) -> str:
    return ", ".join(sorted(values))


# --- what a team can be made of ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TeamOptions:
    """What every team is drawn from: the usable must-include actors (present and not
    excluded) and, per stage, the candidates that may cover it (:func:`can_cover`).

    ``pool`` is every candidate that may be a member: the must-include ones, then each
    stage's coverers, once each.
    """

    stages: tuple[Stage, ...]
    must: tuple[Candidate, ...]
    coverers: Mapping[uuid.UUID, tuple[Candidate, ...]]
    pool: tuple[Candidate, ...]

    @property
    def eligible_pool(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.pool if c.country_eligible)

    def sme_can_cover(self, stage: Stage) -> bool:
        return any(c.is_sme for c in self.coverers[stage.id])


def team_options(
    stages: Sequence[Stage], candidates: Sequence[Candidate], constraints: TeamConstraints
) -> TeamOptions:
    index = {c.actor_id: c for c in candidates}
    must = tuple(
        index[a]
        for a in sorted(constraints.must_include)
        if a in index and a not in constraints.exclude
    )
    coverers = {
        s.id: tuple(c for c in candidates if can_cover(c, s.id, constraints)) for s in stages
    }
    pool: dict[uuid.UUID, Candidate] = {c.actor_id: c for c in must}
    for usable in coverers.values():
        pool.update((c.actor_id, c) for c in usable)
    return TeamOptions(tuple(stages), must, coverers, tuple(pool.values()))


# --- findings: what makes every team impossible, and how each is worded -----------------


@dataclass(frozen=True, slots=True)
class NoStages:
    @property
    def reason(self) -> str:
        return "the value chain has no stages to cover"


@dataclass(frozen=True, slots=True)
class MustIncludeMissing:
    actor_id: uuid.UUID

    @property
    def reason(self) -> str:
        return f"must-include actor {self.actor_id} is not among the candidates"


@dataclass(frozen=True, slots=True)
class MustIncludeExcluded:
    name: str

    @property
    def reason(self) -> str:
        return f"must-include actor {self.name!r} is excluded"


@dataclass(frozen=True, slots=True)
class StageNobodyFits:
    stage: str

    @property
    def reason(self) -> str:
        return f"stage {self.stage!r} has no candidate: no actor fits it"


@dataclass(frozen=True, slots=True)
class StageOnlyInThirdCountries:
    stage: str
    fitting: int
    countries: frozenset[str]

    @property
    def reason(self) -> str:
        return (
            f"stage {self.stage!r} has no candidate in an eligible country "
            f"(its {self.fitting} fitting candidate(s) are in {_names(self.countries)}, "
            "a third country)"
        )


@dataclass(frozen=True, slots=True)
class StageAllExcluded:
    stage: str
    eligible: int

    @property
    def reason(self) -> str:
        return (
            f"stage {self.stage!r} has no candidate left: all {self.eligible} fitting "
            "candidate(s) in eligible countries are excluded"
        )


@dataclass(frozen=True, slots=True)
class TooFewCountries:
    countries: frozenset[str]
    needed: int

    @property
    def reason(self) -> str:
        n = len(self.countries)
        return (
            f"only {n} eligible countr{'y' if n == 1 else 'ies'} "
            f"among the candidates ({_names(self.countries) or 'none'}); "
            f"{self.needed} are needed"
        )


@dataclass(frozen=True, slots=True)
class TooFewCountryEntities:
    matched: int
    countries: frozenset[str]
    needed: int

    @property
    def reason(self) -> str:
        return (
            "linked enterprises count once: the candidates' independent legal entities "
            f"can stand for at most {self.matched} different eligible countries "
            f"(of {_names(self.countries)}); {self.needed} are needed"
        )


@dataclass(frozen=True, slots=True)
class TooFewEntities:
    entities: int
    needed: int

    @property
    def reason(self) -> str:
        n = self.entities
        return (
            f"only {n} independent legal entit"
            f"{'y' if n == 1 else 'ies'} in eligible countries among the "
            f"candidates (linked enterprises count once); {self.needed} are needed"
        )


@dataclass(frozen=True, slots=True)
class TooFewSectors:
    sectors: frozenset[str]
    basis: Literal["nace", "ecosystems"]
    needed: int

    @property
    def reason(self) -> str:
        n = len(self.sectors)
        word = "NACE section" if self.basis == "nace" else "ecosystem"
        return (
            f"only {n} {word}{'' if n == 1 else 's'} among the "
            f"candidates ({_names(self.sectors) or 'none'}); {self.needed} are needed "
            "for a cross-sectoral chain"
        )


@dataclass(frozen=True, slots=True)
class SmeBudgetShareOutOfReach:
    required: Fraction
    reachable: Fraction

    @property
    def reason(self) -> str:
        return (
            f"the SME budget share cannot reach {percent(self.required)}: the stages SMEs can "
            f"cover hold at most {percent(self.reachable)} of the budget"
        )


@dataclass(frozen=True, slots=True)
class SmeMemberShareOutOfReach:
    required: Fraction
    sme_max: int
    non_sme_min: int

    @property
    def best(self) -> Fraction:
        whole = self.sme_max + self.non_sme_min
        return Fraction(self.sme_max, whole) if whole else Fraction(1)

    @property
    def reason(self) -> str:
        return (
            f"the SME share of members cannot reach {percent(self.required)}: at most "
            f"{self.sme_max} SME(s) against at least {self.non_sme_min} other member(s) "
            f"({percent(self.best)})"
        )


@dataclass(frozen=True, slots=True)
class TooManyMustInclude:
    must: int
    size: int

    @property
    def reason(self) -> str:
        return f"{self.must} must-include actors, but at most {self.size} members allowed"


@dataclass(frozen=True, slots=True)
class TooFewSeats:
    size: int
    must: int
    lonely: int  # stages whose every coverer covers that stage alone
    one_for_the_rest: bool  # other open stages need at least one more member

    @property
    def need(self) -> int:
        return self.must + self.lonely + (1 if self.one_for_the_rest else 0)

    @property
    def reason(self) -> str:
        return (
            f"at most {self.size} members allowed, but at least {self.need} are needed: "
            f"{self.must} must-include actor(s) plus {self.lonely} stage(s) whose "
            "candidates cover no other stage, each needing its own member"
            + (", plus one for the other stages" if self.one_for_the_rest else "")
        )


@dataclass(frozen=True, slots=True)
class MinimumOverSize:
    what: Literal["independent entities", "countries"]
    minimum: int
    size: int

    @property
    def reason(self) -> str:
        return (
            f"at least {self.minimum} {self.what} are needed, "
            f"but at most {self.size} members allowed"
        )


Finding = (
    NoStages
    | MustIncludeMissing
    | MustIncludeExcluded
    | StageNobodyFits
    | StageOnlyInThirdCountries
    | StageAllExcluded
    | TooFewCountries
    | TooFewCountryEntities
    | TooFewEntities
    | TooFewSectors
    | SmeBudgetShareOutOfReach
    | SmeMemberShareOutOfReach
    | TooManyMustInclude
    | TooFewSeats
    | MinimumOverSize
)


# --- the impossibility rules (pure; each a necessary condition for any team) ------------


def must_include_problems(
    candidates: Sequence[Candidate], constraints: TeamConstraints
) -> tuple[MustIncludeMissing | MustIncludeExcluded, ...]:
    """A must-include actor has to be a candidate, and not one the request excludes."""
    index = {c.actor_id: c for c in candidates}
    found: list[MustIncludeMissing | MustIncludeExcluded] = []
    for actor in sorted(constraints.must_include):
        if actor not in index:
            found.append(MustIncludeMissing(actor))
        elif actor in constraints.exclude:
            found.append(MustIncludeExcluded(index[actor].name))
    return tuple(found)


def uncoverable_stage(
    stage: Stage, options: TeamOptions, candidates: Sequence[Candidate]
) -> StageNobodyFits | StageOnlyInThirdCountries | StageAllExcluded | None:
    """Every stage needs a candidate that fits it, is established in an eligible country
    (third-country actors cover no stage, DOMAIN.md "Actors") and is not excluded; when
    none is, the finding names the first of these that no candidate passes."""
    if options.coverers[stage.id]:
        return None
    fitting = [c for c in candidates if c.fit.get(stage.id, 0.0) > 0]
    eligible = [c for c in fitting if c.country_eligible]
    if not fitting:
        return StageNobodyFits(stage.name)
    if not eligible:
        return StageOnlyInThirdCountries(
            stage.name, len(fitting), frozenset(c.country for c in fitting)
        )
    return StageAllExcluded(stage.name, len(eligible))


def too_few_countries(options: TeamOptions, constraints: TeamConstraints) -> TooFewCountries | None:
    """At least ``min_countries`` different eligible countries among the possible members
    (H2020 Rules for Participation Art. 9(1): "... in 3 different Member States or
    Associated Countries")."""
    countries = frozenset(c.country for c in options.eligible_pool)
    if len(countries) < constraints.min_countries:
        return TooFewCountries(countries, constraints.min_countries)
    return None


def too_few_country_entities(
    options: TeamOptions, constraints: TeamConstraints
) -> TooFewCountryEntities | None:
    """The countries must be stood for by distinct independent entities (Art. 9(1)):
    linked enterprises in two countries count for one, so the largest entity-to-country
    matching must reach ``min_countries``."""
    eligible = options.eligible_pool
    matched = max_country_entity_matching((c.entity_id, c.country) for c in eligible)
    if matched < constraints.min_countries:
        countries = frozenset(c.country for c in eligible)
        return TooFewCountryEntities(matched, countries, constraints.min_countries)
    return None


def too_few_entities(options: TeamOptions, constraints: TeamConstraints) -> TooFewEntities | None:
    """At least ``min_entities`` independent legal entities established in eligible
    countries among the possible members (Art. 9(1); linked enterprises count once)."""
    entities = len({c.entity_id for c in options.eligible_pool})
    if entities < constraints.min_entities:
        return TooFewEntities(entities, constraints.min_entities)
    return None


def too_few_sectors(
    options: TeamOptions, candidates: Sequence[Candidate], constraints: TeamConstraints
) -> TooFewSectors | None:
    """At least ``min_nace_sections`` sectors among the possible members: a cross-sectoral
    chain (INNOSUP-01), counted in NACE sections or ecosystems as
    :func:`resolve_sector_basis` decides over all candidates."""
    basis = resolve_sector_basis(candidates, constraints)
    sectors: set[str] = set()
    for c in options.pool:
        sectors |= sector_labels(c, basis)
    if len(sectors) < constraints.min_nace_sections:
        return TooFewSectors(frozenset(sectors), basis, constraints.min_nace_sections)
    return None


def sme_budget_share_out_of_reach(
    options: TeamOptions, rule: SmeRule
) -> SmeBudgetShareOutOfReach | None:
    """With stage budgets, SMEs must receive ``rule.share`` of the total (INNOSUP-01: at
    least 75 %); they can at most receive the budgets of the stages an SME can cover."""
    total = rule.total_units
    if rule.basis != "budget" or not total:
        return None
    reach = sum(rule.budget_units[s.id] for s in options.stages if options.sme_can_cover(s))
    if Fraction(reach, total) < rule.share:
        return SmeBudgetShareOutOfReach(rule.share, Fraction(reach, total))
    return None


def _needs_a_non_sme(options: TeamOptions, constraints: TeamConstraints) -> bool:
    """Some stage only non-SMEs can cover, and no non-SME must-include actor covers it."""
    by_must = {
        s.id
        for s in options.stages
        for c in options.must
        if not c.is_sme and can_cover(c, s.id, constraints)
    }
    return any(
        options.coverers[s.id] and not options.sme_can_cover(s) and s.id not in by_must
        for s in options.stages
    )


def sme_member_share_out_of_reach(
    options: TeamOptions, constraints: TeamConstraints, rule: SmeRule
) -> SmeMemberShareOutOfReach | None:
    """Without stage budgets, ``rule.share`` of the members must be SMEs (a Synergia stand-in
    for the budget rule, see problem.py). The best share possible: every SME must-include
    actor plus one SME per stage an SME can cover, against the non-SME must-include actors
    plus one non-SME when some stage only non-SMEs can cover."""
    if rule.basis != "members" or rule.share <= 0:
        return None
    sme_must = sum(1 for c in options.must if c.is_sme)
    sme_max = sme_must + sum(1 for s in options.stages if options.sme_can_cover(s))
    non_sme_min = len(options.must) - sme_must + _needs_a_non_sme(options, constraints)
    finding = SmeMemberShareOutOfReach(rule.share, sme_max, non_sme_min)
    return finding if finding.best < rule.share else None


def too_many_must_include(
    options: TeamOptions, constraints: TeamConstraints
) -> TooManyMustInclude | None:
    """The must-include actors alone must fit within ``max_team_size``."""
    if len(options.must) > constraints.max_team_size:
        return TooManyMustInclude(len(options.must), constraints.max_team_size)
    return None


def _covers_only(stage: Stage, options: TeamOptions, constraints: TeamConstraints) -> bool:
    """Every candidate for ``stage`` covers no other stage: it needs a member of its own."""
    others = [o for o in options.stages if o.id != stage.id]
    return all(
        not any(can_cover(c, o.id, constraints) for o in others) for c in options.coverers[stage.id]
    )


def too_few_seats(options: TeamOptions, constraints: TeamConstraints) -> TooFewSeats | None:
    """Members needed at least: the must-include actors, one per open stage whose
    candidates cover that stage alone, and one more if other stages are still open; this
    must fit within ``max_team_size`` (one actor may cover several stages, so the number of
    stages alone is no bound)."""
    covered = {
        s.id for s in options.stages for c in options.must if can_cover(c, s.id, constraints)
    }
    open_stages = [s for s in options.stages if s.id not in covered and options.coverers[s.id]]
    lonely = sum(1 for s in open_stages if _covers_only(s, options, constraints))
    finding = TooFewSeats(
        constraints.max_team_size, len(options.must), lonely, len(open_stages) > lonely
    )
    return finding if finding.need > finding.size else None


def minimums_over_size(constraints: TeamConstraints) -> tuple[MinimumOverSize, ...]:
    """Each member is one entity in one country: the entity and country minimums cannot
    exceed ``max_team_size``."""
    size = constraints.max_team_size
    minimums: tuple[tuple[Literal["independent entities", "countries"], int], ...] = (
        ("independent entities", constraints.min_entities),
        ("countries", constraints.min_countries),
    )
    return tuple(MinimumOverSize(what, n, size) for what, n in minimums if n > size)


# --- running them -------------------------------------------------------------------------


def impossibilities(
    stages: Sequence[Stage], candidates: Sequence[Candidate], constraints: TeamConstraints
) -> tuple[Finding, ...]:
    """Every finding that makes all teams impossible, in the order they are reported."""
    if not stages:
        return (NoStages(),)
    options = team_options(stages, candidates, constraints)
    rule = sme_rule(stages, constraints)
    # At most one finding per line: in a pair joined by ``or`` the second rule is asked
    # only when the first passes (for countries and size it would repeat the first's
    # point; the two SME rules apply to different bases anyway).
    team_rules: tuple[Finding | None, ...] = (
        too_few_countries(options, constraints) or too_few_country_entities(options, constraints),
        too_few_entities(options, constraints),
        too_few_sectors(options, candidates, constraints),
        sme_budget_share_out_of_reach(options, rule)
        or sme_member_share_out_of_reach(options, constraints, rule),
        too_many_must_include(options, constraints) or too_few_seats(options, constraints),
    )
    return (
        *must_include_problems(candidates, constraints),
        *(f for s in stages if (f := uncoverable_stage(s, options, candidates))),
        *(f for f in team_rules if f is not None),
        *minimums_over_size(constraints),
    )


def precheck(
    stages: Sequence[Stage], candidates: Sequence[Candidate], constraints: TeamConstraints
) -> tuple[str, ...]:
    """Reasons that make every team impossible (empty when none was found)."""
    return tuple(f.reason for f in impossibilities(stages, candidates, constraints))


def describe_group(group: str, problem: _cpsat.Problem) -> str:
    cons = problem.constraints
    if group == "must_include":
        names = sorted(c.name for c in problem.candidates if c.actor_id in problem.must_include)
        return "the must-include actors (" + ", ".join(names) + ") are members"
    if group == "entities":
        return f"at least {cons.min_entities} independent legal entities"
    if group == "countries":
        return (
            f"at least {cons.min_countries} independent entities established in "
            f"{cons.min_countries} different eligible countries"
        )
    if group == "sections":
        word = "NACE sections" if problem.basis == "nace" else "ecosystems"
        return f"at least {cons.min_nace_sections} distinct {word}"
    if group == "sme_share":
        if problem.sme.basis == "budget":
            return f"SMEs receive at least {percent(problem.sme.share)} of the budget"
        return f"at least {percent(problem.sme.share)} of the members are SMEs"
    if group == "team_size":
        return f"at most {cons.max_team_size} member{'' if cons.max_team_size == 1 else 's'}"
    raise ValueError(group)


def explain_infeasible(problem: _cpsat.Problem, seconds: float) -> tuple[str, ...]:
    """A minimal conflicting set of constraint groups (deletion filter), in words.

    Every stage covered by exactly one actor is always on; each sub-solve is a pure
    feasibility check. A group whose check times out is kept (the set is then possibly not
    minimal, and the reason says so).
    """
    deadline = time.monotonic() + seconds
    active = [g for g in _cpsat.GROUPS if g != "must_include" or problem.must_include]
    undecided = False
    for group in list(active):
        trial = [g for g in active if g != group]
        left = deadline - time.monotonic()
        if left <= 0:
            undecided = True
            break
        result = _cpsat.solve(
            _cpsat.build(problem, trial, with_objective=False),
            problem.constraints,
            left / 2,
        )
        if result.status == "infeasible":
            active = trial
        elif result.status == "unknown":
            undecided = True
    if not active:
        return ("the stages cannot all be covered by the candidates left",)
    text = "these constraints cannot all be met together: " + "; ".join(
        describe_group(g, problem) for g in active
    )
    if undecided:
        text += " (the search ran out of time, so some of these may not be needed)"
    return (text,)
