"""Value-chain team proposals with OR-Tools CP-SAT.

:func:`propose_teams` returns up to ``k`` distinct teams (different member sets), best
first, or :class:`NoTeam` with plain-language reasons.

Model (see :mod:`synergia_matching.teams._cpsat` for the variables): every stage is covered
by exactly one actor that fits it, is established in an eligible country and is not
excluded; members are the covering actors plus the must-include ones; the team has at
least ``min_entities`` independent legal entities in eligible countries, at least
``min_countries`` independent entities established in pairwise different eligible
countries (a matching, so linked enterprises spread over two countries stand for one), at
least ``min_nace_sections`` sectors, the SME share, and at most ``max_team_size`` members.
All coefficients are integers (fit and S3 in per-mille, budgets scaled exactly by their
common denominator, the share as a fraction), so the objective the solver maximises equals
:func:`synergia_matching.teams.scoring.score_team` of its solution; the solver checks it.

``k`` best distinct teams: after each team a no-good cut forbids its member set and the
model is solved again. Each solve that CP-SAT proves OPTIMAL is "optimal" (best among the
teams not yet proposed); one stopped by the time limit is "feasible". The time limit is
for the whole call: the first solve may use half of it (all of it when ``k == 1``), each
later one an equal share of what is left. The greedy team
(:mod:`synergia_matching.teams.greedy`) is given to CP-SAT as a hint; should CP-SAT stop
before its first solution, the greedy team is returned as "feasible".

Pre-filter, and what it costs: with thousands of candidates per stage, only a few can be in
a good team. Per stage we keep the ``top_n_per_stage`` best by fit, plus the best candidate
per eligible country and per sector label, the best of each of the first ``top_n``
distinct independent entities, the best SME overall and per country, and the must-include
actors (see :func:`synergia_matching.teams._common.prefilter`). This keeps the country,
sector and SME options the rules may need, but it is a heuristic: a dropped candidate may
belong to the global optimum (say one with a middling fit but two NACE sections and a new
country), so "optimal" means optimal over the ``candidates_considered`` kept, which each
proposal states. Feasibility is not lost: when the filtered model is infeasible, the
solver re-solves over all candidates before saying that no team exists. Measured on random
instances of 10,000 candidates and 6 stages (2 cores, one CP-SAT worker with the full
linear relaxation, see :func:`synergia_matching.teams._cpsat.solve`):
``top_n_per_stage=40`` keeps about 380 candidates and proves its optimum in 0.2-0.3 s
(k=3: all three proven in 0.5-0.65 s); ``top_n_per_stage=160`` (about 930 candidates)
proves it in 0.6-0.9 s. Earlier, with two workers and the default relaxation (40: 0.4-2 s,
160: 1.5-7 s), three of five instances had an optimum 0.1-0.7 % lower with 40 than with
160, which equalled the unfiltered optimum where that was computed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace

from synergia_matching.teams import _cpsat
from synergia_matching.teams._common import (
    make_proposal,
    ordered_stages,
    prefilter,
    validate_inputs,
)
from synergia_matching.teams.feasibility import explain_infeasible, precheck
from synergia_matching.teams.greedy import greedy_assignment
from synergia_matching.teams.problem import Candidate, NoTeam, Proposal, Stage, TeamConstraints
from synergia_matching.teams.scoring import can_cover, resolve_sector_basis, sme_rule

#: When pre-checks pass but CP-SAT proves infeasibility, the explanation (a few feasibility
#: solves) may use at least this long even if the time limit is spent.
MIN_EXPLAIN_SECONDS = 1.0


def propose_teams(
    stages: Sequence[Stage],
    candidates: Sequence[Candidate],
    constraints: TeamConstraints | None = None,
) -> list[Proposal] | NoTeam:
    """Up to ``constraints.k`` distinct teams, best first, or why there is none."""
    cons = constraints or TeamConstraints()
    _cpsat.load_solver()
    deadline = time.monotonic() + cons.time_limit_seconds
    stage_list = ordered_stages(stages)
    cand_list = list(candidates)
    validate_inputs(stage_list, cand_list)
    reasons = precheck(stage_list, cand_list, cons)
    if reasons:
        return NoTeam(reasons)

    index = {c.actor_id: c for c in cand_list}
    basis = resolve_sector_basis(cand_list, cons)
    sme = sme_rule(stage_list, cons)
    must = frozenset(a for a in cons.must_include if a in index)
    usable = _usable(stage_list, cand_list, cons, must)
    kept = prefilter(stage_list, usable, cons, basis, cons.top_n_per_stage)
    # The pre-filtered model first; only if it has no team at all, every candidate.
    pools = [kept] if len(kept) == len(usable) else [kept, usable]
    problems = [_cpsat.Problem(stage_list, pool, cons, basis, sme, must) for pool in pools]
    for problem in problems:
        proposals, status = _best_teams(problem, index, deadline)
        if proposals:
            proposals.sort(key=lambda p: -p.objective)
            return [replace(p, rank=rank) for rank, p in enumerate(proposals, start=1)]
        if status != "infeasible":
            return NoTeam(
                (
                    f"no team was found within the time limit of {cons.time_limit_seconds:g} s "
                    "(the search was not finished; more time may find one)",
                )
            )
    left = max(deadline - time.monotonic(), MIN_EXPLAIN_SECONDS)
    return NoTeam(explain_infeasible(problems[-1], left))


def _usable(
    stages: Sequence[Stage],
    candidates: Sequence[Candidate],
    constraints: TeamConstraints,
    must: frozenset[uuid.UUID],
) -> tuple[Candidate, ...]:
    """The candidates that can be members (they cover a stage, or must be included), by id."""
    return tuple(
        sorted(
            (
                c
                for c in candidates
                if c.actor_id in must or any(can_cover(c, s.id, constraints) for s in stages)
            ),
            key=lambda c: c.actor_id,
        )
    )


def _best_teams(
    problem: _cpsat.Problem, index: Mapping[uuid.UUID, Candidate], deadline: float
) -> tuple[list[Proposal], _cpsat.SolveStatus]:
    """Up to ``k`` distinct teams of ``problem`` (unranked), and the last solve's status."""
    cons = problem.constraints
    built = _cpsat.build(problem)
    hint = greedy_assignment(problem.stages, problem.candidates, cons, problem.basis)
    if hint is not None:
        _cpsat.add_hint(built, hint, problem.must_include)
    proposals: list[Proposal] = []
    status: _cpsat.SolveStatus = "unknown"
    for i in range(cons.k):
        result = _solve_next(built, cons, deadline, i)
        status = result.status
        assignment = result.assignment
        objective = result.objective
        if assignment is None and i == 0 and status == "unknown" and hint is not None:
            # Time ran out before CP-SAT's first solution (presolve of a large model can
            # take seconds): the greedy team is the best found in time.
            assignment, objective = hint, None
        if assignment is None:
            break
        proposal = make_proposal(
            rank=0,
            assignment=assignment,
            stages=problem.stages,
            index=index,
            constraints=cons,
            status="optimal" if status == "optimal" else "feasible",
            candidates_considered=len(problem.candidates),
            solver_objective=objective,
        )
        proposals.append(proposal)
        _cpsat.add_nogood(built, proposal.member_ids)
    return proposals, status


def _solve_next(
    built: _cpsat.Built, constraints: TeamConstraints, deadline: float, i: int
) -> _cpsat.Solved:
    """Solve for the ``i``-th team: the first may take half the time left (all of it when
    ``k == 1``), each later one an equal share of what is left."""
    left = deadline - time.monotonic()
    if left <= 0:
        return _cpsat.Solved("unknown", None, None, 0.0)
    k = constraints.k
    share = left if k == 1 else (left / 2 if i == 0 else left / (k - i))
    result = _cpsat.solve(built, constraints, share)
    built.model.clear_hints()  # type: ignore[no-untyped-call]
    return result
