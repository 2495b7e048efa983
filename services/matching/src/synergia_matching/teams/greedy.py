"""A greedy baseline for team proposals (for benchmarks; the solver is the real thing).

Per stage it picks the best-fit actor that may cover it, then repairs the rules by single
swaps: each round tries every (stage, alternative candidate) swap and applies the one that
most reduces the rule deficit (missing entities, countries and sectors, the SME share gap,
members over the limit), ties broken by the higher objective. It stops when the team is
valid, or returns ``None`` when no swap helps any more. Alternatives per stage come from
the same pre-filter as the solver (``top_n_per_stage`` best plus country/sector/SME
options), so the two see the same candidates.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import Literal

from synergia_matching.teams._common import (
    make_proposal,
    ordered_stages,
    prefilter,
    validate_inputs,
)
from synergia_matching.teams.feasibility import precheck
from synergia_matching.teams.problem import Candidate, Proposal, Stage, TeamConstraints
from synergia_matching.teams.scoring import (
    can_cover,
    resolve_sector_basis,
    score_team,
    team_facts,
)

MAX_REPAIR_ROUNDS = 50


def _by_fit(stage_id: uuid.UUID) -> Callable[[Candidate], tuple[float, float, uuid.UUID]]:
    def key(c: Candidate) -> tuple[float, float, uuid.UUID]:
        return (-c.fit.get(stage_id, 0.0), -c.s3_alignment, c.actor_id)

    return key


def greedy_team(
    stages: Sequence[Stage],
    candidates: Sequence[Candidate],
    constraints: TeamConstraints | None = None,
) -> Proposal | None:
    """A valid team found greedily (status "feasible"), or ``None`` when repair fails."""
    cons = constraints or TeamConstraints()
    stage_list = ordered_stages(stages)
    cand_list = list(candidates)
    validate_inputs(stage_list, cand_list)
    if precheck(stage_list, cand_list, cons):
        return None
    basis = resolve_sector_basis(cand_list, cons)
    pool = prefilter(stage_list, cand_list, cons, basis, cons.top_n_per_stage)
    assignment = greedy_assignment(stage_list, pool, cons, basis)
    if assignment is None:
        return None
    return make_proposal(
        rank=1,
        assignment=assignment,
        stages=stage_list,
        index={c.actor_id: c for c in cand_list},
        constraints=cons,
        status="feasible",
        candidates_considered=len(pool),
    )


def greedy_assignment(
    stages: Sequence[Stage],
    pool: Sequence[Candidate],
    constraints: TeamConstraints,
    basis: Literal["nace", "ecosystems"],
) -> dict[uuid.UUID, uuid.UUID] | None:
    """Best fit per stage, then deficit-reducing swaps over ``pool``; ``None`` if stuck.

    ``pool`` must contain the must-include actors; ``basis`` is the sector basis resolved
    over all candidates (scoring a small pool then gives the same numbers as the full list).
    """
    cons = constraints
    fixed = replace(cons, sector_basis=basis)
    index: dict[uuid.UUID, Candidate] = {c.actor_id: c for c in pool}
    options = {
        s.id: sorted((c for c in pool if can_cover(c, s.id, cons)), key=_by_fit(s.id))
        for s in stages
    }
    if any(not options[s.id] for s in stages):
        return None
    assignment = {s.id: options[s.id][0].actor_id for s in stages}

    def deficit(a: Mapping[uuid.UUID, uuid.UUID]) -> Fraction:
        facts = team_facts(a, stages, index, fixed, basis=basis)
        gap = max(Fraction(0), facts.sme_rule.share - facts.sme_share)
        return (
            max(0, cons.min_entities - len(facts.entities))
            + max(0, cons.min_countries - facts.country_entity_matching)
            + max(0, cons.min_nace_sections - len(facts.sectors))
            + max(0, len(facts.members) - cons.max_team_size)
            + 4 * gap
        )

    current = deficit(assignment)
    for _ in range(MAX_REPAIR_ROUNDS):
        if current == 0:
            return assignment
        best: tuple[Fraction, int, dict[uuid.UUID, uuid.UUID]] | None = None
        for stage in stages:
            for cand in options[stage.id]:
                if cand.actor_id == assignment[stage.id]:
                    continue
                trial = {**assignment, stage.id: cand.actor_id}
                d = deficit(trial)
                if d >= current or (best is not None and d > best[0]):
                    continue
                objective = score_team(trial, stages, index, fixed).total
                if best is None or (d, -objective) < (best[0], -best[1]):
                    best = (d, objective, trial)
        if best is None:
            return None
        current, _, assignment = best
    return assignment if current == 0 else None
