"""Recording entries: load what the rules need, decide, write, announce — one transaction.

A batch is read and written in a few statements whatever its size: the locks, the
entries and parked rows it needs (each read one statement with array parameters), then
each entry decided by the pure rules (:mod:`.decide`), then one statement per table
written (the outbox by COPY).

Writers of the same single undertaking or project are serialised by advisory locks taken
before anything is read, so a rule's decision holds until the commit (a ceiling is
never broken by two writers each staying under it). Writers of the same entry id meet
on its claim instead (:func:`.repository.claim_ids`): the ids a batch newly records or
parks are claimed when it writes, and a batch that finds one taken by another writer
decides again with that writer's entry in view, so its answer is the one it would have
had coming second (a replay, or a conflict).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.funding import (
    AuthorityItemRejectedV1,
    CommitmentRecordedV1,
    CostItemRecordedV1,
    DisbursementRecordedV1,
    LedgerEntryV1,
    RuleFlagV1,
    RuleViolationFlaggedV1,
)
from synergia_shared.messaging.inbox import event_context
from synergia_shared.messaging.outbox import (
    EventOf,
    OutboxRecord,
    OutboxRecords,
    PendingEvent,
    add_events,
    copy_outbox,
)

from synergia_funding.ledger import codec, repository
from synergia_funding.ledger.decide import BatchDecider, Changes, Decision, Parked
from synergia_funding.ledger.entries import Entry, EntryKind
from synergia_funding.ledger.rules import FstpCaps, RuleContext, undertaking_ids
from synergia_funding.reference import repository as reference_repository

AGGREGATE = "beneficiary"  # events of one beneficiary keep their order
# The rule named in the refusal of a parked item whose prerequisite did not arrive in time
# (``ledger.expiry``). Such a refusal is about time, not content: sent again, the item is
# decided afresh, where one refused by a rule gets its refusal again.
EXPIRED_RULE = "prerequisite_expired"
_RECORDED: dict[EntryKind, type[LedgerEntryV1]] = {
    EntryKind.COMMITMENT: CommitmentRecordedV1,
    EntryKind.COST_ITEM: CostItemRecordedV1,
    EntryKind.DISBURSEMENT: DisbursementRecordedV1,
}


def parked_reason(entry: Entry, waiting_for: Sequence[uuid.UUID]) -> str:
    return (
        f"{entry.kind.value} {entry.external_system}/{entry.external_id} waits for "
        + ", ".join(
            registration_name(w) if w == entry.beneficiary_id else f"entry {w}" for w in waiting_for
        )
        + ": it is applied when that arrives"
    )


def expired(problem: Mapping[str, Any] | None) -> bool:
    """Whether a parked entry's stored refusal is its expiry."""
    violations = (problem or {}).get("violations") or []
    return any(v.get("rule") == EXPIRED_RULE for v in violations)


def refusal_problem(decision: Decision) -> dict[str, Any]:
    return {
        "reason": "; ".join(e["message"] for e in decision.errors) or "refused",
        "violations": decision.errors,
    }


def registration_name(actor_id: uuid.UUID) -> str:
    """How an entry waiting for its beneficiary names what it waits for."""
    return f"{REGISTRATION_PREFIX}{actor_id}"


REGISTRATION_PREFIX = "registration of actor "


async def record(
    session: AsyncSession,
    entries: Sequence[Entry],
    names: Mapping[uuid.UUID, str] | None = None,
    *,
    causes: Mapping[uuid.UUID, CloudEvent] | None = None,
) -> list[Decision]:
    """Decide and record new entries in the caller's transaction; one decision each, in
    order. Entries parked earlier that these release are decided and recorded too.
    ``names`` gives the sender's ids of the entries referred to, kept with parked ones.
    ``causes``: for entries that came in different messages recorded together, the
    message each came in, which its events are caused by (else the caller's context)."""
    if not entries:
        return []
    ids = [e.entry_id for e in entries]
    await repository.lock_arrivals(session, {e.beneficiary_id for e in entries})
    undertakings = await repository.linked_enterprises(session, {e.beneficiary_id for e in entries})
    projects = {e.project_id for e in entries if e.project_id is not None}
    await repository.lock_scopes(
        session, [min(members) for members in undertakings.values()] + sorted(projects)
    )
    # Each lost race means another writer committed one of these ids: the next round
    # sees it, so rounds are bounded by the batch's size (in practice one or two).
    for _ in range(len(entries) + 1):
        stored_parked, waiting = await repository.lock_parked(session, ids)
        decider, expired_ids = await _decider(
            session, entries, stored_parked, waiting, undertakings, projects
        )
        decisions = [decider.submit(entry) for entry in entries]
        try:
            await _finish(session, decider, expired_ids, names, known=stored_parked, causes=causes)
        except repository.LostRace:
            continue
        return decisions
    raise RuntimeError("a batch kept losing its entry ids to other writers")


@dataclass(frozen=True)
class Arrival:
    """An actor's registration reaching funding, and the event that brought it (what
    it releases is caused by that event: correlation, causation, trace)."""

    actor_id: uuid.UUID
    event: CloudEvent


async def beneficiaries_arrived(session: AsyncSession, arrivals: Sequence[Arrival]) -> None:
    """These actors' registrations have reached funding: the entries parked for want of
    them are decided and recorded, in the caller's transaction (the projection's).

    Set-based: what waits for any of them is read (and locked) in one statement, decided
    by one decider in the arrivals' order (each arrival's entries as one arrival at a time
    would decide them: an entry applied for one counts in the rules of the next), and
    written with one statement per table."""
    first: dict[uuid.UUID, Arrival] = {}
    for arrival in arrivals:  # an actor registered and updated in one batch: its first
        first.setdefault(arrival.actor_id, arrival)
    actors = list(first)
    # In the writers' order: the arrival locks, then (having read what waits, to know
    # its projects) the scope locks, and only then row locks, reading again under them.
    await repository.lock_arrivals(session, actors)
    awaited, projects = await repository.awaited_among(session, actors)
    if not awaited:
        return
    arriving = [a for a in first.values() if a.actor_id in awaited]
    undertakings = await repository.linked_enterprises(session, awaited)
    await repository.lock_scopes(
        session, [min(members) for members in undertakings.values()] + sorted(projects)
    )
    _, waiting = await repository.lock_parked(session, [a.actor_id for a in arriving])
    decider, expired_ids = await _decider(
        session, [], {}, waiting, undertakings, projects, arriving=awaited
    )
    causes: dict[uuid.UUID, CloudEvent] = {}
    for arrival in arriving:
        causes |= dict.fromkeys(_released_by(decider, arrival.actor_id), arrival.event)
    # Only entries parked before are decided here: their ids are claimed already, and
    # their rows held (one still waiting, for something else now, is updated).
    await _finish(
        session, decider, expired_ids, {}, known={w.entry_id: w for w in waiting}, causes=causes
    )


def _released_by(decider: BatchDecider, actor_id: uuid.UUID) -> list[uuid.UUID]:
    """The actor's arrival in the decider: the ids of the entries it applied or refused."""
    changes = decider.changes
    applied, refused = len(changes.applied), len(changes.refused_after_parking)
    decider.beneficiary_arrived(actor_id)
    return [d.entry.entry_id for d in changes.applied[applied:]] + [
        d.entry.entry_id for d in changes.refused_after_parking[refused:]
    ]


async def _decider(
    session: AsyncSession,
    entries: Sequence[Entry],
    stored_parked: Mapping[uuid.UUID, repository.ParkedRow],
    waiting: Sequence[Entry],
    undertakings: Mapping[uuid.UUID, frozenset[uuid.UUID]],
    projects: set[uuid.UUID],
    *,
    arriving: Collection[uuid.UUID] = (),
) -> tuple[BatchDecider, set[uuid.UUID]]:
    """A decider loaded with what the rules need for ``entries`` and the ``waiting``
    entries they may release; and the ids among ``entries`` refused earlier for
    waiting too long. ``arriving`` beneficiaries, already in the projection, are not
    known to the decider yet: their arrival is what releases the entries waiting for
    them."""
    ids = [e.entry_id for e in entries]
    recorded = await repository.stored_entries(session, ids)
    # Refused for waiting too long: decided as if never seen (see EXPIRED_RULE).
    expired_ids = {
        entry_id
        for entry_id, row in stored_parked.items()
        if row.state == "rejected" and expired(row.problem)
    }
    parked = {
        entry_id: Parked(row.entry, row.state, row.problem, row.waiting_for)  # type: ignore[arg-type]
        for entry_id, row in stored_parked.items()
        if entry_id not in expired_ids
    }
    members = {m for group in undertakings.values() for m in group}
    refs = {r for e in (*entries, *waiting) for r in (e.target, e.commitment_ref) if r}
    scope = await repository.entries_in_scope(
        session,
        beneficiaries=members | {w.beneficiary_id for w in waiting},
        projects=projects | {w.project_id for w in waiting if w.project_id is not None},
        entry_ids=refs,
    )
    everyone = members | {e.beneficiary_id for e in scope}
    beneficiaries = {e.beneficiary_id for e in (*entries, *waiting)}
    caps: dict[uuid.UUID, FstpCaps] = await reference_repository.fstp_caps(session, projects)
    context = RuleContext(
        undertaking_of=undertaking_ids(undertakings.values()),
        fstp_caps=caps,
        smes=frozenset(await repository.smes_among(session, everyone)),
    )
    decider = BatchDecider(
        scope=scope,
        recorded=recorded,
        parked=parked,
        waiting_elsewhere=waiting,
        undertakings=undertakings,
        context=context,
        known_beneficiaries=await repository.known_beneficiaries(session, beneficiaries)
        - set(arriving),
    )
    return decider, expired_ids


async def _finish(
    session: AsyncSession,
    decider: BatchDecider,
    expired_ids: set[uuid.UUID],
    names: Mapping[uuid.UUID, str] | None,
    *,
    known: Mapping[uuid.UUID, object],
    causes: Mapping[uuid.UUID, CloudEvent] | None = None,
) -> None:
    """Write what the batch decided and announce it. ``known``: the ids parked before
    (their rows held by this batch); every other id the batch records or parks is new,
    and claimed first. ``causes``: the event each entry's announcements are caused by,
    where entries came in (or were released by) different events."""
    changes = decider.finish()
    # The decider does not know them as parked: an expired one applied now leaves no
    # refused row behind (one parked again has its row reset by the upsert).
    changes.released.extend(
        d.entry.entry_id for d in changes.applied if d.entry.entry_id in expired_ids
    )
    released = set(changes.released)
    await repository.claim_ids(
        session,
        sorted(
            {
                d.entry.entry_id
                for d in (*changes.applied, *changes.parked)
                if d.entry.entry_id not in known and d.entry.entry_id not in released
            }
        ),
    )
    await _write(session, changes, names or {})
    if changes.applied:
        await copy_outbox(session, _caused_records(changes.applied, causes or {}))
    await _announce_refusals(session, changes.refused_after_parking, causes or {})


async def _write(session: AsyncSession, changes: Changes, names: Mapping[uuid.UUID, str]) -> None:
    await repository.insert_entries(session, [(d.entry, d.flags) for d in changes.applied])
    await repository.park(
        session,
        [(d.entry, d.waiting_for, parked_reason(d.entry, d.waiting_for)) for d in changes.parked],
        names,
    )
    await repository.unpark(session, changes.released)
    await repository.set_nets(
        session, list(changes.nets.values()), {d.entry.entry_id for d in changes.applied}
    )
    await repository.reject_parked(
        session, [(d.entry.entry_id, refusal_problem(d)) for d in changes.refused_after_parking]
    )


async def _announce_refusals(
    session: AsyncSession, refused: Sequence[Decision], causes: Mapping[uuid.UUID, CloudEvent]
) -> None:
    """Entries parked earlier and refused by a rule now (rare): each announced under the
    event that caused its decision, else in the caller's context."""
    for decision in refused:
        cause = causes.get(decision.entry.entry_id)
        with event_context(cause) if cause is not None else nullcontext():
            await add_events(session, _refusals([decision]))


def _refusals(refused: Sequence[Decision]) -> list[PendingEvent]:
    """The announcements of entries parked earlier and refused by a rule now."""
    return [
        item_rejected(
            d.entry.external_system, d.entry.external_id, refusal_problem(d)["reason"], d.errors
        )
        for d in refused
    ]


def _caused_records(
    applied: Sequence[Decision], causes: Mapping[uuid.UUID, CloudEvent]
) -> list[OutboxRecord]:
    """:func:`_recorded_records` of entries from several messages, each run of entries
    caused by its message. An entry released by the batch (parked before) follows the
    entry that released it, and so is caused by the same message."""
    if not causes:
        return _recorded_records(applied)
    records: list[OutboxRecord] = []
    cause: CloudEvent | None = None
    run: list[Decision] = []
    for decision in applied:
        own = causes.get(decision.entry.entry_id, cause)
        if own is not cause and run:
            records.extend(_records_caused_by(cause, run))
            run = []
        cause = own
        run.append(decision)
    records.extend(_records_caused_by(cause, run))
    return records


def _records_caused_by(cause: CloudEvent | None, applied: Sequence[Decision]) -> list[OutboxRecord]:
    with event_context(cause) if cause is not None else nullcontext():
        return _recorded_records(applied)


def _recorded_records(applied: Sequence[Decision]) -> list[OutboxRecord]:
    """The outbox rows of applied entries: each entry's ``*.recorded`` event, then one
    ``rule-violation.flagged`` per flag it raised, in order (one beneficiary's events
    keep it). Built as plain data in the models' JSON form (:func:`codec.event_data`,
    tested against the models): an event model per entry cost more than the rest of a
    batch's writing."""
    recorded = {kind: OutboxRecords(model, AGGREGATE) for kind, model in _RECORDED.items()}
    flagged = OutboxRecords(RuleViolationFlaggedV1, AGGREGATE)
    records: list[OutboxRecord] = []
    for decision in applied:
        entry = decision.entry
        subject = str(entry.beneficiary_id)
        records.append(
            recorded[entry.kind].record(
                EventOf(subject, None, codec.event_data(entry, decision.flags))
            )
        )
        records.extend(
            flagged.record(EventOf(subject, None, codec.flagged_data(entry, flag)))
            for flag in decision.flags
        )
    return records


def item_rejected(
    external_system: str,
    external_id: str,
    reason: str,
    violations: Sequence[dict[str, Any]] = (),
) -> PendingEvent:
    """The announcement that a sender's item is not recorded, keyed by the sender so its
    refusals keep their order whichever path refused them."""
    return PendingEvent(
        data=AuthorityItemRejectedV1(
            external_system=external_system,
            external_id=external_id,
            entry_id=codec.entry_id_for(external_system, external_id),
            reason=reason,
            violations=[RuleFlagV1.model_validate(v) for v in violations],
        ),
        aggregate_type="sender",
        subject=external_system,
    )
