"""Team proposal use cases: propose teams for a value chain, accept or decline one.

Proposing reads the projection in one short read, solves outside any transaction (the
solver runs in a worker thread for up to its time limit; no connection is held), then
stores the proposals in a transaction of their own. The read fetches only the candidates
the solver's pre-filter may keep (a superset, computed in SQL), so the solver considers
exactly the candidates it would over every fitting actor; every fitting actor is read
instead when linked enterprises crowd a stage's top, and before answering "no team",
unless the first read already held every one. The value chain is read, authorised and
checked once per request: only the candidates are read again.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping, Sequence
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
from synergia_matching.partners.terms import (
    TermGroup,
    distinct_by_stem,
    stem_inputs,
    term_groups,
)
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
from synergia_matching.regions.rules import Alignment, domain_keywords, region_alignments
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
class ChainRequest:
    """A team request checked against its value chain: everything a read of candidates
    needs but the candidates. Built once per request, however many reads it takes."""

    chain: Row[Any]
    raw_stages: list[dict[str, Any]]  # as the chain holds them, by position
    stages: list[Stage]
    queries: list[repository.StageQuery]
    words: list[str]  # the stages' terms, one per stem: sought in the S3 priorities too
    must: list[uuid.UUID]


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
    # Only the candidates the pre-filter may keep (a superset of them), not provably every
    # fitting actor: reading every one may find more.
    filtered: bool
    s3: dict[str, Alignment]  # the value chain's S3 alignment by region code


def _ensure_open(chain: Row[Any]) -> None:
    if chain.status not in OPEN_STATUSES:
        raise ProblemException(
            409,
            "value-chain-closed",
            "Value chain closed",
            f"value chain {chain.value_chain_id} is {chain.status}; teams are proposed while "
            "it is draft, open or formed",
        )


def _stages_in_order(chain: Row[Any]) -> list[dict[str, Any]]:
    raw_stages = sorted(chain.stages, key=lambda s: s["position"])
    if not raw_stages:
        raise ProblemException(
            409,
            "no-stages",
            "Nothing to cover",
            f"value chain {chain.value_chain_id} has no stages yet; add them in the registry",
        )
    return raw_stages


def _stages(raw_stages: list[dict[str, Any]], body: TeamRequest) -> list[Stage]:
    budgets = {entry.stage_id: entry.budget for entry in body.stage_budgets}
    return [
        Stage(
            id=uuid.UUID(s["id"]),
            name=s["name"],
            position=s["position"],
            budget=budgets.get(uuid.UUID(s["id"])),
        )
        for s in raw_stages
    ]


async def _stage_terms(
    session: AsyncSession, raw_stages: list[dict[str, Any]]
) -> list[list[TermGroup]]:
    """Each stage's term groups. Groups left empty by stop words match nothing and count
    for no one, and inflections of one term are one term: all stages' stems in one round
    trip."""
    groups_of = [
        term_groups(raw.get("keywords", []), f"{raw['name']} {raw.get('description', '')}")
        for raw in raw_stages
    ]
    stems = await partners.stems(session, stem_inputs(g for gs in groups_of for g in gs))
    return [distinct_by_stem(gs, stems) for gs in groups_of]


async def _chain_request(
    session: AsyncSession, value_chain_id: uuid.UUID, body: TeamRequest, principal: Principal
) -> ChainRequest:
    """The value chain, if the principal may propose its teams and it takes them, with
    the request's stages, terms and must-include actors."""
    chain = await network.get_value_chain(session, value_chain_id)
    if chain is None:
        raise _not_found(f"value chain {value_chain_id} is not known here (yet)")
    _ensure_may_decide(principal, chain)
    _ensure_open(chain)
    raw_stages = _stages_in_order(chain)
    groups_of = await _stage_terms(session, raw_stages)
    return ChainRequest(
        chain=chain,
        raw_stages=raw_stages,
        stages=_stages(raw_stages, body),
        queries=[
            repository.StageQuery([g.tsquery() for g in gs], raw.get("competences", []))
            for gs, raw in zip(groups_of, raw_stages, strict=True)
        ],
        words=[w for gs in groups_of for g in gs for w in g.members],
        must=rules.must_include(
            body.must_include,
            chain.lead_actor_ids,
            include_leads=body.include_lead_actors,
            exclude=body.exclude,
        ),
    )


def _ensure_known(
    request: ChainRequest, body: TeamRequest, found: Mapping[uuid.UUID, Row[Any]]
) -> None:
    """A 422 naming every budget for a stage the chain does not have and every
    must-include actor matching does not know."""
    value_chain_id = request.chain.value_chain_id
    stage_ids = [entry.stage_id for entry in body.stage_budgets]
    errors: list[dict[str, Any]] = [
        {
            "loc": ["body", "stage_budgets", i, "stage_id"],
            "msg": f"value chain {value_chain_id} has no stage {stage_ids[i]}",
        }
        for i in rules.unknown_at(stage_ids, {s.id for s in request.stages})
    ]
    errors += [
        {
            "loc": ["body", "must_include", i],
            "msg": f"actor {body.must_include[i]} is not known to matching (yet)",
        }
        for i in rules.unknown_at(body.must_include, found)
    ]
    if errors:
        raise validation_problem(errors)


async def _s3_alignments(session: AsyncSession, request: ChainRequest) -> dict[str, Alignment]:
    """How well the value chain fits each region's S3 priorities: its ecosystems, and its
    stages' keywords, texts and terms."""
    strategies = await regions.all_strategies(session)
    raw_stages = request.raw_stages
    sought = [
        *(k for raw in raw_stages for k in raw.get("keywords", [])),
        *(f"{raw['name']}\n{raw.get('description', '')}" for raw in raw_stages),
        *request.words,
    ]
    return region_alignments(
        strategies,
        nace_codes=[],
        ecosystems=request.chain.ecosystems,
        keywords_found=await regions.keywords_found(session, domain_keywords(strategies), sought),
    )


def _candidate(
    row: Row[Any], fit: dict[uuid.UUID, float], entity_id: uuid.UUID, s3: dict[str, Alignment]
) -> Candidate:
    return Candidate(
        actor_id=row.actor_id,
        name=row.legal_name,
        entity_id=entity_id,
        country=row.country,
        country_eligible=rules.eligible(row.country_standing) and row.active,
        nace_sections=frozenset(code[0] for code in row.nace_codes),
        ecosystems=frozenset(row.ecosystems),
        is_sme=row.sme_category in rules.SME_CATEGORIES,
        fit=fit,
        s3_alignment=rules.s3_alignment(row.nuts_code or row.country, s3),
    )


async def _world(
    session: AsyncSession,
    request: ChainRequest,
    body: TeamRequest,
    *,
    top_n: int | None,
    s3: dict[str, Alignment] | None = None,
) -> World:
    """The solver's input; with ``top_n``, only the candidates the pre-filter with that
    ``top_n`` may keep (see :func:`repository.candidates`), else every fitting actor.
    ``s3``: the alignments an earlier read of the same request found."""
    rows = await repository.candidates(
        session,
        request.queries,
        exclude=body.exclude,
        must=request.must,
        fit_parts=rules.FIT_PARTS,
        top_n=top_n,
    )
    stage_ids = [s.id for s in request.stages]
    fits = {
        row.actor_id: fit
        for row in rows
        if (
            fit := rules.actor_fits(
                stage_ids, row.stages, row.text_fits or [], row.competence_fits or []
            )
        )
    }
    found = {
        row.actor_id: row for row in rows if row.actor_id in fits or row.actor_id in request.must
    }
    _ensure_known(request, body, found)
    entities = entity_of(found, await repository.linked_pairs(session, list(found)))
    if s3 is None:
        s3 = await _s3_alignments(session, request)
    return World(
        chain=request.chain,
        stages=request.stages,
        stage_names={s.id: s.name for s in request.stages},
        candidates=[_candidate(row, fits.get(a, {}), entities[a], s3) for a, row in found.items()],
        names={a: r.legal_name for a, r in found.items()},
        candidates_total=rows[0].fitting if rows else 0,
        sector_basis="nace" if rows and rows[0].any_nace else "ecosystems",
        filtered=top_n is not None
        and not rules.holds_every_fitting_actor((r.stages for r in rows), len(stage_ids), top_n),
        s3=s3,
    )


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
    """The World and the rules to solve (see :func:`_inputs`)."""
    request = await _chain_request(session, value_chain_id, body, principal)
    return await _inputs(session, request, body)


async def _inputs(
    session: AsyncSession, request: ChainRequest, body: TeamRequest
) -> tuple[World, TeamConstraints]:
    """The World and the rules to solve: only the candidates the pre-filter may keep, or
    every fitting actor when linked enterprises crowd a stage's top so much that the
    pre-filter's entity rule would look further down (then the result is the same)."""
    top_n = TeamConstraints().top_n_per_stage
    world = await _world(session, request, body, top_n=top_n)
    constraints = _constraints(body, frozenset(request.must), world.sector_basis)
    if world.filtered and not entity_rule_within_top(
        world.stages, world.candidates, constraints, top_n
    ):
        world = await _world(session, request, body, top_n=None, s3=world.s3)
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
        request = await _chain_request(session, value_chain_id, body, principal)
        world, constraints = await _inputs(session, request, body)
    result = await asyncio.to_thread(propose_teams, world.stages, world.candidates, constraints)
    if isinstance(result, NoTeam) and world.filtered:
        # The fetched candidates hold every team the solver would propose, but a "no team"
        # (and its reasons) must be about all fitting actors: solve again over them, in
        # what is left of the time limit (at least MIN_EXPLAIN_SECONDS). The request was
        # checked above: only the candidates are read again.
        async with read_only(sessions) as session:
            world = await _world(session, request, body, top_n=None, s3=world.s3)
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


async def _locked_proposal(session: AsyncSession, proposal_id: uuid.UUID) -> Row[Any]:
    """The proposal, locked, once its chain's decisions are serialised
    (:func:`repository.lock_chain_decisions`)."""
    found = await repository.get(session, proposal_id)
    if found is None:
        raise _not_found(f"no team proposal {proposal_id}")
    await repository.lock_chain_decisions(session, found.value_chain_id)
    row = await repository.get(session, proposal_id, for_update=True)
    if row is None:
        raise _not_found(f"no team proposal {proposal_id}")
    return row


async def _projected_chain(session: AsyncSession, value_chain_id: uuid.UUID) -> Row[Any]:
    chain = await network.get_value_chain(session, value_chain_id)
    if chain is None:  # proposals exist only for projected chains; a rebuild may lag
        raise _not_found(f"value chain {value_chain_id} is not known here (yet)")
    return chain


def _ensure_undecided(row: Row[Any]) -> None:
    if row.status != "proposed":
        raise ProblemException(
            409,
            "proposal-decided",
            "Proposal already decided",
            f"team proposal {row.id} was {row.status} by {row.decided_by}",
        )


async def _ensure_chain_takes_team(session: AsyncSession, row: Row[Any], chain: Row[Any]) -> None:
    """A value chain gets one team, and only while it is not closed (the registry would
    not take it)."""
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


def _decision_event(
    saved: Row[Any], principal: Principal, *, accept: bool, reason: str | None
) -> TeamProposalAcceptedV1 | TeamProposalDeclinedV1:
    if accept:
        return TeamProposalAcceptedV1(
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
    return TeamProposalDeclinedV1(
        proposal_id=saved.id,
        value_chain_id=saved.value_chain_id,
        request_id=saved.request_id,
        reason=reason,
        declined_by=principal.subject,
        declined_at=saved.decided_at,
        version=saved.version,
    )


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
    row = await _locked_proposal(session, proposal_id)
    chain = await _projected_chain(session, row.value_chain_id)
    _ensure_may_decide(principal, chain)
    target = "accepted" if accept else "declined"
    if row.status == target:
        return to_view(row)
    _ensure_undecided(row)
    if accept:
        await _ensure_chain_takes_team(session, row, chain)
    saved = await repository.decide(
        session, proposal_id, status=target, decided_by=principal.subject, reason=reason
    )
    await add_event(
        session,
        _decision_event(saved, principal, accept=accept, reason=reason),
        aggregate_type=AGGREGATE,
        subject=str(saved.id),
        sequence=saved.version,
    )
    return to_view(saved)
