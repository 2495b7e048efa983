"""Value-chain team proposals: a pure optimisation core (no I/O, no database, no web).

Entry points: :func:`propose_teams` (CP-SAT), :func:`greedy_team` (baseline),
:func:`score_team` (the shared objective) and :func:`precheck` (plain-language reasons).
"""

from synergia_matching.teams.feasibility import explain_infeasible, precheck
from synergia_matching.teams.greedy import greedy_team
from synergia_matching.teams.problem import (
    Candidate,
    Member,
    NoTeam,
    ObjectiveBreakdown,
    ObjectiveTerm,
    ObjectiveWeights,
    Proposal,
    Stage,
    TeamConstraints,
)
from synergia_matching.teams.scoring import score_team, team_facts, violations
from synergia_matching.teams.solver import propose_teams

__all__ = [
    "Candidate",
    "Member",
    "NoTeam",
    "ObjectiveBreakdown",
    "ObjectiveTerm",
    "ObjectiveWeights",
    "Proposal",
    "Stage",
    "TeamConstraints",
    "explain_infeasible",
    "greedy_team",
    "precheck",
    "propose_teams",
    "score_team",
    "team_facts",
    "violations",
]
