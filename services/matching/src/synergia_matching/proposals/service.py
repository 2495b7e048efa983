"""Team proposal use cases: propose teams for a value chain, accept or decline one.

Proposing reads the projection in one short read, solves outside any transaction (the
solver runs in a worker thread for up to its time limit; no connection is held), then
stores the proposals in a transaction of their own. The read fetches only the candidates
the solver's pre-filter may keep (a superset, computed in SQL), so the solver considers
exactly the candidates it would over every fitting actor; every fitting actor is read
instead when linked enterprises crowd a stage's top, and before answering "no team".
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.db import SessionFactory, read_only, unit_of_work
from synergia_shared.events.matching import (
    TeamMemberV1,
    TeamProposalAcceptedV1,
    TeamProposalDeclinedV1,
)
from synergia_shared.http import idempotency
from synergia_shared.http.auth import Principal
from synergia_shared.http.pagination import bad_cursor, encode_cursor, parse_cursor
from synergia_shared.http.problems import ProblemException, not_found, validation_problem
from synergia_shared.linked_enterprises import entity_of
from synergia_shared.messaging.outbox import add_event
from synergia_shared.value_chain_managers import may_act_for_value_chain

from synergia_matching.metrics import TEAM_SOLVE_SECONDS
from synergia_matching.network import repository as network
from synergia_matching.partners import repository as partners
from synergia_matching.partners.terms import distinct_by_stem, stem_inputs, term_groups
from synergia_matching.proposals import repository, rules, twins
from synergia_matching.proposals.schemas import (
    Objective,
    ObjectiveTerm,
    StageRef,
    TeamMember,
    TeamProposal,
    TeamProposalPage,
    TeamProposals,
    TeamRequest,
)
from synergia_matching.regions import repository as regions
from synergia_matching.regions.rules import domain_keywords, enclosing_codes, region_alignments
from synergia_matching.teams import (
    Candidate,
    Member,
    NoTeam,
    Proposal,
    Stage,
    TeamConstraints,
    propose_teams,
)
from synergia_matching.teams._common import entity_rule_within_top
from synergia_matching.teams.solver import MIN_EXPLAIN_SECONDS

AGGREGATE = "team_proposal"
OPEN_STATUSES = frozenset({"draft", "open", "formed"})


def _not_found(what: str) -> ProblemException:
    return not_found(what)


def may_decide(principal: Principal, lead_actor_ids: Sequence[uuid.UUID]) -> bool:
    """Admins, and the managers of the value chain's lead clusters."""
    return may_act_for_value_chain(principal, lead_actor_ids)


def _ensure_may_decide(principal: Principal, chain: Row[Any]) -> None:
    if not may_decide(principal, chain.lead_actor_ids):
        raise ProblemException(
            403,
            "forbidden",
            "Forbidden",
            f"only an admin or a manager of a lead cluster of value chain "
            f"{chain.value_chain_id} may do this",
        )


@dataclass(frozen=True)
class World:
    """What the solver needs, read from the projection in one go (five statements)."""

    chain: Row[Any]
    stages: list[Stage]
    stage_names: dict[uuid.UUID, str]
    candidates: list[Candidate]
    names: dict[uuid.UUID, str]
    candidates_total: int  # every fitting actor and the must-include ones
    sector_basis: Literal["nace", "ecosystems"]  # "auto" resolved over all of them
    filtered: bool  # only the candidates the pre-filter may keep (a superset of them)


async def _world(
    session: AsyncSession,
    value_chain_id: uuid.UUID,
    body: TeamRequest,
    principal: Principal,
    *,
    top_n: int | None,
) -> tuple[World, frozenset[uuid.UUID]]:
    """The solver's input; with ``top_n``, only the candidates the pre-filter with that
    ``top_n`` may keep (see :func:`repository.candidates`), else every fitting actor."""
    chain = await network.get_value_chain(session, value_chain_id)
    if chain is None:
        raise _not_found(f"value chain {value_chain_id} is not known here (yet)")
    _ensure_may_decide(principal, chain)
    if chain.status not in OPEN_STATUSES:
        raise ProblemException(
            409,
            "value-chain-closed",
            "Value chain closed",
            f"value chain {value_chain_id} is {chain.status}; teams are proposed while it is "
            "draft, open or formed",
        )
    raw_stages = sorted(chain.stages, key=lambda s: s["position"])
    if not raw_stages:
        raise ProblemException(
            409,
            "no-stages",
            "Nothing to cover",
            f"value chain {value_chain_id} has no stages yet; add them in the registry",
        )
    errors: list[dict[str, Any]] = []
    budgets: dict[uuid.UUID, Decimal] = {}
    known_stages = {uuid.UUID(s["id"]) for s in raw_stages}
    for i, entry in enumerate(body.stage_budgets):
        if entry.stage_id not in known_stages:
            errors.append(
                {
                    "loc": ["body", "stage_budgets", i, "stage_id"],
                    "msg": f"value chain {value_chain_id} has no stage {entry.stage_id}",
                }
            )
        budgets[entry.stage_id] = entry.budget
    must = list(dict.fromkeys(body.must_include))
    if body.include_lead_actors:
        must += [a for a in chain.lead_actor_ids if a not in must and a not in body.exclude]
    stages = [
        Stage(
            id=uuid.UUID(s["id"]),
            name=s["name"],
            position=s["position"],
            budget=budgets.get(uuid.UUID(s["id"])),
        )
        for s in raw_stages
    ]
    groups_of = [
        term_groups(raw.get("keywords", []), f"{raw['name']} {raw.get('description', '')}")
        for raw in raw_stages
    ]
    # Groups left empty by stop words match nothing and count for no one, and inflections
    # of one term are one term: all stages' stems in one round trip.
    stems = await partners.stems(session, stem_inputs(g for gs in groups_of for g in gs))
    groups_of = [distinct_by_stem(gs, stems) for gs in groups_of]
    words = [w for gs in groups_of for g in gs for w in g.members]
    rows = await repository.candidates(
        session,
        [
            repository.StageQuery([g.tsquery() for g in gs], raw.get("competences", []))
            for gs, raw in zip(groups_of, raw_stages, strict=True)
        ],
        exclude=body.exclude,
        must=must,
        fit_parts=rules.FIT_PARTS,
        top_n=top_n,
    )
    fits: dict[uuid.UUID, dict[uuid.UUID, float]] = {}
    for row in rows:
        for n, text_fit, competence_fit in zip(
            row.stages, row.text_fits or [], row.competence_fits or [], strict=True
        ):
            fit = rules.stage_fit(text_fit, competence_fit)
            if fit > 0:
                fits.setdefault(row.actor_id, {})[stages[n].id] = fit
    found = {row.actor_id: row for row in rows if row.actor_id in fits or row.actor_id in must}
    for i, actor_id in enumerate(body.must_include):
        if actor_id not in found:
            errors.append(
                {
                    "loc": ["body", "must_include", i],
                    "msg": f"actor {actor_id} is not known to matching (yet)",
                }
            )
    if errors:
        raise validation_problem(errors)
    entities = entity_of(found, await repository.linked_pairs(session, list(found)))
    strategies = await regions.all_strategies(session)
    sought = [
        *(k for raw in raw_stages for k in raw.get("keywords", [])),
        *(f"{raw['name']}\n{raw.get('description', '')}" for raw in raw_stages),
        *words,
    ]
    aligned = region_alignments(
        strategies,
        nace_codes=[],
        ecosystems=chain.ecosystems,
        keywords_found=await regions.keywords_found(session, domain_keywords(strategies), sought),
    )
    candidates = []
    for actor_id, row in found.items():
        s3 = max(
            (
                aligned[c].score
                for c in enclosing_codes(row.nuts_code or row.country)
                if c in aligned
            ),
            default=0.0,
        )
        candidates.append(
            Candidate(
                actor_id=actor_id,
                name=row.legal_name,
                entity_id=entities[actor_id],
                country=row.country,
                country_eligible=rules.eligible(row.country_standing) and row.active,
                nace_sections=frozenset(code[0] for code in row.nace_codes),
                ecosystems=frozenset(row.ecosystems),
                is_sme=row.sme_category in rules.SME_CATEGORIES,
                fit=fits.get(actor_id, {}),
                s3_alignment=s3,
            )
        )
    world = World(
        chain=chain,
        stages=stages,
        stage_names={s.id: s.name for s in stages},
        candidates=candidates,
        names={a: r.legal_name for a, r in found.items()},
        candidates_total=rows[0].fitting if rows else 0,
        sector_basis="nace" if rows and rows[0].any_nace else "ecosystems",
        filtered=top_n is not None,
    )
    return world, frozenset(must)


def _constraints(
    body: TeamRequest,
    must: frozenset[uuid.UUID],
    sector_basis: Literal["nace", "ecosystems"] | None = None,
) -> TeamConstraints:
    return TeamConstraints(
        sector_basis=sector_basis or "auto",
        min_entities=body.min_entities,
        min_countries=body.min_countries,
        min_nace_sections=body.min_nace_sections,
        min_sme_share=body.min_sme_budget_share,
        member_sme_share=body.min_sme_member_share,
        max_team_size=body.max_team_size,
        must_include=must,
        exclude=frozenset(body.exclude),
        k=body.k,
        time_limit_seconds=body.time_limit_seconds,
    )


def _stage_refs(world: World, member: Member) -> list[dict[str, Any]]:
    """The member's stages, each with how well the member fits it."""
    fits = next(c.fit for c in world.candidates if c.actor_id == member.actor_id)
    refs = []
    for stage_id in member.stage_ids:
        fit = round(fits.get(stage_id, 0.0), 3)
        refs.append(
            {
                "id": str(stage_id),
                "name": world.stage_names[stage_id],
                "fit": fit,
                "weak_fit": rules.is_weak(fit),
            }
        )
    return refs


def _weak_fits(members: list[dict[str, Any]]) -> list[str]:
    return [
        rules.weak_fit_warning(m["legal_name"], s["name"], s["fit"])
        for m in members
        for s in m["stages"]
        if s.get("weak_fit")
    ]


def _members(world: World, proposal: Proposal) -> list[dict[str, Any]]:
    budgets = {s.id: s.budget for s in world.stages}
    leads = list(world.chain.lead_actor_ids)
    members = []
    for m in proposal.members:
        stage_budgets = [b for s in m.stage_ids if (b := budgets[s]) is not None]
        planned = (
            sum(stage_budgets, Decimal(0))
            if stage_budgets and len(stage_budgets) == len(m.stage_ids)
            else None
        )
        members.append(
            {
                "actor_id": str(m.actor_id),
                "legal_name": m.name,
                "country": m.country,
                "sme": m.is_sme,
                "must_include": m.must_include,
                "role": rules.role_for(m.actor_id, leads, bool(m.stage_ids)),
                "stages": _stage_refs(world, m),
                "planned_budget": None if planned is None else str(planned),
            }
        )
    return members


def _row(
    world: World, request_id: uuid.UUID, proposal: Proposal, body: TeamRequest, by: str
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "value_chain_id": world.chain.value_chain_id,
        "request_id": request_id,
        "rank": proposal.rank,
        "status": "proposed",
        "solver_status": proposal.status,
        "members": _members(world, proposal),
        "objective": {
            "total": proposal.objective,
            "terms": [
                {
                    "name": t.name,
                    "raw": t.raw,
                    "weight": t.weight,
                    "contribution": t.contribution,
                    "explanation": t.description,
                }
                for t in proposal.breakdown.terms
            ],
            "sme_share": str(proposal.sme_share),
            "sme_share_basis": proposal.sme_share_basis,
            "countries": list(proposal.countries),
            "sectors": list(proposal.sectors),
            "independent_entities": proposal.entities,
            "candidates_considered": proposal.candidates_considered,
            "candidates_total": world.candidates_total,
        },
        "constraints": body.model_dump(mode="json"),
        "created_by": by,
    }


def to_view(row: Row[Any]) -> TeamProposal:
    o = row.objective
    return TeamProposal(
        id=row.id,
        value_chain_id=row.value_chain_id,
        request_id=row.request_id,
        rank=row.rank,
        status=row.status,
        solver_status=row.solver_status,
        members=[
            TeamMember(
                actor_id=m["actor_id"],
                legal_name=m["legal_name"],
                country=m["country"],
                sme=m["sme"],
                must_include=m["must_include"],
                role=m["role"],
                stages=[StageRef(**s) for s in m["stages"]],
                planned_budget=m["planned_budget"],
            )
            for m in row.members
        ],
        objective=Objective(total=o["total"], terms=[ObjectiveTerm(**t) for t in o["terms"]]),
        sme_share=Decimal(o["sme_share"]),
        sme_share_basis=o["sme_share_basis"],
        countries=o["countries"],
        sectors=o["sectors"],
        independent_entities=o["independent_entities"],
        weak_fits=_weak_fits(row.members),
        candidates_considered=o["candidates_considered"],
        candidates_total=o["candidates_total"],
        created_at=row.created_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        decision_reason=row.decision_reason,
        version=row.version,
    )


async def inputs(
    session: AsyncSession, value_chain_id: uuid.UUID, body: TeamRequest, principal: Principal
) -> tuple[World, TeamConstraints]:
    """The World and the rules to solve: only the candidates the pre-filter may keep, or
    every fitting actor when linked enterprises crowd a stage's top so much that the
    pre-filter's entity rule would look further down (then the result is the same)."""
    top_n = TeamConstraints().top_n_per_stage
    world, must = await _world(session, value_chain_id, body, principal, top_n=top_n)
    constraints = _constraints(body, must, world.sector_basis)
    if not entity_rule_within_top(world.stages, world.candidates, constraints, top_n):
        world, must = await _world(session, value_chain_id, body, principal, top_n=None)
    return world, constraints


@dataclass(frozen=True)
class Retry:
    """An ``Idempotency-Key`` and the fingerprint of the request it came with."""

    key: str
    fingerprint: str


async def propose(
    sessions: SessionFactory,
    value_chain_id: uuid.UUID,
    body: TeamRequest,
    principal: Principal,
    retry: Retry | None = None,
) -> tuple[TeamProposals, bool]:
    """The proposals and whether they are the stored answer to an earlier request with
    the same Idempotency-Key. The solver runs outside any transaction; the proposals and
    the key are stored together, so a retry, even one racing the first request, gets the
    first answer and no second set of proposals. A twin racing in this process waits for
    the first instead of solving too (:mod:`twins`)."""
    if retry is None:
        result, world = await _solve(sessions, value_chain_id, body, principal)
        async with unit_of_work(sessions) as session:
            answer = await _store(session, world, uuid.uuid4(), result, body, principal)
        return answer, False
    idempotency.check_key(retry.key)
    async with twins.one_at_a_time((principal.subject, retry.key)):
        async with read_only(sessions) as session:
            stored = await idempotency.find(
                session, principal.subject, retry.key, retry.fingerprint
            )
        if stored is not None:
            return TeamProposals.model_validate_json(stored.body), True
        result, world = await _solve(sessions, value_chain_id, body, principal)
        request_id = uuid.uuid4()

        async def store(session: AsyncSession) -> idempotency.StoredResponse:
            answer = await _store(session, world, request_id, result, body, principal)
            return idempotency.StoredResponse(200, answer.model_dump_json().encode(), {})

        response, replayed = await idempotency.run_once(
            sessions,
            principal=principal.subject,
            key=retry.key,
            fingerprint=retry.fingerprint,
            create=store,
        )
    return TeamProposals.model_validate_json(response.body), replayed


async def _solve(
    sessions: SessionFactory, value_chain_id: uuid.UUID, body: TeamRequest, principal: Principal
) -> tuple[list[Proposal] | NoTeam, World]:
    started = time.monotonic()
    async with read_only(sessions) as session:
        world, constraints = await inputs(session, value_chain_id, body, principal)
    result = await asyncio.to_thread(propose_teams, world.stages, world.candidates, constraints)
    if isinstance(result, NoTeam) and world.filtered:
        # The fetched candidates hold every team the solver would propose, but a "no team"
        # (and its reasons) must be about all fitting actors: solve again over them, in
        # what is left of the time limit (at least MIN_EXPLAIN_SECONDS).
        async with read_only(sessions) as session:
            world, _ = await _world(session, value_chain_id, body, principal, top_n=None)
        left = constraints.time_limit_seconds - (time.monotonic() - started)
        result = await asyncio.to_thread(
            propose_teams,
            world.stages,
            world.candidates,
            replace(constraints, time_limit_seconds=max(left, MIN_EXPLAIN_SECONDS)),
        )
    outcome = "no_team" if isinstance(result, NoTeam) else "proposals"
    TEAM_SOLVE_SECONDS.labels(outcome).observe(time.monotonic() - started)
    return result, world


async def _store(
    session: AsyncSession,
    world: World,
    request_id: uuid.UUID,
    result: list[Proposal] | NoTeam,
    body: TeamRequest,
    principal: Principal,
) -> TeamProposals:
    value_chain_id = world.chain.value_chain_id
    if isinstance(result, NoTeam):
        return TeamProposals(
            request_id=request_id,
            value_chain_id=value_chain_id,
            outcome="no_team",
            proposals=[],
            reasons=list(result.reasons),
        )
    await repository.add(
        session, [_row(world, request_id, p, body, principal.subject) for p in result]
    )
    stored = await repository.of_request(session, request_id)
    return TeamProposals(
        request_id=request_id,
        value_chain_id=value_chain_id,
        outcome="proposed",
        proposals=[to_view(r) for r in stored],
        reasons=[],
    )


async def list_for_chain(
    session: AsyncSession, value_chain_id: uuid.UUID, *, limit: int, cursor: str | None
) -> TeamProposalPage:
    after = None
    if cursor is not None:
        chain, created_at, request_id, rank = parse_cursor(
            cursor, uuid.UUID, datetime.fromisoformat, uuid.UUID, int
        )
        if chain != value_chain_id:
            raise bad_cursor("this cursor belongs to another value chain's proposals")
        after = (created_at, request_id, rank)
    rows = await repository.of_value_chain(session, value_chain_id, limit=limit + 1, after=after)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(
            [str(value_chain_id), last.created_at.isoformat(), str(last.request_id), last.rank]
        )
    return TeamProposalPage(items=[to_view(r) for r in rows[:limit]], next_cursor=next_cursor)


async def get(session: AsyncSession, proposal_id: uuid.UUID) -> TeamProposal:
    row = await repository.get(session, proposal_id)
    if row is None:
        raise _not_found(f"no team proposal {proposal_id}")
    return to_view(row)


async def decide(
    session: AsyncSession,
    proposal_id: uuid.UUID,
    principal: Principal,
    *,
    accept: bool,
    reason: str | None = None,
) -> TeamProposal:
    """Accept or decline once; repeating the same decision answers the same (a retry).

    A value chain gets one team: accepting a proposal while another of the chain is
    accepted, or on a closed chain, is a 409 (the registry would not take the team)."""
    found = await repository.get(session, proposal_id)
    if found is None:
        raise _not_found(f"no team proposal {proposal_id}")
    await repository.lock_chain_decisions(session, found.value_chain_id)
    row = await repository.get(session, proposal_id, for_update=True)
    if row is None:
        raise _not_found(f"no team proposal {proposal_id}")
    chain = await network.get_value_chain(session, row.value_chain_id)
    if chain is None:  # proposals exist only for projected chains; a rebuild may lag
        raise _not_found(f"value chain {row.value_chain_id} is not known here (yet)")
    _ensure_may_decide(principal, chain)
    target = "accepted" if accept else "declined"
    if row.status == target:
        return to_view(row)
    if row.status != "proposed":
        raise ProblemException(
            409,
            "proposal-decided",
            "Proposal already decided",
            f"team proposal {proposal_id} was {row.status} by {row.decided_by}",
        )
    if accept:
        if chain.status == "closed":
            raise ProblemException(
                409,
                "value-chain-closed",
                "Value chain closed",
                f"value chain {row.value_chain_id} is closed: it takes no team",
            )
        other = await repository.accepted_of_chain(session, row.value_chain_id)
        if other is not None:
            raise ProblemException(
                409,
                "team-already-accepted",
                "A team is already accepted",
                f"value chain {row.value_chain_id} already has its team: proposal {other.id}, "
                f"accepted by {other.decided_by}",
            )
    saved = await repository.decide(
        session, proposal_id, status=target, decided_by=principal.subject, reason=reason
    )
    if accept:
        event: TeamProposalAcceptedV1 | TeamProposalDeclinedV1 = TeamProposalAcceptedV1(
            proposal_id=saved.id,
            value_chain_id=saved.value_chain_id,
            request_id=saved.request_id,
            members=[
                TeamMemberV1(
                    actor_id=m["actor_id"],
                    stage_ids=[s["id"] for s in m["stages"]],
                    role=m["role"],
                    planned_budget=m["planned_budget"],
                )
                for m in saved.members
            ],
            accepted_by=principal.subject,
            accepted_at=saved.decided_at,
            version=saved.version,
        )
    else:
        event = TeamProposalDeclinedV1(
            proposal_id=saved.id,
            value_chain_id=saved.value_chain_id,
            request_id=saved.request_id,
            reason=reason,
            declined_by=principal.subject,
            declined_at=saved.decided_at,
            version=saved.version,
        )
    await add_event(
        session, event, aggregate_type=AGGREGATE, subject=str(saved.id), sequence=saved.version
    )
    return to_view(saved)
