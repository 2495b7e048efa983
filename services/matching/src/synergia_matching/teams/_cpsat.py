"""The CP-SAT model of the team problem (internal; used by the solver and the explainer).

Variables
    ``x[a, s]`` actor ``a`` covers stage ``s`` (only where :func:`can_cover`);
    ``y[a]`` actor ``a`` is a member: OR of its ``x`` (must-include actors: fixed to 1);
    ``c[country]`` some member is in that eligible country (exactly the OR, so the
    objective equals :func:`score_team` for every solution, not only the optimal one);
    ``t[label]`` some member carries that sector label (exactly the OR);
    ``e[entity]`` ≤ OR of the entity's eligible members (rule only);
    ``z[entity, country]`` a matching of entities to distinct countries (rule only).

Constraint groups (each can be switched off to explain an infeasibility)
    ``must_include``, ``entities``, ``countries``, ``sections``, ``sme_share``,
    ``team_size``. Stage coverage (each stage exactly one actor) is always on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from synergia_matching.teams.problem import Candidate, Stage, TeamConstraints
from synergia_matching.teams.scoring import (
    SmeRule,
    can_cover,
    fit_points,
    s3_points,
    sector_labels,
)

GROUPS: tuple[str, ...] = (
    "must_include",
    "entities",
    "countries",
    "sections",
    "sme_share",
    "team_size",
)

if TYPE_CHECKING:
    from ortools.sat.python import cp_model


def load_solver() -> None:
    """Import OR-Tools now. It (and the pandas it loads) costs a second or more to import,
    so a service loads it on its first team request rather than at start; callers load it
    before they start the clock of a time limit, which the import must not eat into."""
    from ortools.sat.python import cp_model  # noqa: F401


SolveStatus = Literal["optimal", "feasible", "infeasible", "unknown"]


@dataclass(frozen=True, slots=True)
class Problem:
    """A team problem over a (possibly pre-filtered) candidate list."""

    stages: tuple[Stage, ...]
    candidates: tuple[Candidate, ...]  # the candidates in the model, sorted by actor id
    constraints: TeamConstraints
    basis: Literal["nace", "ecosystems"]
    sme: SmeRule
    must_include: frozenset[uuid.UUID]  # must-include actors present among the candidates


@dataclass(slots=True)
class Built:
    model: cp_model.CpModel
    x: dict[tuple[uuid.UUID, uuid.UUID], cp_model.IntVar] = field(default_factory=dict)
    y: dict[uuid.UUID, cp_model.IntVar] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Solved:
    status: SolveStatus
    assignment: Mapping[uuid.UUID, uuid.UUID] | None
    objective: int | None
    wall_seconds: float


def _add(model: cp_model.CpModel, ct: object) -> None:
    """Add a linear constraint; a constant one (an empty sum) is checked right away."""
    if isinstance(ct, bool):
        if not ct:
            model.add_bool_or([])  # the empty clause: infeasible
        return
    model.add(ct)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class _Members:
    """The candidates that may be members (those with a ``y``), grouped as the rules count
    them; only eligible members count for countries and entities."""

    of: Mapping[uuid.UUID, Candidate]
    by_country: Mapping[str, list[uuid.UUID]]
    by_sector: Mapping[str, list[uuid.UUID]]
    by_entity: Mapping[uuid.UUID, list[uuid.UUID]]
    by_pair: Mapping[tuple[uuid.UUID, str], list[uuid.UUID]]


def build(
    problem: Problem,
    groups: Iterable[str] = GROUPS,
    *,
    with_objective: bool = True,
) -> Built:
    """The model of ``problem`` with the constraint ``groups`` given switched on.

    Variables and constraints are added in a fixed order: CP-SAT's search, and so which of
    equally good teams it returns, depends on it.
    """
    from ortools.sat.python import cp_model  # see load_solver

    groups = frozenset(groups)
    cons = problem.constraints
    built = Built(cp_model.CpModel())
    forced = problem.must_include if "must_include" in groups else frozenset()
    _add_coverage(built, problem, forced)
    members = _group_members(built, problem)
    country_vars = _exact_or(built, "c", members.by_country)
    sector_vars = _exact_or(built, "t", members.by_sector)
    _add_aggregate_cuts(built, problem, members, forced, country_vars, sector_vars)
    if "entities" in groups and cons.min_entities > 0:
        _add_entity_rule(built, members, cons.min_entities)
    if "countries" in groups and cons.min_countries > 0:
        _add_country_rule(built, members, cons.min_countries)
    if "sections" in groups and cons.min_nace_sections > 0:
        _add(built.model, sum(sector_vars) >= cons.min_nace_sections)
    if "sme_share" in groups:
        _add_sme_share(built, members, problem.sme)
    if "team_size" in groups:
        _add(built.model, sum(built.y.values()) <= cons.max_team_size)
    if with_objective:
        _set_objective(built, members, cons, country_vars, sector_vars)
    return built


def _add_coverage(built: Built, problem: Problem, forced: frozenset[uuid.UUID]) -> None:
    """``x[a, s]`` where ``a`` can cover ``s``; ``y[a]`` exactly the OR of ``a``'s ``x``
    (1 when forced), for the actors that cover a stage or are forced; each stage covered
    by exactly one actor."""
    model, x, y = built.model, built.x, built.y
    by_stage: dict[uuid.UUID, list[cp_model.IntVar]] = {s.id: [] for s in problem.stages}
    for cand in problem.candidates:
        a = cand.actor_id
        mine: list[cp_model.IntVar] = []
        for stage in problem.stages:
            if can_cover(cand, stage.id, problem.constraints):
                var = model.new_bool_var(f"x[{a},{stage.id}]")
                x[a, stage.id] = var
                by_stage[stage.id].append(var)
                mine.append(var)
        if not mine and a not in forced:
            continue
        y[a] = model.new_bool_var(f"y[{a}]")
        for var in mine:
            model.add_implication(var, y[a])
        if a in forced:
            model.add(y[a] == 1)
        else:
            model.add(y[a] <= sum(mine))
    for stage in problem.stages:
        model.add_exactly_one(by_stage[stage.id])


def _group_members(built: Built, problem: Problem) -> _Members:
    members = {c.actor_id: c for c in problem.candidates if c.actor_id in built.y}
    by_country: dict[str, list[uuid.UUID]] = {}
    by_sector: dict[str, list[uuid.UUID]] = {}
    by_entity: dict[uuid.UUID, list[uuid.UUID]] = {}
    by_pair: dict[tuple[uuid.UUID, str], list[uuid.UUID]] = {}
    for a, cand in members.items():
        for label in sector_labels(cand, problem.basis):
            by_sector.setdefault(label, []).append(a)
        if cand.country_eligible:
            by_country.setdefault(cand.country, []).append(a)
            by_entity.setdefault(cand.entity_id, []).append(a)
            by_pair.setdefault((cand.entity_id, cand.country), []).append(a)
    return _Members(members, by_country, by_sector, by_entity, by_pair)


def _exact_or(
    built: Built, name: str, groups_of: Mapping[str, list[uuid.UUID]]
) -> list[cp_model.IntVar]:
    """One variable per group, equal to the OR of its members' ``y`` (in key order)."""
    out = []
    for key in sorted(groups_of):
        var = built.model.new_bool_var(f"{name}[{key}]")
        lits = [built.y[a] for a in groups_of[key]]
        for lit in lits:
            built.model.add_implication(lit, var)
        built.model.add(var <= sum(lits))
        out.append(var)
    return out


def _add_aggregate_cuts(
    built: Built,
    problem: Problem,
    members: _Members,
    forced: frozenset[uuid.UUID],
    country_vars: list[cp_model.IntVar],
    sector_vars: list[cp_model.IntVar],
) -> None:
    """Redundant aggregate cuts: presolve turns the ORs into clauses, which the LP
    relaxation sees only weakly; without these the objective bound stays far too loose
    to ever prove optimality (every country and sector would count as "half present")."""
    y = built.y
    n_forced = sum(1 for a in y if a in forced)
    _add(built.model, sum(y.values()) <= len(problem.stages) + n_forced)
    eligible = sum(y[a] for a, c in members.of.items() if c.country_eligible)
    _add(built.model, sum(country_vars) <= eligible)
    labels = sum(len(sector_labels(c, problem.basis)) * y[a] for a, c in members.of.items())
    _add(built.model, sum(sector_vars) <= labels)


def _add_entity_rule(built: Built, members: _Members, minimum: int) -> None:
    """``e[entity]`` ≤ OR of the entity's eligible members; at least ``minimum`` of them."""
    e_vars = []
    for entity, actors in members.by_entity.items():
        var = built.model.new_bool_var(f"e[{entity}]")
        built.model.add(var <= sum(built.y[a] for a in actors))
        e_vars.append(var)
    _add(built.model, sum(e_vars) >= minimum)


def _add_country_rule(built: Built, members: _Members, minimum: int) -> None:
    """``z[entity, country]``: a matching of entities to distinct countries (linked
    enterprises in two countries stand for one), of at least ``minimum`` pairs."""
    model = built.model
    z: dict[tuple[uuid.UUID, str], cp_model.IntVar] = {}
    for (entity, country), actors in members.by_pair.items():
        var = model.new_bool_var(f"z[{entity},{country}]")
        model.add(var <= sum(built.y[a] for a in actors))
        z[entity, country] = var
    for entity in members.by_entity:
        model.add_at_most_one(v for (e, _), v in z.items() if e == entity)
    for country in members.by_country:
        model.add_at_most_one(v for (_, c), v in z.items() if c == country)
    _add(model, sum(z.values()) >= minimum)


def _add_sme_share(built: Built, members: _Members, sme: SmeRule) -> None:
    """``den * sme_part >= num * whole``: budget units of SME-covered stages against the
    total, or SME members against all members."""
    num, den = sme.share.numerator, sme.share.denominator
    if sme.basis == "budget":
        units = sme.budget_units
        sme_budget = sum(
            units[s] * var for (a, s), var in built.x.items() if members.of[a].is_sme and units[s]
        )
        _add(built.model, den * sme_budget >= num * sme.total_units)
    else:
        sme_members = sum(var for a, var in built.y.items() if members.of[a].is_sme)
        _add(built.model, den * sme_members >= num * sum(built.y.values()))


def _set_objective(
    built: Built,
    members: _Members,
    constraints: TeamConstraints,
    country_vars: list[cp_model.IntVar],
    sector_vars: list[cp_model.IntVar],
) -> None:
    """Maximise :func:`score_team`'s terms: per stage the covering actor's fit, S3 and SME
    points; per eligible country and per sector present their weight."""
    w = constraints.weights
    terms = []
    for (a, s), var in built.x.items():
        cand = members.of[a]
        coef = (
            w.fit * fit_points(cand.fit.get(s, 0.0))
            + w.s3 * s3_points(cand.s3_alignment)
            + (w.sme if cand.is_sme else 0)
        )
        if coef:
            terms.append(coef * var)
    terms.extend(w.countries * v for v in country_vars)
    terms.extend(w.sectors * v for v in sector_vars)
    built.model.maximize(sum(terms))


def add_hint(
    built: Built, assignment: Mapping[uuid.UUID, uuid.UUID], forced: frozenset[uuid.UUID]
) -> None:
    """Start the search from a known team (e.g. the greedy one)."""
    built.model.clear_hints()  # type: ignore[no-untyped-call]
    chosen = {(a, s) for s, a in assignment.items()}
    for key, var in built.x.items():
        built.model.add_hint(var, key in chosen)
    members = set(assignment.values())
    for a, var in built.y.items():
        built.model.add_hint(var, a in members or (a in forced))


def add_nogood(built: Built, team: frozenset[uuid.UUID]) -> None:
    """Forbid exactly this member set (another team must differ in at least one member)."""
    literals: list[cp_model.LiteralT] = [built.y[a].Not() for a in team if a in built.y]
    literals += [var for a, var in built.y.items() if a not in team]
    built.model.add_bool_or(literals)


def solve(built: Built, constraints: TeamConstraints, seconds: float) -> Solved:
    from ortools.sat.python import cp_model  # see load_solver

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(seconds, 0.01)
    solver.parameters.num_workers = constraints.num_workers
    solver.parameters.random_seed = constraints.random_seed
    # Probing in presolve costs seconds on models with a few thousand candidates and delays
    # the first solution; measured faster to a proven optimum without it (see the bench).
    solver.parameters.cp_model_probing_level = 0
    # What takes the time is proving the bound, not finding the team (the greedy hint plus
    # a few moves reach the optimum within 0.2 s). The full linear relaxation with its cuts
    # (level 2: the at-most-one and OR constraints in the LP) closes the gap: on the team
    # bench (6 stages, 10,000 actors, ~380 kept) one worker proves the optimum in 0.2-0.3 s
    # against 1.3-6.5 s at level 1 with 2 workers; a second worker only shares the CPU
    # with this one (and the request) and was slower (0.7-1.6 s).
    solver.parameters.linearization_level = 2
    status = solver.solve(built.model)
    wall = solver.wall_time
    if status == cp_model.INFEASIBLE:
        return Solved("infeasible", None, None, wall)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if status == cp_model.MODEL_INVALID:
            raise RuntimeError(f"invalid CP-SAT model: {built.model.validate()}")
        return Solved("unknown", None, None, wall)
    assignment: dict[uuid.UUID, uuid.UUID] = {}
    for (a, s), var in built.x.items():
        if solver.boolean_value(var):
            assignment[s] = a
    objective = round(solver.objective_value) if built.model.has_objective() else None
    return Solved(
        "optimal" if status == cp_model.OPTIMAL else "feasible", assignment, objective, wall
    )
