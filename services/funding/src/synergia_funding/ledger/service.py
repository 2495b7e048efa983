"""Recording entries: load what the rules need, decide, write, announce — one transaction.

Writers of the same single undertaking or project are serialised by advisory locks taken
before anything is read, so a rule's decision holds until the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.base import EventData
from synergia_shared.events.funding import (
    AuthorityItemRejectedV1,
    CommitmentRecordedV1,
    CostItemRecordedV1,
    DisbursementRecordedV1,
    LedgerEntryV1,
    RuleFlagV1,
    RuleViolationFlaggedV1,
)
from synergia_shared.messaging.outbox import PendingEvent, add_events

from synergia_funding.ledger import codec, repository
from synergia_funding.ledger.decide import BatchDecider, Changes, Decision, Parked
from synergia_funding.ledger.model import Entry, EntryKind
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
        + ", ".join(f"entry {w}" for w in waiting_for)
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


async def record(
    session: AsyncSession,
    entries: Sequence[Entry],
    names: Mapping[uuid.UUID, str] | None = None,
) -> list[Decision]:
    """Decide and record new entries in the caller's transaction; one decision each, in
    order. Entries parked earlier that these release are decided and recorded too.
    ``names`` gives the sender's ids of the entries referred to, kept with parked ones."""
    if not entries:
        return []
    ids = [e.entry_id for e in entries]
    undertakings = await repository.linked_enterprises(session, {e.beneficiary_id for e in entries})
    projects = {e.project_id for e in entries if e.project_id is not None}
    # The entries' own ids too: the same external id sent twice at once with different
    # beneficiaries falls under different undertakings, and must still meet one lock
    # (the second then sees the first and answers a conflict).
    await repository.lock_scopes(
        session, [min(members) for members in undertakings.values()] + sorted(projects) + ids
    )
    recorded = await repository.stored_entries(session, ids)
    stored_parked = await repository.parked(session, ids)
    # Refused for waiting too long: decided as if never seen (see EXPIRED_RULE).
    expired_ids = {
        entry_id
        for entry_id, (_, state, problem, _, _) in stored_parked.items()
        if state == "rejected" and expired(problem)
    }
    parked = {
        entry_id: Parked(entry, state, problem, waiting)  # type: ignore[arg-type]
        for entry_id, (entry, state, problem, waiting, _) in stored_parked.items()
        if entry_id not in expired_ids
    }
    waiting = await repository.parked_waiting_for(session, ids)
    members = {m for group in undertakings.values() for m in group}
    refs = {r for e in (*entries, *waiting) for r in (e.target, e.commitment_ref) if r}
    scope = await repository.entries_in_scope(
        session,
        beneficiaries=members | {w.beneficiary_id for w in waiting},
        projects=projects | {w.project_id for w in waiting if w.project_id is not None},
        entry_ids=refs,
    )
    everyone = members | {e.beneficiary_id for e in scope}
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
    )
    decisions = [decider.submit(entry) for entry in entries]
    changes = decider.finish()
    # The decider does not know them as parked: an expired one applied now leaves no
    # refused row behind (one parked again has its row reset by the upsert).
    changes.released.extend(
        d.entry.entry_id for d in changes.applied if d.entry.entry_id in expired_ids
    )
    await _write(session, changes, names or {})
    return decisions


async def _write(session: AsyncSession, changes: Changes, names: Mapping[uuid.UUID, str]) -> None:
    await repository.insert_entries(session, [(d.entry, d.flags) for d in changes.applied])
    await repository.park(
        session,
        [(d.entry, d.waiting_for, parked_reason(d.entry, d.waiting_for)) for d in changes.parked],
        names,
    )
    await repository.unpark(session, changes.released)
    await repository.set_nets(session, list(changes.nets.values()))
    await repository.reject_parked(
        session, [(d.entry.entry_id, refusal_problem(d)) for d in changes.refused_after_parking]
    )
    events: list[PendingEvent] = []
    for decision in changes.applied:
        entry = decision.entry
        subject = str(entry.beneficiary_id)
        flags = [RuleFlagV1.model_validate(f) for f in decision.flags]
        events.append(_pending(_recorded_event(entry, flags), subject))
        events.extend(
            _pending(
                RuleViolationFlaggedV1(
                    entry_id=entry.entry_id,
                    beneficiary_id=entry.beneficiary_id,
                    project_id=entry.project_id,
                    flag=flag,
                ),
                subject,
            )
            for flag in flags
        )
    events.extend(
        item_rejected(
            d.entry.external_system,
            d.entry.external_id,
            refusal_problem(d)["reason"],
            d.errors,
        )
        for d in changes.refused_after_parking
    )
    if events:
        await add_events(session, events)


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


def _recorded_event(entry: Entry, flags: list[RuleFlagV1]) -> LedgerEntryV1:
    return _RECORDED[entry.kind].model_validate({**codec.to_row(entry), "flags": flags})


def _pending(data: EventData, subject: str) -> PendingEvent:
    return PendingEvent(data=data, aggregate_type=AGGREGATE, subject=subject)
