"""Invariants of the funding ledger's fold and rules, checked with hypothesis.

- totals equal the sum of the entries, with their corrections applied;
- replaying entries (duplicates) changes nothing;
- any arrival order gives the same balances and the same rule breaches;
- reversing every entry gives zero;
- the de minimis headroom is exactly what check_new_entry lets through.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from synergia_funding.ledger.balances import Balance, BucketKey, fold, value_chain_totals
from synergia_funding.ledger.entries import (
    Entry,
    EntryKind,
    EsifFund,
    FinanceType,
    PrivateTiming,
    Source,
)
from synergia_funding.ledger.rules import (
    Rule,
    RuleContext,
    check_ledger,
    check_new_entry,
    de_minimis_headroom,
)

PROJECTS = [uuid.UUID(int=100), uuid.UUID(int=200)]
BENEFICIARIES = [uuid.UUID(int=n) for n in (1, 2, 3)]
SETTINGS = settings(max_examples=150, deadline=None)

cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c).scaleb(-2))


@dataclass
class Ledger:
    entries: list[Entry]
    net: dict[uuid.UUID, Decimal]  # expected net amount per original
    originals: list[Entry]
    live: list[Entry]  # the originals and adjustments no reversal has cancelled


@st.composite
def ledgers(draw: st.DrawFn) -> Ledger:
    ids = iter(range(1, 10_000))

    def next_id() -> uuid.UUID:
        return uuid.UUID(int=next(ids) + 1000)

    originals: list[Entry] = []
    for _ in range(draw(st.integers(0, 10))):
        kind = draw(st.sampled_from(list(EntryKind)))
        source = draw(st.sampled_from(list(Source)))
        commitments = [e.entry_id for e in originals if e.kind is EntryKind.COMMITMENT]
        entry_id = next_id()
        originals.append(
            Entry(
                entry_id=entry_id,
                kind=kind,
                beneficiary_id=draw(st.sampled_from(BENEFICIARIES)),
                project_id=draw(st.sampled_from(PROJECTS)),
                source=source,
                fund=draw(st.sampled_from(list(EsifFund))) if source is Source.ESIF else None,
                instrument_id=draw(st.sampled_from([None, "A", "B"])),
                amount=draw(cents),
                finance_type=draw(st.sampled_from(list(FinanceType))),
                entry_date=date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 700))),
                member_state=draw(st.sampled_from(["DE", "FR"])),
                external_system="prop",
                external_id=str(entry_id),
                cost_item_ref=draw(st.sampled_from(["x", "y"]))
                if kind is EntryKind.COST_ITEM
                else draw(st.sampled_from([None, "x", "y"])),
                commitment_ref=draw(st.sampled_from([None, *commitments]))
                if kind is EntryKind.DISBURSEMENT
                else None,
                private_timing=draw(st.sampled_from(list(PrivateTiming)))
                if source is Source.PRIVATE
                else None,
            )
        )
    entries: list[Entry] = list(originals)
    net: dict[uuid.UUID, Decimal] = {}
    live: list[Entry] = []
    for original in originals:
        total = original.amount
        for _ in range(draw(st.integers(0, 2))):
            delta = draw(cents) * draw(st.sampled_from([1, -1]))
            entry_id = next_id()
            adj = replace(original, entry_id=entry_id, external_id=str(entry_id))
            adj = replace(adj, amount=delta, adjusts=original.entry_id)
            entries.append(adj)
            if draw(st.booleans()):
                entries.append(_reversal(adj, next_id()))
            else:
                total += delta
                live.append(adj)
        if draw(st.booleans()):
            entries.append(_reversal(original, next_id()))
            total = Decimal(0)
        else:
            live.append(original)
        net[original.entry_id] = total
    return Ledger(entries, net, originals, live)


def _reversal(of: Entry, entry_id: uuid.UUID) -> Entry:
    return replace(
        of,
        entry_id=entry_id,
        external_id=str(entry_id),
        amount=abs(of.amount),
        adjusts=None,
        reverses=of.entry_id,
    )


def _key(e: Entry) -> BucketKey:
    return BucketKey(
        e.beneficiary_id, e.project_id, e.source, e.fund, e.instrument_id, e.private_timing
    )


def _messages(entries: list[Entry]) -> list[str]:
    ctx = RuleContext(smes=frozenset(BENEFICIARIES[:1]))
    return sorted(v.message for v in check_ledger(entries, ctx))


@SETTINGS
@given(ledgers())
def test_totals_equal_the_sum_of_entries_with_corrections(ledger: Ledger) -> None:
    expected: dict[BucketKey, Balance] = defaultdict(Balance)
    for original in ledger.originals:
        expected[_key(original)] = expected[_key(original)].add(
            original.kind, ledger.net[original.entry_id]
        )
    balances = fold(ledger.entries)
    assert balances.by_bucket == dict(expected)
    assert balances.unresolved_corrections == frozenset()
    for kind, field in [
        (EntryKind.COMMITMENT, "committed"),
        (EntryKind.COST_ITEM, "cost_claimed"),
        (EntryKind.DISBURSEMENT, "disbursed"),
    ]:
        want = sum((ledger.net[o.entry_id] for o in ledger.originals if o.kind is kind), Decimal(0))
        assert getattr(balances.total(), field) == want
    # The value-chain report lines add up to the same totals.
    by_project = sum((value_chain_totals(ledger.entries, p).total for p in PROJECTS), Balance())
    assert by_project == balances.total()


@SETTINGS
@given(ledgers(), st.data())
def test_replaying_entries_changes_nothing(ledger: Ledger, data: st.DataObject) -> None:
    replayed = data.draw(st.lists(st.sampled_from(ledger.entries))) if ledger.entries else []
    assert fold(ledger.entries + replayed) == fold(ledger.entries)
    assert _messages(ledger.entries + replayed) == _messages(ledger.entries)


@SETTINGS
@given(ledgers(), st.data())
def test_arrival_order_does_not_change_the_result(ledger: Ledger, data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(ledger.entries))
    assert fold(shuffled) == fold(ledger.entries)
    assert _messages(shuffled) == _messages(ledger.entries)


@SETTINGS
@given(ledgers())
def test_reversing_every_entry_gives_zero(ledger: Ledger) -> None:
    start = 50_000
    reversals = [_reversal(e, uuid.UUID(int=start + i)) for i, e in enumerate(ledger.live)]
    balances = fold(ledger.entries + reversals)
    assert all(b == Balance() for b in balances.by_bucket.values())
    assert all(b == Balance() for b in balances.by_commitment.values())
    assert balances.total() == Balance()


# --- de minimis headroom against check_new_entry -------------------------------------------

UNDERTAKING = uuid.UUID(int=500)
CTX = RuleContext(undertaking_of={BENEFICIARIES[0]: UNDERTAKING, BENEFICIARIES[1]: UNDERTAKING})
days = st.integers(0, 8 * 366).map(lambda d: date(2020, 1, 1) + timedelta(days=d))
aid_amounts = st.integers(1, 15_000_000).map(lambda c: Decimal(c).scaleb(-2))


def _aid(n: int, amount: Decimal, day: date, beneficiary: uuid.UUID) -> Entry:
    return Entry(
        entry_id=uuid.UUID(int=n),
        kind=EntryKind.COMMITMENT,
        beneficiary_id=beneficiary,
        project_id=None,
        source=Source.REGIONAL,
        fund=None,
        instrument_id=None,
        amount=amount,
        finance_type=FinanceType.GRANT,
        entry_date=day,
        member_state="DE",
        external_system="prop",
        external_id=str(n),
        is_de_minimis=True,
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(aid_amounts, days, st.sampled_from(BENEFICIARIES)), max_size=5),
    days,
)
def test_headroom_is_exactly_what_a_new_aid_may_use(
    aids: list[tuple[Decimal, date, uuid.UUID]], on: date
) -> None:
    existing = [_aid(i + 1, amount, day, who) for i, (amount, day, who) in enumerate(aids)]
    assume(not check_ledger(existing, CTX))
    headroom = de_minimis_headroom(existing, UNDERTAKING, "DE", on, CTX)
    assert headroom.used + headroom.remaining <= headroom.ceiling
    assert sum((a for _, a in headroom.drops_out), Decimal(0)) == headroom.used
    assert all(day > on for day, _ in headroom.drops_out)

    def de_minimis_errors(amount: Decimal) -> list[Rule]:
        new = _aid(999, amount, on, BENEFICIARIES[1])
        return [v.rule for v in check_new_entry(existing, new, CTX) if v.rule is Rule.DE_MINIMIS]

    if headroom.remaining > 0:
        assert de_minimis_errors(headroom.remaining) == []
    assert de_minimis_errors(headroom.remaining + Decimal("0.01"))
