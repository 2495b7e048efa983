"""Deciding a batch of new entries against the ledger as it stands (pure, no I/O).

The service loads what the rules need (the entries of the batch's single undertakings and
projects, the entries referred to, what is already recorded or parked under the batch's
ids) and feeds the new entries in arrival order. Each is

* a **replay** when the very same entry is recorded or parked already: its first result
  stands, nothing changes;
* a **conflict** when its id (its external reference) is taken by a different entry;
* **parked** when an entry it refers to has not arrived, or when its beneficiary is not
  known here yet (no registration event of the actor has reached funding): money is
  never applied to an actor id the registry has not announced;
* **rejected** when a rule says error; else **applied**, with the rule flags it raised.

An applied entry releases the parked entries that wait for it (earlier in the same batch,
or parked by an earlier batch), which are decided in turn, and so on; so does a
beneficiary's registration (:meth:`BatchDecider.beneficiary_arrived`). What an entry
waits for is a list of ids: entry ids (UUIDv5, derived from the sender's external ids)
and, for an unknown beneficiary, the actor id itself (the registry's UUIDv4): the two
never coincide, so one list and one index serve both.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

from synergia_funding.ledger.balances import resolve
from synergia_funding.ledger.entries import Entry
from synergia_funding.ledger.rules import (
    RuleContext,
    Violation,
    check_new_entry,
)

Status = Literal["applied", "parked", "rejected"]


def flag_json(violation: Violation) -> dict[str, Any]:
    return {
        "rule": violation.rule.value,
        "severity": violation.severity,
        "message": violation.message,
        "details": violation.details,
    }


@dataclass
class Decision:
    entry: Entry
    status: Status
    replayed: bool = False
    flags: list[dict[str, Any]] = field(default_factory=list)  # applied: the flags raised
    errors: list[dict[str, Any]] = field(default_factory=list)  # rejected by a rule
    conflict: bool = False  # rejected: its id is taken by a different entry
    waiting_for: list[uuid.UUID] = field(default_factory=list)
    stored_problem: dict[str, Any] | None = None  # a replay of one rejected after parking


@dataclass(frozen=True)
class Parked:
    entry: Entry
    state: Literal["waiting", "rejected"]
    problem: dict[str, Any] | None
    waiting_for: list[uuid.UUID]


@dataclass
class Changes:
    """What the service writes once the batch is decided."""

    applied: list[Decision] = field(default_factory=list)  # in the order they were applied
    parked: list[Decision] = field(default_factory=list)  # newly parked or waiting for less
    released: list[uuid.UUID] = field(default_factory=list)  # parked earlier, now recorded
    refused_after_parking: list[Decision] = field(default_factory=list)  # parked earlier
    # The originals whose net amount changed, with it (the reports' ``ledger_nets``).
    nets: dict[uuid.UUID, tuple[Entry, Decimal, bool]] = field(default_factory=dict)


class BatchDecider:
    def __init__(
        self,
        *,
        scope: Iterable[Entry],
        recorded: Mapping[uuid.UUID, tuple[Entry, list[dict[str, Any]]]],
        parked: Mapping[uuid.UUID, Parked],
        waiting_elsewhere: Iterable[Entry],
        undertakings: Mapping[uuid.UUID, frozenset[uuid.UUID]],
        context: RuleContext,
        known_beneficiaries: Collection[uuid.UUID],
    ) -> None:
        self._by_id: dict[uuid.UUID, Entry] = {}
        self._by_beneficiary: dict[uuid.UUID, dict[uuid.UUID, Entry]] = defaultdict(dict)
        self._by_project: dict[uuid.UUID, dict[uuid.UUID, Entry]] = defaultdict(dict)
        for entry in scope:
            self._index(entry)
        self._recorded = dict(recorded)
        self._parked = dict(parked)
        self._undertakings = undertakings
        self._context = context
        self._known = set(known_beneficiaries)
        # Who waits for what: entries parked by earlier batches, then by this one; and
        # the other way round, what each waits for (a release forgets a waiter under
        # those keys only: one decider may hold a whole batch of arrivals).
        self._waiters: dict[uuid.UUID, dict[uuid.UUID, Decision]] = defaultdict(dict)
        self._waits_for: dict[uuid.UUID, list[uuid.UUID]] = {}
        self._from_earlier: set[uuid.UUID] = set()
        for entry in waiting_elsewhere:
            self._from_earlier.add(entry.entry_id)
            self._wait(Decision(entry, "parked"), self._missing(entry))
        self._in_batch: dict[uuid.UUID, Decision] = {}
        self._applied: dict[uuid.UUID, Decision] = {}  # in this batch, released ones too
        self.changes = Changes()

    def _wait(self, decision: Decision, missing: list[uuid.UUID]) -> None:
        for m in missing:
            self._waiters[m][decision.entry.entry_id] = decision
        self._waits_for[decision.entry.entry_id] = missing

    def _index(self, entry: Entry) -> None:
        self._by_id[entry.entry_id] = entry
        self._by_beneficiary[entry.beneficiary_id][entry.entry_id] = entry
        if entry.project_id is not None:
            self._by_project[entry.project_id][entry.entry_id] = entry

    def _missing(self, entry: Entry) -> list[uuid.UUID]:
        needed = [entry.target, entry.commitment_ref]
        missing = [i for i in needed if i is not None and i not in self._by_id]
        if entry.beneficiary_id not in self._known:
            missing.append(entry.beneficiary_id)
        return missing

    def _relevant(self, entry: Entry) -> list[Entry]:
        """The entries the rules need for this one: its single undertaking's, its
        project's, and those it refers to."""
        found: dict[uuid.UUID, Entry] = {}
        members = self._undertakings.get(entry.beneficiary_id, frozenset({entry.beneficiary_id}))
        for member in members | {entry.beneficiary_id}:
            found.update(self._by_beneficiary.get(member, {}))
        if entry.project_id is not None:
            found.update(self._by_project.get(entry.project_id, {}))
        for ref in (entry.target, entry.commitment_ref):
            if ref is not None and ref in self._by_id:
                found[ref] = self._by_id[ref]
        return list(found.values())

    def submit(self, entry: Entry) -> Decision:
        """Decide one new entry (and whatever it releases)."""
        earlier = self._in_batch.get(entry.entry_id) or self._applied.get(entry.entry_id)
        if earlier is not None:
            if earlier.entry == entry:
                return replace(earlier, replayed=True)
            return Decision(entry, "rejected", conflict=True)
        stored = self._recorded.get(entry.entry_id)
        if stored is not None:
            if stored[0] == entry:
                return Decision(entry, "applied", replayed=True, flags=stored[1])
            return Decision(entry, "rejected", conflict=True)
        parked = self._parked.get(entry.entry_id)
        if parked is not None:
            same = parked.entry == entry
            if parked.state == "waiting":
                if not same:
                    return Decision(entry, "rejected", conflict=True)
                return Decision(entry, "parked", replayed=True, waiting_for=parked.waiting_for)
            if same:
                return Decision(entry, "rejected", replayed=True, stored_problem=parked.problem)
            # Refused after parking, and now sent anew with other content: decided afresh.
        decision = self._decide(Decision(entry, "parked"))
        self._in_batch[entry.entry_id] = decision
        return decision

    def _decide(self, decision: Decision) -> Decision:
        entry = decision.entry
        missing = self._missing(entry)
        if missing:
            decision.status = "parked"
            decision.waiting_for = missing
            self._wait(decision, missing)
            return decision
        violations = check_new_entry(self._relevant(entry), entry, self._context)
        errors = [v for v in violations if v.severity == "error"]
        if errors:
            decision.status = "rejected"
            decision.errors = [flag_json(v) for v in errors]
            return decision
        decision.status = "applied"
        decision.waiting_for = []
        decision.flags = [flag_json(v) for v in violations]
        self._index(entry)
        self._applied[entry.entry_id] = decision
        self.changes.applied.append(decision)
        if entry.entry_id in self._parked or entry.entry_id in self._from_earlier:
            # Parked earlier (waiting, or refused once and now sent anew): recorded now.
            self.changes.released.append(entry.entry_id)
        self._net_changed(entry)
        self._release(entry.entry_id)
        return decision

    def _net_changed(self, entry: Entry) -> None:
        """Record the new net amount of the original an applied entry is or corrects.

        Corrections repeat their original's beneficiary (the consistency rule), so the
        original and all its corrections are among the beneficiary's entries."""
        if not entry.is_correction:
            # Its corrections are parked until it is applied: its net is its amount.
            self.changes.nets[entry.entry_id] = (entry, entry.amount, False)
            return
        family = self._by_beneficiary[entry.beneficiary_id].values()
        resolution = resolve(family)
        original = resolution.original_of(entry.entry_id)
        if original is None:
            return
        effect = resolution.effects.get(original.entry_id)
        if effect is not None:
            self.changes.nets[original.entry_id] = (original, effect.amount, effect.reversed)

    def _release(self, arrived: uuid.UUID) -> None:
        for waiter in list(self._waiters.pop(arrived, {}).values()):
            entry_id = waiter.entry.entry_id
            if entry_id in self._applied or waiter.errors:  # applied, or refused by a rule
                # Waited for two things, and an earlier waiter's release decided it.
                continue
            for other in self._waits_for.pop(entry_id, ()):
                if other in self._waiters:
                    self._waiters[other].pop(entry_id, None)
            self._decide(waiter)
            if entry_id in self._from_earlier:
                if waiter.status == "rejected":
                    self.changes.refused_after_parking.append(waiter)
                elif waiter.status == "parked":
                    self.changes.parked.append(waiter)  # waits for something else now

    def beneficiary_arrived(self, actor_id: uuid.UUID) -> None:
        """The actor's registration has reached funding: what waits for it is decided."""
        self._known.add(actor_id)
        self._release(actor_id)

    def finish(self) -> Changes:
        """The changes to write: entries applied, and those of this batch still parked."""
        for decision in self._in_batch.values():
            if decision.status == "parked" and not decision.replayed:
                self.changes.parked.append(decision)
        # One parked earlier may wait for less after one release and be applied (or
        # refused) after another: only what still waits is parked.
        still = {d.entry.entry_id: d for d in self.changes.parked if d.status == "parked"}
        self.changes.parked = list(still.values())
        return self.changes
