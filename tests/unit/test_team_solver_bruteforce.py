"""Property: on small random instances the CP-SAT solver agrees with brute force.

Brute force enumerates every assignment of the stages to the actors that may cover them,
keeps those meeting the rules (:func:`violations`) and scores them with :func:`score_team`.
The solver must find the same optimum, the same next-best distinct member sets (k = 3), and
say "no team" exactly when brute force finds none.
"""

from __future__ import annotations

import itertools
import uuid
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synergia_matching.teams import (
    Candidate,
    NoTeam,
    Stage,
    TeamConstraints,
    propose_teams,
    score_team,
    violations,
)
from synergia_matching.teams.scoring import can_cover

COUNTRIES = [("DE", True), ("FR", True), ("IT", True), ("NO", True), ("US", False)]
FITS = [0.0, 0.25, 0.5, 0.75, 1.0]


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Stage], list[Candidate], TeamConstraints]:
    n_stages = draw(st.integers(2, 3))
    budgets = draw(st.booleans())
    stages = [
        Stage(
            uid(10_000 + i),
            f"stage {i}",
            i,
            Decimal(draw(st.integers(0, 40))) / 4 if budgets else None,
        )
        for i in range(n_stages)
    ]
    n = draw(st.integers(3, 7))
    candidates = []
    for i in range(n):
        country, eligible = draw(st.sampled_from(COUNTRIES))
        candidates.append(
            Candidate(
                actor_id=uid(i + 1),
                name=f"A{i + 1}",
                # Drawing the entity from a small range links some actors.
                entity_id=uid(1_000 + draw(st.integers(0, n - 1))),
                country=country,
                country_eligible=eligible,
                nace_sections=draw(st.frozensets(st.sampled_from("CJM"), max_size=2)),
                ecosystems=draw(st.frozensets(st.sampled_from(["Health", "Digital"]), max_size=1)),
                is_sme=draw(st.booleans()),
                fit={s.id: draw(st.sampled_from(FITS)) for s in stages},
                s3_alignment=draw(st.sampled_from([0.0, 0.3, 1.0])),
            )
        )
    ids = [c.actor_id for c in candidates]
    constraints = TeamConstraints(
        min_entities=draw(st.integers(1, 3)),
        min_countries=draw(st.integers(1, 3)),
        min_nace_sections=draw(st.integers(1, 2)),
        min_sme_share=draw(st.sampled_from([Decimal("0.5"), Decimal("0.75")])),
        member_sme_share=draw(st.sampled_from([Decimal("0"), Decimal("0.5"), Decimal("0.67")])),
        max_team_size=draw(st.integers(1, 4)),
        must_include=draw(st.frozensets(st.sampled_from(ids), max_size=1)),
        exclude=draw(st.frozensets(st.sampled_from(ids), max_size=1)),
        k=3,
        num_workers=1,
        time_limit_seconds=20.0,
    )
    return stages, candidates, constraints


def brute_force(
    stages: list[Stage], candidates: list[Candidate], cons: TeamConstraints
) -> dict[frozenset[uuid.UUID], int]:
    """The best objective of every feasible member set."""
    options = [[c.actor_id for c in candidates if can_cover(c, s.id, cons)] for s in stages]
    best: dict[frozenset[uuid.UUID], int] = {}
    for choice in itertools.product(*options):
        assignment = {s.id: a for s, a in zip(stages, choice, strict=True)}
        if violations(assignment, stages, candidates, cons):
            continue
        members = frozenset(choice) | cons.must_include
        value = score_team(assignment, stages, candidates, cons).total
        best[members] = max(value, best.get(members, value))
    return best


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_solver_matches_brute_force(
    instance: tuple[list[Stage], list[Candidate], TeamConstraints],
) -> None:
    stages, candidates, cons = instance
    expected = sorted(brute_force(stages, candidates, cons).values(), reverse=True)
    result = propose_teams(stages, candidates, cons)
    if not expected:
        assert isinstance(result, NoTeam), result
        assert result.reasons
        return
    assert isinstance(result, list), result
    assert [p.objective for p in result] == expected[: cons.k]
    assert len({p.member_ids for p in result}) == len(result)
    for p in result:
        assert p.status == "optimal"
        assignment = dict(p.assignment)
        assert violations(assignment, stages, candidates, cons) == ()
        assert score_team(assignment, stages, candidates, cons).total == p.objective
