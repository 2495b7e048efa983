"""The batch decider: however the items arrive — in what order, split into which batches,
resent or not — the ledger ends up with the same entries and nothing parked.

The store is simulated here exactly as the service writes it (recorded entries, parked
entries with what they wait for), so this checks the decisions, not the SQL; the
integration tests check the SQL.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from synergia_funding.ledger.balances import fold, resolve
from synergia_funding.ledger.decide import BatchDecider, Parked
from synergia_funding.ledger.entries import Entry, EntryKind, EsifFund, FinanceType, Source
from synergia_funding.ledger.rules import RuleContext, undertaking_ids

BENEFICIARY = uuid.UUID(int=7)


def commitment(n: int, amount: str) -> Entry:
    return Entry(
        entry_id=uuid.UUID(int=1000 + n),
        kind=EntryKind.COMMITMENT,
        beneficiary_id=BENEFICIARY,
        project_id=None,
        source=Source.ESIF,
        fund=EsifFund.ERDF,
        instrument_id="2014IT16RFOP012",
        amount=Decimal(amount),
        finance_type=FinanceType.GRANT,
        entry_date=date(2024, 1, 1),
        member_state="IT",
        external_system="authority",
        external_id=f"C{n}",
    )


def world() -> list[Entry]:
    """Commitments, payments of them, an upward adjustment, a reversed payment: every
    order is valid once all have arrived (payments stay below what is committed)."""
    entries: list[Entry] = []
    for n in range(3):
        c = commitment(n, "1000.00")
        pay = replace(
            c,
            entry_id=uuid.UUID(int=2000 + n),
            kind=EntryKind.DISBURSEMENT,
            amount=Decimal("400.00"),
            external_id=f"P{n}",
            commitment_ref=c.entry_id,
        )
        raise_it = replace(
            c,
            entry_id=uuid.UUID(int=3000 + n),
            amount=Decimal("50.00"),
            external_id=f"A{n}",
            adjusts=c.entry_id,
        )
        undo_pay = replace(
            pay, entry_id=uuid.UUID(int=4000 + n), external_id=f"R{n}", reverses=pay.entry_id
        )
        entries += [c, pay, raise_it, undo_pay]
    return entries


class Store:
    def __init__(self) -> None:
        self.recorded: dict[uuid.UUID, tuple[Entry, list[dict[str, Any]]]] = {}
        self.parked: dict[uuid.UUID, Parked] = {}
        self.nets: dict[uuid.UUID, Decimal] = {}  # as ledger_nets keeps them

    def submit(self, batch: list[Entry]) -> list[str]:
        ids = {e.entry_id for e in batch}
        waiting = [
            p.entry
            for p in self.parked.values()
            if p.state == "waiting" and ids & set(p.waiting_for)
        ]
        decider = BatchDecider(
            scope=[e for e, _ in self.recorded.values()],
            recorded=self.recorded,
            parked={i: p for i, p in self.parked.items() if i in ids},
            waiting_elsewhere=waiting,
            undertakings={},
            context=RuleContext(),
            known_beneficiaries={e.beneficiary_id for e in (*batch, *waiting)},
        )
        statuses = [decider.submit(e).status for e in batch]
        changes = decider.finish()
        for d in changes.applied:
            self.recorded[d.entry.entry_id] = (d.entry, d.flags)
            self.parked.pop(d.entry.entry_id, None)
        for d in changes.parked:
            self.parked[d.entry.entry_id] = Parked(d.entry, "waiting", None, d.waiting_for)
        for original, net, _ in changes.nets.values():
            self.nets[original.entry_id] = net
        for d in changes.refused_after_parking:
            self.parked[d.entry.entry_id] = Parked(d.entry, "rejected", {"reason": "x"}, [])
        return statuses


@settings(max_examples=200, deadline=None)
@given(
    order=st.permutations(list(range(12))),
    cuts=st.lists(st.integers(1, 11), max_size=5),
    resend=st.lists(st.integers(0, 11), max_size=4),
)
def test_any_arrival_order_and_batching_gives_the_same_ledger(
    order: list[int], cuts: list[int], resend: list[int]
) -> None:
    entries = world()
    arrivals = [entries[i] for i in order] + [entries[i] for i in resend]
    bounds = [0, *sorted(set(cuts)), len(arrivals)]
    store = Store()
    for start, end in itertools.pairwise(bounds):
        if start < end:
            store.submit(arrivals[start:end])
    assert set(store.recorded) == {e.entry_id for e in entries}
    assert not store.parked, "nothing is left waiting once everything has arrived"
    expected = fold(entries)
    assert fold(e for e, _ in store.recorded.values()) == expected
    effects = resolve(entries).effects
    assert store.nets == {i: effect.amount for i, effect in effects.items()}, "report nets"


def test_a_resent_item_is_answered_with_its_first_result_and_changes_nothing() -> None:
    store = Store()
    c, pay = world()[:2]
    assert store.submit([pay]) == ["parked"]
    assert store.submit([pay]) == ["parked"]
    assert store.submit([c, pay]) == ["applied", "applied"]
    assert store.submit([c, pay, c]) == ["applied", "applied", "applied"]
    assert len(store.recorded) == 2


def test_the_same_id_with_other_content_is_refused_as_a_conflict() -> None:
    store = Store()
    c = world()[0]
    store.submit([c])
    decider = BatchDecider(
        scope=[c],
        recorded=store.recorded,
        parked={},
        waiting_elsewhere=[],
        undertakings={},
        context=RuleContext(),
        known_beneficiaries={c.beneficiary_id},
    )
    decision = decider.submit(replace(c, amount=Decimal("1.00")))
    assert decision.status == "rejected"
    assert decision.conflict
    assert not decider.finish().applied


def test_money_for_an_unknown_beneficiary_waits_for_its_registration_then_applies_once() -> None:
    """Nothing is applied for an actor funding has not heard of; its registration
    releases every item, commitments before the payments that name them."""
    entries = world()
    decider = BatchDecider(
        scope=[],
        recorded={},
        parked={},
        waiting_elsewhere=[],
        undertakings={},
        context=RuleContext(),
        known_beneficiaries=set(),
    )
    decisions = [decider.submit(e) for e in entries]
    assert {d.status for d in decisions} == {"parked"}
    first = decisions[0]
    assert first.waiting_for == [BENEFICIARY]  # a commitment waits for its actor only
    payment = decisions[1]  # its commitment, parked too, is not there for it either
    assert payment.waiting_for == [first.entry.entry_id, BENEFICIARY]
    changes = decider.finish()
    assert not changes.applied
    assert len(changes.parked) == len(entries)

    # The registration arrives: what waited is decided afresh, as parked earlier.
    later = BatchDecider(
        scope=[],
        recorded={},
        parked={},
        waiting_elsewhere=[d.entry for d in changes.parked],
        undertakings={},
        context=RuleContext(),
        known_beneficiaries=set(),
    )
    later.beneficiary_arrived(BENEFICIARY)
    released = later.finish()
    assert sorted(d.entry.external_id for d in released.applied) == sorted(
        e.external_id for e in entries
    )
    assert sorted(released.released) == sorted(e.entry_id for e in entries)
    assert not released.parked
    assert not released.refused_after_parking
    applied = {d.entry.entry_id for d in released.applied}
    assert len(applied) == len(entries)  # each once


def test_an_item_waiting_for_its_commitment_and_its_beneficiary_waits_for_both() -> None:
    c, pay = world()[:2]
    decider = BatchDecider(
        scope=[],
        recorded={},
        parked={},
        waiting_elsewhere=[],
        undertakings={},
        context=RuleContext(),
        known_beneficiaries=set(),
    )
    assert decider.submit(pay).waiting_for == [c.entry_id, BENEFICIARY]
    parked = decider.finish().parked
    # The registration alone releases nothing: the payment now waits for its commitment.
    later = BatchDecider(
        scope=[],
        recorded={},
        parked={},
        waiting_elsewhere=[d.entry for d in parked],
        undertakings={},
        context=RuleContext(),
        known_beneficiaries=set(),
    )
    later.beneficiary_arrived(BENEFICIARY)
    changes = later.finish()
    assert not changes.applied
    assert [d.waiting_for for d in changes.parked] == [[c.entry_id]]


UNDERTAKING = [uuid.UUID(int=71), uuid.UUID(int=72), uuid.UUID(int=73)]  # linked enterprises
LINKED = {member: frozenset(UNDERTAKING) for member in UNDERTAKING}


def aid(n: int, beneficiary: uuid.UUID, amount: Decimal) -> Entry:
    """De minimis aid: the single undertaking's ceiling (€300,000) is shared."""
    return replace(
        commitment(n, "1.00"),
        beneficiary_id=beneficiary,
        source=Source.REGIONAL,
        fund=None,
        instrument_id=None,
        amount=amount,
        member_state="DE",
        is_de_minimis=True,
    )


def _arrivals_decider(scope: list[Entry], waiting: list[Entry], known: set[uuid.UUID]) -> Any:
    return BatchDecider(
        scope=scope,
        recorded={},
        parked={},
        # As the service reads them: in entry id order.
        waiting_elsewhere=sorted(waiting, key=lambda e: e.entry_id),
        undertakings=LINKED,
        context=RuleContext(undertaking_of=undertaking_ids(LINKED.values())),
        known_beneficiaries=known,
    )


@settings(max_examples=100, deadline=None)
@given(
    amounts=st.lists(
        st.tuples(st.sampled_from(UNDERTAKING), st.integers(20_000, 200_000)),
        min_size=1,
        max_size=8,
    ),
    order=st.permutations(UNDERTAKING),
)
def test_registrations_decided_together_decide_as_one_at_a_time(
    amounts: list[tuple[uuid.UUID, int]], order: list[uuid.UUID]
) -> None:
    """Several linked beneficiaries' registrations arriving in one batch: one decider
    releases all their parked aid in the arrivals' order, and applies and refuses
    exactly what one arrival at a time would (the shared ceiling counts what the
    earlier arrivals applied)."""
    parked = [aid(n, who, Decimal(amount)) for n, (who, amount) in enumerate(amounts)]

    recorded: list[Entry] = []
    alone: dict[uuid.UUID, tuple[str, list[dict[str, Any]]]] = {}
    for n, actor in enumerate(order):
        decider = _arrivals_decider(
            recorded, [e for e in parked if e.beneficiary_id == actor], set(order[:n])
        )
        decider.beneficiary_arrived(actor)
        changes = decider.finish()
        recorded += [d.entry for d in changes.applied]
        for d in (*changes.applied, *changes.refused_after_parking):
            alone[d.entry.entry_id] = (d.status, d.errors)

    together = _arrivals_decider([], parked, set())
    for actor in order:
        together.beneficiary_arrived(actor)
    changes = together.finish()
    assert [d.entry for d in changes.applied] == recorded
    assert {
        d.entry.entry_id: (d.status, d.errors)
        for d in (*changes.applied, *changes.refused_after_parking)
    } == alone
    assert len(alone) == len(parked), "each decided once"
    assert not changes.parked
