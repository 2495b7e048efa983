"""The funding ledger's pure fold: entries and corrections to balances and report totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from synergia_funding.ledger.balances import (
    Balance,
    BucketKey,
    ConflictingEntries,
    SourceLine,
    fold,
    leverage,
    region_totals,
    resolve,
    sme_share,
    value_chain_totals,
)
from synergia_funding.ledger.entries import (
    EU_SOURCES,
    Entry,
    EsifFund,
    InvalidEntry,
    PrivateTiming,
    Source,
)

from tests.support.ledger import PROJECT, C, D, K, make_correction, make_entry, uid

entry = make_entry


def reversal(n: int, of: Entry, **extra: Any) -> Entry:
    return make_correction(n, of, str(of.amount), reverses=of.entry_id, **extra)


def adjustment(n: int, of: Entry, delta: str, **extra: Any) -> Entry:
    return make_correction(n, of, delta, adjusts=of.entry_id, **extra)


def key(beneficiary: int = 1, source: Source = Source.H2020, **extra: Any) -> BucketKey:
    return BucketKey(
        uid(beneficiary),
        uid(PROJECT),
        source,
        extra.get("fund"),
        extra.get("instrument_id"),
        extra.get("private_timing"),
    )


# --- the basic fold ------------------------------------------------------------------------


def test_commitment_cost_and_disbursement_in_one_bucket() -> None:
    c = entry(1, C, "1000.00")
    entries = [c, entry(2, K, "400.00"), entry(3, D, "250.50", commitment_ref=c.entry_id)]
    balances = fold(entries)
    balance = balances.by_bucket[key()]
    assert balance == Balance(Decimal("1000.00"), Decimal("400.00"), Decimal("250.50"))
    assert balance.open == Decimal("749.50")
    assert balances.by_commitment[c.entry_id] == Balance(
        Decimal("1000.00"), Decimal("0.00"), Decimal("250.50")
    )


def test_buckets_split_by_beneficiary_source_fund_instrument_and_timing() -> None:
    entries = [
        entry(1, beneficiary=1),
        entry(2, beneficiary=2),
        entry(3, source=Source.ESIF, fund=EsifFund.ERDF, instrument_id="2014IT16RFOP007"),
        entry(4, source=Source.ESIF, fund=EsifFund.ESF, instrument_id="2014IT05SFOP001"),
        entry(5, source=Source.PRIVATE, private_timing=PrivateTiming.FOLLOW_UP),
    ]
    assert len(fold(entries).by_bucket) == 5
    assert fold(entries).total().committed == Decimal("5000.00")


def test_empty_ledger_folds_to_nothing() -> None:
    balances = fold([])
    assert balances.by_bucket == {}
    assert balances.total() == Balance()


def test_the_same_entry_twice_counts_once() -> None:
    c = entry(1)
    assert fold([c, c, c]) == fold([c])


def test_two_different_entries_under_one_id_are_refused_in_any_order() -> None:
    a, b = entry(1, amount="10.00"), entry(1, amount="20.00")
    with pytest.raises(ConflictingEntries, match=str(uid(1))):
        fold([a, b])
    with pytest.raises(ConflictingEntries):
        fold([b, a])


def test_disbursement_before_its_commitment_shows_committed_zero() -> None:
    d = entry(3, D, "100.00", commitment_ref=uid(1))
    balances = fold([d])
    assert balances.by_commitment[uid(1)] == Balance(disbursed=Decimal("100.00"))
    assert fold([d, entry(1)]).by_commitment[uid(1)].open == Decimal("900.00")


# --- corrections ---------------------------------------------------------------------------


def test_a_reversal_cancels_its_entry() -> None:
    c = entry(1)
    balances = fold([c, reversal(2, c)])
    assert balances.by_bucket[key()] == Balance()
    assert resolve([c, reversal(2, c)]).effects[c.entry_id].reversed


def test_an_adjustment_adds_its_signed_delta() -> None:
    c = entry(1, amount="1000.00")
    assert fold([c, adjustment(2, c, "250.00")]).total().committed == Decimal("1250.00")
    assert fold([c, adjustment(2, c, "-250.00")]).total().committed == Decimal("750.00")
    both = [c, adjustment(2, c, "250.00"), adjustment(3, c, "-100.01")]
    assert fold(both).total().committed == Decimal("1149.99")


def test_reversing_an_adjustment_cancels_only_the_adjustment() -> None:
    c = entry(1, amount="1000.00")
    adj = adjustment(2, c, "500.00")
    assert fold([c, adj, reversal(3, adj)]).total().committed == Decimal("1000.00")


def test_reversing_an_original_voids_its_adjustments() -> None:
    c = entry(1, amount="1000.00")
    entries = [c, adjustment(2, c, "500.00"), reversal(3, c)]
    assert fold(entries).total().committed == Decimal("0.00")


def test_a_correction_whose_target_has_not_arrived_is_unresolved_until_it_does() -> None:
    c = entry(1, amount="1000.00")
    adj = adjustment(2, c, "500.00")
    alone = fold([adj])
    assert alone.by_bucket == {}
    assert alone.unresolved_corrections == {adj.entry_id}
    together = fold([adj, c])
    assert together.total().committed == Decimal("1500.00")
    assert together.unresolved_corrections == frozenset()


def test_a_reversal_of_a_reversal_is_ignored() -> None:
    c = entry(1)
    rev = reversal(2, c)
    rev_rev = reversal(3, rev)
    balances = fold([c, rev, rev_rev])
    assert balances.total().committed == Decimal("0.00")
    assert balances.ignored_corrections == {rev_rev.entry_id}


def test_an_adjustment_of_an_adjustment_is_ignored() -> None:
    c = entry(1)
    adj = adjustment(2, c, "10.00")
    adj_adj = adjustment(3, adj, "5.00")
    balances = fold([c, adj, adj_adj])
    assert balances.total().committed == Decimal("1010.00")
    assert balances.ignored_corrections == {adj_adj.entry_id}


def test_a_correction_counts_in_its_originals_bucket() -> None:
    c = entry(1, beneficiary=1)
    # Even a (refused by the rules) correction naming another beneficiary counts on the
    # original's bucket: the original is authoritative.
    adj = adjustment(2, c, "10.00", beneficiary_id=uid(9))
    assert fold([c, adj]).by_bucket == {key(1): Balance(committed=Decimal("1010.00"))}


# --- report totals ---------------------------------------------------------------------------


def cofunding_entries() -> list[Entry]:
    return [
        entry(1, amount="500000.00", source=Source.H2020, beneficiary=1),
        entry(2, amount="60000.00", source=Source.FSTP, beneficiary=2),
        entry(3, amount="200000.00", source=Source.ESIF, fund=EsifFund.ERDF, region_nuts="ITC4"),
        entry(4, amount="50000.00", source=Source.ESIF, fund=EsifFund.ESF, region_nuts="ITC1"),
        entry(5, amount="100000.00", source=Source.EFSI),
        entry(6, amount="80000.00", source=Source.NATIONAL, region_nuts="ITC4"),
        entry(7, amount="20000.00", source=Source.REGIONAL, region_nuts="ITC45"),
        entry(8, amount="150000.00", source=Source.PRIVATE, private_timing=PrivateTiming.UPFRONT),
        entry(9, amount="70000.00", source=Source.PRIVATE, private_timing=PrivateTiming.FOLLOW_UP),
        entry(10, amount="999.00", project=200),  # another value chain
    ]


def test_value_chain_totals_by_report_line() -> None:
    totals = value_chain_totals(cofunding_entries(), uid(PROJECT))
    committed = {line.label: b.committed for line, b in totals.by_line.items()}
    assert committed == {
        "h2020": Decimal("500000.00"),
        "fstp": Decimal("60000.00"),
        "esif.ERDF": Decimal("200000.00"),
        "esif.ESF": Decimal("50000.00"),
        "efsi": Decimal("100000.00"),
        "national": Decimal("80000.00"),
        "regional": Decimal("20000.00"),
        "private.upfront": Decimal("150000.00"),
        "private.follow_up": Decimal("70000.00"),
    }
    assert totals.total.committed == Decimal("1230000.00")


def test_leverage_is_non_eu_money_per_euro_of_eu_money() -> None:
    lev = leverage(value_chain_totals(cofunding_entries(), uid(PROJECT)))
    assert lev.base == Decimal("910000.00")  # H2020 + FSTP + ESIF + EFSI
    assert lev.other == Decimal("320000.00")  # national + regional + private
    assert lev.ratio == Decimal("0.3516")
    assert lev.private(PrivateTiming.UPFRONT) == Decimal("150000.00")
    assert lev.private(PrivateTiming.FOLLOW_UP) == Decimal("70000.00")
    assert {line.source for line in lev.other_by_line} == {
        Source.NATIONAL,
        Source.REGIONAL,
        Source.PRIVATE,
    }


def test_leverage_on_other_bases() -> None:
    totals = value_chain_totals(cofunding_entries(), uid(PROJECT))
    h2020 = {Source.H2020, Source.FSTP}
    mobilised = leverage(totals, base=h2020, other=set(Source) - h2020)
    assert mobilised.base == Decimal("560000.00")
    assert mobilised.other == Decimal("670000.00")
    assert mobilised.ratio == Decimal("1.1964")
    with pytest.raises(ValueError, match="both"):
        leverage(totals, base=EU_SOURCES, other={Source.ESIF})


def test_leverage_without_base_money_has_no_ratio() -> None:
    totals = value_chain_totals([entry(1, source=Source.NATIONAL)], uid(PROJECT))
    assert leverage(totals).ratio is None


def test_region_totals_take_the_region_and_everything_below_it() -> None:
    region = region_totals(cofunding_entries(), "ITC4")
    assert {line.label: b.committed for line, b in region.by_line.items()} == {
        "esif.ERDF": Decimal("200000.00"),
        "national": Decimal("80000.00"),
        "regional": Decimal("20000.00"),
    }
    esif = leverage(region, base={Source.ESIF}, other={Source.NATIONAL, Source.REGIONAL})
    assert esif.ratio == Decimal("0.5000")


def test_sme_share_of_the_action_budget() -> None:
    entries = [
        entry(1, amount="300000.00", beneficiary=1),  # SME
        entry(2, amount="60000.00", source=Source.FSTP, beneficiary=2),  # SME third party
        entry(3, amount="120000.00", beneficiary=3),  # large company
        entry(4, amount="999999.00", source=Source.ESIF, beneficiary=3),  # not the budget
    ]
    share = sme_share(entries, uid(PROJECT), {uid(1), uid(2)})
    assert share.sme_budget == Decimal("360000.00")
    assert share.total_budget == Decimal("480000.00")
    assert share.percent == Decimal("75.00")
    assert share.at_least(Decimal(75))


def test_sme_share_percent_rounds_down_and_compares_exactly() -> None:
    entries = [
        entry(1, amount="74999.99", beneficiary=1),
        entry(2, amount="25000.01", beneficiary=2),
    ]
    share = sme_share(entries, uid(PROJECT), {uid(1)})
    assert share.percent == Decimal("74.99")
    assert not share.at_least(Decimal(75))
    assert sme_share([], uid(PROJECT), {uid(1)}).percent is None


def test_source_line_labels() -> None:
    assert SourceLine(Source.EFSI).label == "efsi"
    assert SourceLine(Source.ESIF, EsifFund.YEI).label == "esif.YEI"


# --- one entry on its own ------------------------------------------------------------------


def test_member_state_is_stored_in_the_eu_form() -> None:
    assert entry(1, state="gr").member_state == "EL"
    assert entry(1, state="GB").member_state == "UK"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "10.001"}, "at most 2 decimals"),
        ({"amount": "0.00"}, "must be positive"),
        ({"amount": "-5.00"}, "must be positive"),
        ({"source": Source.ESIF, "fund": None}, "names its fund"),
        ({"fund": EsifFund.ERDF}, "only ESIF entries"),
        ({"source": Source.PRIVATE, "private_timing": None}, "upfront or follow-up"),
        ({"source": Source.FSTP, "project": None}, "project_id is required"),
        ({"kind": D, "is_de_minimis": True}, "granted by a commitment"),
        ({"commitment_ref": uid(5)}, "only a disbursement"),
        ({"aid_equivalent": Decimal("5.00")}, "only matters for de minimis"),
        ({"state": "DEU"}, "2-letter"),
        ({"reverses": uid(7), "adjusts": uid(8)}, "not both"),
        ({"reverses": uid(1)}, "cannot correct itself"),
    ],
)
def test_malformed_entries_are_refused(changes: dict[str, Any], message: str) -> None:
    kwargs = dict(changes)
    amount = kwargs.pop("amount", "1000.00")
    kind = kwargs.pop("kind", C)
    with pytest.raises(InvalidEntry, match=message):
        entry(1, kind, amount, **kwargs)


def test_an_adjustment_may_be_negative_but_not_zero() -> None:
    c = entry(1)
    assert adjustment(2, c, "-1.00").amount == Decimal("-1.00")
    with pytest.raises(InvalidEntry, match="delta is 0"):
        adjustment(3, c, "0.00")
