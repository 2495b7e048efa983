"""Helpers shared by the solver and the greedy baseline: validation, pre-filter, proposals."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Literal

from synergia_matching.teams.problem import (
    Candidate,
    Member,
    ObjectiveBreakdown,
    Proposal,
    ProposalStatus,
    Stage,
    TeamConstraints,
)
from synergia_matching.teams.scoring import (
    TeamFacts,
    can_cover,
    score_team,
    sector_labels,
    team_facts,
    violations,
)


def ordered_stages(stages: Iterable[Stage]) -> tuple[Stage, ...]:
    return tuple(sorted(stages, key=lambda s: (s.position, s.name, s.id)))


def validate_inputs(stages: Sequence[Stage], candidates: Sequence[Candidate]) -> None:
    """Reject malformed input (programming errors, not "no team" answers)."""
    if len({s.id for s in stages}) != len(stages):
        raise ValueError("duplicate stage ids")
    if len({c.actor_id for c in candidates}) != len(candidates):
        raise ValueError("duplicate candidate actor ids")
    for s in stages:
        if s.budget is not None and (not s.budget.is_finite() or s.budget < 0):
            raise ValueError(f"stage {s.name!r}: budget must be a non-negative amount")
    for c in candidates:
        if not 0 <= c.s3_alignment <= 1:
            raise ValueError(f"candidate {c.name!r}: s3_alignment must be within [0, 1]")
        for sid, fit in c.fit.items():
            if not 0 <= fit <= 1:
                raise ValueError(f"candidate {c.name!r}: fit for stage {sid} must be in [0, 1]")


def _rank_key(stage_id: uuid.UUID) -> Callable[[Candidate], tuple[float, float, uuid.UUID]]:
    def key(c: Candidate) -> tuple[float, float, uuid.UUID]:
        return (-c.fit.get(stage_id, 0.0), -c.s3_alignment, c.actor_id)

    return key


def prefilter(
    stages: Sequence[Stage],
    candidates: Sequence[Candidate],
    constraints: TeamConstraints,
    basis: Literal["nace", "ecosystems"],
    top_n: int,
) -> tuple[Candidate, ...]:
    """The candidates worth modelling, sorted by actor id.

    Per stage: the ``top_n`` best by fit (ties: S3 alignment, then actor id), plus the best
    candidate per eligible country and per sector label, the best of each of the first
    ``top_n`` distinct independent entities (linked enterprises crowding the top), plus
    the best SME overall and per country, so that the diversity and SME rules keep their
    options. Must-include actors are always kept. A kept candidate
    keeps all the stages it can cover.
    """
    keep: dict[uuid.UUID, Candidate] = {
        c.actor_id: c for c in candidates if c.actor_id in constraints.must_include
    }
    for stage in stages:
        usable = [c for c in candidates if can_cover(c, stage.id, constraints)]
        usable.sort(key=_rank_key(stage.id))
        for c in usable[:top_n]:
            keep[c.actor_id] = c
        seen: set[object] = set()
        entities: set[uuid.UUID] = set()
        for c in usable:
            keys: list[object] = [("country", c.country)]
            keys += [("sector", label) for label in sector_labels(c, basis)]
            if c.is_sme:
                keys += [("sme",), ("sme-country", c.country)]
            fresh = [k for k in keys if k not in seen]
            if len(entities) < top_n and c.entity_id not in entities:
                entities.add(c.entity_id)
                fresh.append(("entity", c.entity_id))
            if fresh:
                seen.update(fresh)
                keep[c.actor_id] = c
    return tuple(keep[a] for a in sorted(keep))


def entity_rule_within_top(
    stages: Sequence[Stage],
    candidates: Sequence[Candidate],
    constraints: TeamConstraints,
    top_n: int,
) -> bool:
    """Whether, for every stage, :func:`prefilter`'s "first ``top_n`` distinct entities"
    are all found among the candidates whose fit is at least the ``top_n``-th best (or the
    stage has fewer than ``top_n`` usable candidates).

    The service fetches only those top candidates (plus the best per country, sector and
    SME) from the database; when this holds, :func:`prefilter` keeps the same candidates
    from them as from every fitting actor, else the service fetches every one.
    """
    for stage in stages:
        usable = [c for c in candidates if can_cover(c, stage.id, constraints)]
        if len(usable) < top_n:
            continue
        cutoff = sorted((c.fit[stage.id] for c in usable), reverse=True)[top_n - 1]
        if len({c.entity_id for c in usable if c.fit[stage.id] >= cutoff}) < top_n:
            return False
    return True


def make_proposal(
    *,
    rank: int,
    assignment: Mapping[uuid.UUID, uuid.UUID],
    stages: Sequence[Stage],
    index: Mapping[uuid.UUID, Candidate],
    constraints: TeamConstraints,
    status: ProposalStatus,
    candidates_considered: int,
    solver_objective: int | None = None,
) -> Proposal:
    """A :class:`Proposal` for a valid assignment, checked against the rules and the score."""
    breakdown = _checked_score(assignment, stages, index, constraints, solver_objective)
    facts = team_facts(assignment, stages, index, constraints)
    return Proposal(
        rank=rank,
        members=_members(assignment, stages, index, constraints, facts.members),
        assignment=tuple((s.id, assignment[s.id]) for s in stages),
        objective=breakdown.total,
        breakdown=breakdown,
        status=status,
        sme_share_basis=facts.sme_rule.basis,
        sme_share=_shown_share(facts),
        countries=tuple(sorted(facts.eligible_countries)),
        sectors=tuple(sorted(facts.sectors)),
        entities=len(facts.entities),
        candidates_considered=candidates_considered,
        candidates_total=len(index),
    )


def _checked_score(
    assignment: Mapping[uuid.UUID, uuid.UUID],
    stages: Sequence[Stage],
    index: Mapping[uuid.UUID, Candidate],
    constraints: TeamConstraints,
    solver_objective: int | None,
) -> ObjectiveBreakdown:
    """The team's score; a team breaking a rule, or a solver objective other than the
    score, is a bug in the model, never an answer."""
    broken = violations(assignment, stages, index, constraints)
    if broken:
        raise RuntimeError(f"internal error: proposed team breaks the rules: {broken}")
    breakdown = score_team(assignment, stages, index, constraints)
    if solver_objective is not None and solver_objective != breakdown.total:
        raise RuntimeError(
            f"internal error: solver objective {solver_objective} != score {breakdown.total}"
        )
    return breakdown


def _members(
    assignment: Mapping[uuid.UUID, uuid.UUID],
    stages: Sequence[Stage],
    index: Mapping[uuid.UUID, Candidate],
    constraints: TeamConstraints,
    member_ids: Iterable[uuid.UUID],
) -> tuple[Member, ...]:
    """The members in the order of the first stage each covers (must-include actors that
    cover none last), then by name and id."""
    stage_ids_of: dict[uuid.UUID, list[uuid.UUID]] = {a: [] for a in member_ids}
    position = {s.id: i for i, s in enumerate(stages)}
    for stage in stages:
        stage_ids_of[assignment[stage.id]].append(stage.id)

    def member_key(a: uuid.UUID) -> tuple[int, str, uuid.UUID]:
        first = min((position[s] for s in stage_ids_of[a]), default=len(stages))
        return (first, index[a].name, a)

    return tuple(
        Member(
            actor_id=a,
            name=index[a].name,
            entity_id=index[a].entity_id,
            country=index[a].country,
            country_eligible=index[a].country_eligible,
            is_sme=index[a].is_sme,
            stage_ids=tuple(stage_ids_of[a]),
            must_include=a in constraints.must_include,
        )
        for a in sorted(stage_ids_of, key=member_key)
    )


def _shown_share(facts: TeamFacts) -> Decimal:
    """The achieved SME share, rounded to 4 places for display (1 when nothing counts)."""
    if not facts.whole:
        return Decimal(1)
    return (Decimal(facts.sme_part) / Decimal(facts.whole)).quantize(Decimal("0.0001"))
