"""Value-chain use cases: load, authorise, apply the rules, save, add events to the outbox.

Every change writes the aggregate rows and its events in the caller's transaction:
``ValueChainUpdatedV1`` (the whole state) after every change, and
``ValueChainStatusChangedV1`` as well on a transition; both carry ``sequence`` = the
value chain's version after the change.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.registry import (
    ValueChainParticipantV1,
    ValueChainStageV1,
    ValueChainStatusChangedV1,
    ValueChainUpdatedV1,
)
from synergia_shared.http import problems
from synergia_shared.http.auth import Principal
from synergia_shared.http.pagination import bad_cursor, decode_cursor, encode_cursor
from synergia_shared.http.preconditions import check_version
from synergia_shared.http.problems import ProblemException, validation_problem
from synergia_shared.messaging.outbox import add_event
from synergia_shared.value_chain_managers import may_act_for_value_chain

from synergia_registry.access import acts_for, ensure, is_admin
from synergia_registry.value_chains import repository, rules
from synergia_registry.value_chains.repository import Children, ListFilters
from synergia_registry.value_chains.rules import ValueChainStatus
from synergia_registry.value_chains.schemas import (
    EligibilityItem,
    EligibilityReport,
    Participant,
    Stage,
    ValueChain,
    ValueChainCreate,
    ValueChainPage,
    ValueChainReplace,
)

AGGREGATE = "value_chain"


def not_found(value_chain_id: uuid.UUID) -> ProblemException:
    return problems.not_found(f"no value chain {value_chain_id}")


def to_view(row: Row[Any], children: Children) -> ValueChain:
    positions = {stage.id: stage.position for stage in children.stages}
    status = ValueChainStatus(row.status)
    return ValueChain(
        id=row.id,
        title=row.title,
        strategic_vision=row.strategic_vision,
        target_industry=row.target_industry,
        ecosystems=list(row.ecosystems),
        lead_actor_ids=[lead.actor_id for lead in children.leads],
        stages=[
            Stage(
                id=s.id,
                position=s.position,
                name=s.name,
                description=s.description,
                competences=list(s.competences),
                keywords=list(s.keywords),
            )
            for s in children.stages
        ],
        participants=[
            Participant(
                actor_id=p.actor_id,
                stage=positions.get(p.stage_id) if p.stage_id is not None else None,
                stage_id=p.stage_id,
                role=p.role,
                planned_budget=p.planned_budget,
            )
            for p in children.participants
        ],
        status=status,
        allowed_transitions=list(rules.allowed_transitions(status)),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        created_by=row.created_by,
    )


def _updated_event(view: ValueChain) -> ValueChainUpdatedV1:
    return ValueChainUpdatedV1(
        value_chain_id=view.id,
        title=view.title,
        strategic_vision=view.strategic_vision,
        target_industry=view.target_industry,
        ecosystems=[str(e) for e in view.ecosystems],
        lead_actor_ids=view.lead_actor_ids,
        stages=[
            ValueChainStageV1(
                id=s.id,
                position=s.position,
                name=s.name,
                description=s.description,
                competences=[str(c) for c in s.competences],
                keywords=s.keywords,
            )
            for s in view.stages
        ],
        participants=[
            ValueChainParticipantV1(
                actor_id=p.actor_id,
                stage_id=p.stage_id,
                role=str(p.role),
                planned_budget=p.planned_budget,
            )
            for p in view.participants
        ],
        status=str(view.status),
        version=view.version,
        changed_at=view.updated_at,
    )


async def _publish_state(session: AsyncSession, view: ValueChain) -> None:
    await add_event(
        session,
        _updated_event(view),
        aggregate_type=AGGREGATE,
        subject=str(view.id),
        sequence=view.version,
    )


async def publish_changed(session: AsyncSession, saved: Row[Any]) -> ValueChain:
    """Announce the value chain's state after a change made outside a request."""
    view = await _load_view(session, saved)
    await _publish_state(session, view)
    return view


def _may_lead(principal: Principal, lead_actor_ids: Sequence[uuid.UUID]) -> bool:
    return may_act_for_value_chain(principal, lead_actor_ids)


def _ensure_manages(principal: Principal, lead_actor_ids: Sequence[uuid.UUID]) -> None:
    ensure(
        _may_lead(principal, lead_actor_ids),
        "only an admin or a cluster manager of one of the value chain's lead organisations "
        "may change it",
    )


def _ensure_leads_include_caller(principal: Principal, lead_actor_ids: Sequence[uuid.UUID]) -> None:
    if is_admin(principal):
        return
    ensure(
        any(acts_for(principal, lead) for lead in lead_actor_ids),
        "a cluster manager may only write a value chain that lists its own organisation "
        f"({principal.actor_id or 'none in the token'}) among lead_actor_ids",
    )


async def _validate(session: AsyncSession, command: ValueChainCreate) -> None:
    errors = rules.composition_errors(command.lead_actor_ids, command.stages, command.participants)
    participant_ids = [p.actor_id for p in command.participants]
    found = await repository.actor_refs(session, [*command.lead_actor_ids, *participant_ids])
    refs = {row.id: rules.ActorRef(id=row.id, kind=row.kind, active=row.active) for row in found}
    errors += rules.reference_errors(command.lead_actor_ids, participant_ids, refs)
    if errors:
        raise validation_problem(errors)


def _child_rows(
    command: ValueChainCreate, stage_ids_by_name: dict[str, uuid.UUID]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Stage and participant rows; a stage keeps its id when its name is unchanged."""
    stage_rows = [
        {
            "id": stage_ids_by_name.get(stage.name.casefold()) or uuid.uuid4(),
            "position": i,
            "name": stage.name,
            "description": stage.description,
            "competences": [str(c) for c in stage.competences],
            "keywords": list(stage.keywords),
        }
        for i, stage in enumerate(command.stages)
    ]
    participant_rows = [
        {
            "actor_id": p.actor_id,
            "position": i,
            "stage_id": None if p.stage is None else stage_rows[p.stage]["id"],
            "role": str(p.role),
            "planned_budget": p.planned_budget,
        }
        for i, p in enumerate(command.participants)
    ]
    return stage_rows, participant_rows


async def _load_view(session: AsyncSession, row: Row[Any]) -> ValueChain:
    found = await repository.children(session, [row.id])
    return to_view(row, found[row.id])


async def create(
    session: AsyncSession, command: ValueChainCreate, principal: Principal
) -> ValueChain:
    """Create a draft value chain and announce it."""
    _ensure_leads_include_caller(principal, command.lead_actor_ids)
    await _validate(session, command)
    row = await repository.add(
        session,
        id=uuid.uuid4(),
        title=command.title,
        strategic_vision=command.strategic_vision,
        target_industry=command.target_industry,
        ecosystems=[str(e) for e in command.ecosystems],
        status=ValueChainStatus.DRAFT.value,
        created_by=principal.subject,
    )
    stage_rows, participant_rows = _child_rows(command, {})
    await repository.replace_children(
        session,
        row.id,
        lead_actor_ids=command.lead_actor_ids,
        stages=stage_rows,
        participants=participant_rows,
    )
    view = await _load_view(session, row)
    await _publish_state(session, view)
    return view


async def get(session: AsyncSession, value_chain_id: uuid.UUID) -> ValueChain | None:
    row = await repository.get(session, value_chain_id)
    return await _load_view(session, row) if row is not None else None


async def _load_for_change(
    session: AsyncSession, value_chain_id: uuid.UUID, principal: Principal, if_match: str | None
) -> tuple[Row[Any], Children]:
    """The current row, locked; 404, then 403, then 428/412."""
    row = await repository.get(session, value_chain_id, for_update=True)
    if row is None:
        raise not_found(value_chain_id)
    current = (await repository.children(session, [row.id]))[row.id]
    _ensure_manages(principal, [lead.actor_id for lead in current.leads])
    check_version(if_match, row.version, f"value chain {value_chain_id}")
    return row, current


async def replace(
    session: AsyncSession,
    value_chain_id: uuid.UUID,
    command: ValueChainReplace,
    principal: Principal,
    if_match: str | None,
) -> ValueChain:
    """Replace the editable content; refused once the value chain is closed."""
    row, current = await _load_for_change(session, value_chain_id, principal, if_match)
    status = ValueChainStatus(row.status)
    if status in rules.FROZEN:
        raise ProblemException(
            409,
            "value-chain-closed",
            "Value chain closed",
            f"value chain {value_chain_id} is {status}; its content can no longer change",
        )
    _ensure_leads_include_caller(principal, command.lead_actor_ids)
    await _validate(session, command)
    saved = await repository.save(
        session,
        value_chain_id,
        row.version,
        title=command.title,
        strategic_vision=command.strategic_vision,
        target_industry=command.target_industry,
        ecosystems=[str(e) for e in command.ecosystems],
    )
    assert saved is not None  # the row is locked at this version
    stage_rows, participant_rows = _child_rows(
        command, {stage.name.casefold(): stage.id for stage in current.stages}
    )
    await repository.replace_children(
        session,
        value_chain_id,
        lead_actor_ids=command.lead_actor_ids,
        stages=stage_rows,
        participants=participant_rows,
    )
    view = await _load_view(session, saved)
    await _publish_state(session, view)
    return view


async def _assess(session: AsyncSession, children: Children) -> rules.Eligibility:
    """Load the actor facts (one query) and apply the eligibility rules."""
    leads = [lead.actor_id for lead in children.leads]
    participations = [
        rules.Participation(
            actor_id=p.actor_id,
            role=rules.ParticipantRole(p.role),
            planned_budget=p.planned_budget,
        )
        for p in children.participants
    ]
    rows = await repository.eligibility_facts(
        session,
        [*leads, *(p.actor_id for p in participations)],
        rules.LINKED_SHARE_PERCENT,
    )
    facts = {
        row.id: rules.ActorFacts(
            id=row.id,
            name=row.legal_name,
            kind=row.kind,
            country=row.country,
            active=row.active,
            nace_codes=tuple(row.nace_codes or ()),
            ecosystems=tuple(row.ecosystems or ()),
            sme_category=row.sme_category,
            controlled_by=frozenset(row.controlled_by or ()),
        )
        for row in rows
    }
    return rules.assess_eligibility(leads, participations, facts)


def _report(
    value_chain_id: uuid.UUID, version: int, result: rules.Eligibility
) -> EligibilityReport:
    return EligibilityReport(
        value_chain_id=value_chain_id,
        version=version,
        eligible=result.eligible,
        criteria=[
            EligibilityItem(
                criterion=item.criterion,
                met=item.met,
                measured=item.measured,
                threshold=item.threshold,
                unit=item.unit,
                explanation=item.explanation,
                details=item.details,
            )
            for item in result.criteria
        ],
    )


async def eligibility(session: AsyncSession, value_chain_id: uuid.UUID) -> EligibilityReport | None:
    row = await repository.get(session, value_chain_id)
    if row is None:
        return None
    found = await repository.children(session, [row.id])
    return _report(row.id, row.version, await _assess(session, found[row.id]))


async def change_status(
    session: AsyncSession,
    value_chain_id: uuid.UUID,
    target: ValueChainStatus,
    principal: Principal,
    if_match: str | None,
) -> ValueChain:
    """Move to ``target`` if the life cycle allows it (and, for formed, if eligible)."""
    row, current = await _load_for_change(session, value_chain_id, principal, if_match)
    status = ValueChainStatus(row.status)
    refusal = rules.transition_refusal(status, target)
    if refusal is not None:
        raise ProblemException(
            409,
            "transition-not-allowed",
            "Transition not allowed",
            f"cannot go from {status} to {target}: {refusal}",
            errors=[
                {
                    "loc": ["body", "to"],
                    "msg": "allowed: "
                    + (", ".join(str(s) for s in rules.allowed_transitions(status)) or "none"),
                }
            ],
        )
    if target in rules.NEEDS_ELIGIBILITY:
        result = await _assess(session, current)
        if not result.eligible:
            raise ProblemException(
                409,
                "not-eligible",
                "Value chain not eligible",
                f"a value chain is {target} only once its consortium is eligible; "
                f"failing: {', '.join(str(i.criterion) for i in result.failing)} "
                f"(GET /v1/value-chains/{value_chain_id}/eligibility explains each)",
                errors=[
                    {"loc": ["eligibility", str(item.criterion)], "msg": item.explanation}
                    for item in result.failing
                ],
            )
    saved = await repository.save(session, value_chain_id, row.version, status=target.value)
    assert saved is not None  # the row is locked at this version
    view = to_view(saved, current)
    await _publish_state(session, view)
    await add_event(
        session,
        ValueChainStatusChangedV1(
            value_chain_id=view.id,
            from_status=status.value,
            to_status=target.value,
            version=view.version,
            changed_at=view.updated_at,
        ),
        aggregate_type=AGGREGATE,
        subject=str(view.id),
        sequence=view.version,
    )
    return view


def _decode_after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    created_at, value_chain_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(str(created_at)), uuid.UUID(str(value_chain_id))
    except ValueError:
        raise bad_cursor() from None


async def list_value_chains(
    session: AsyncSession, filters: ListFilters, *, cursor: str | None, limit: int
) -> ValueChainPage:
    rows = await repository.list_page(
        session, filters, after=_decode_after(cursor), limit=limit + 1
    )
    page = rows[:limit]
    found = await repository.children(session, [row.id for row in page])
    items = [to_view(row, found[row.id]) for row in page]
    next_cursor = (
        encode_cursor([page[-1].created_at.isoformat(), str(page[-1].id)])
        if len(rows) > limit
        else None
    )
    return ValueChainPage(items=items, next_cursor=next_cursor)
