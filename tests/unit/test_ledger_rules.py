"""The funding ledger's rules, at their boundaries, and what check_new_entry decides."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from synergia_funding.ledger.entries import (
    Entry,
    EntryKind,
    FinanceType,
    Source,
)
from synergia_funding.ledger.rules import (
    FiscalYearStart,
    FstpCaps,
    Rule,
    RuleContext,
    Violation,
    add_years,
    check_ledger,
    check_new_entry,
    counts_on,
    de_minimis_headroom,
    drops_out_on,
    is_replay,
    missing_prerequisites,
)

from tests.support.ledger import PROJECT, C, D, K, make_correction, make_entry, uid

_counter = iter(range(10_000, 1_000_000))


def entry(
    kind: EntryKind = C, amount: str = "1000.00", *, n: int | None = None, **fields: Any
) -> Entry:
    return make_entry(next(_counter) if n is None else n, kind, amount, **fields)


def correct(of: Entry, amount: str, **extra: Any) -> Entry:
    return make_correction(next(_counter), of, amount, **extra)


def reversal(of: Entry, **extra: Any) -> Entry:
    return correct(of, str(of.amount), reverses=of.entry_id, **extra)


def adjustment(of: Entry, delta: str, **extra: Any) -> Entry:
    return correct(of, delta, adjusts=of.entry_id, **extra)


def rules_of(violations: list[Violation]) -> list[tuple[Rule, str]]:
    return [(v.rule, v.severity) for v in violations]


def aid(amount: str, day: date, beneficiary: int = 1, state: str = "DE", **extra: Any) -> Entry:
    return entry(
        C,
        amount,
        beneficiary=beneficiary,
        source=Source.REGIONAL,
        day=day,
        state=state,
        is_de_minimis=True,
        project=None,
        **extra,
    )


# --- FSTP cap ------------------------------------------------------------------------------


def fstp(amount: str, beneficiary: int = 7, project: int = PROJECT) -> Entry:
    return entry(C, amount, beneficiary=beneficiary, project=project, source=Source.FSTP)


def test_fstp_at_the_cap_passes() -> None:
    assert check_new_entry([], fstp("60000.00")) == []


def test_fstp_one_cent_above_the_cap_fails() -> None:
    new = fstp("60000.01")
    [violation] = check_new_entry([], new)
    assert (violation.rule, violation.severity) == (Rule.FSTP_CAP, "error")
    assert "€60,000.01" in violation.message
    assert "€60,000.00" in violation.message
    assert "€0.01 above" in violation.message
    assert str(uid(7)) in violation.message
    assert str(new.entry_id) in violation.message
    assert violation.details["excess"] == "0.01"


def test_fstp_cap_adds_up_commitments_of_one_third_party_in_one_project() -> None:
    first = fstp("30000.00")
    assert check_new_entry([first], fstp("30000.00")) == []
    assert rules_of(check_new_entry([first], fstp("30000.01"))) == [(Rule.FSTP_CAP, "error")]
    # Another third party, another project: not counted.
    assert check_new_entry([first], fstp("60000.00", beneficiary=8)) == []
    assert check_new_entry([first], fstp("60000.00", project=200)) == []


def test_fstp_cap_after_a_reversal_and_an_adjustment() -> None:
    first = fstp("60000.00")
    assert rules_of(check_new_entry([first], adjustment(first, "0.01"))) == [
        (Rule.FSTP_CAP, "error")
    ]
    rev = reversal(first)
    assert check_new_entry([first], rev) == []
    assert check_new_entry([first, rev], fstp("60000.00")) == []


def test_fstp_cap_per_project_override_and_project_limit() -> None:
    ctx = RuleContext(
        fstp_caps={uid(PROJECT): FstpCaps(Decimal("100000.00"), per_project=Decimal("150000.00"))}
    )
    assert check_new_entry([], fstp("100000.00"), ctx) == []
    assert rules_of(check_new_entry([], fstp("100000.01"), ctx)) == [(Rule.FSTP_CAP, "error")]
    existing = [fstp("100000.00", beneficiary=7), fstp("50000.00", beneficiary=8)]
    [violation] = check_new_entry(existing, fstp("0.01", beneficiary=9), ctx)
    assert "project's FSTP limit of €150,000.00" in violation.message


def test_other_sources_do_not_count_for_the_fstp_cap() -> None:
    assert check_new_entry([], entry(C, "500000.00", beneficiary=7)) == []


# --- no double funding -----------------------------------------------------------------------


def test_esif_and_h2020_on_the_same_cost_item_fail() -> None:
    h2020 = entry(K, "5000.00", source=Source.H2020, cost_item_ref="invoice-42")
    esif = entry(
        K,
        "5000.00",
        source=Source.ESIF,
        cost_item_ref="invoice-42",
        instrument_id="2014IT16RFOP007",
    )
    [violation] = check_new_entry([h2020], esif)
    assert (violation.rule, violation.severity) == (Rule.DOUBLE_FUNDING, "error")
    assert "'invoice-42'" in violation.message
    assert "ESIF ERDF (2014IT16RFOP007) €5,000.00" in violation.message
    assert "H2020 €5,000.00" in violation.message
    assert "65(11)" in violation.message


def test_esif_and_h2020_on_different_cost_items_pass() -> None:
    h2020 = entry(K, "5000.00", source=Source.H2020, cost_item_ref="invoice-42")
    esif = entry(K, "5000.00", source=Source.ESIF, cost_item_ref="invoice-43")
    assert check_new_entry([h2020], esif) == []


def test_one_source_may_commit_claim_and_pay_the_same_cost_item() -> None:
    c = entry(C, "5000.00", source=Source.ESIF, cost_item_ref="invoice-42")
    claim = entry(K, "5000.00", source=Source.ESIF, cost_item_ref="invoice-42")
    pay = entry(
        D, "5000.00", source=Source.ESIF, cost_item_ref="invoice-42", commitment_ref=c.entry_id
    )
    assert check_new_entry([c], claim) == []
    assert check_new_entry([c, claim], pay) == []


def test_fstp_counts_as_an_eu_source_and_national_money_does_not() -> None:
    fstp_item = entry(K, "5000.00", source=Source.FSTP, cost_item_ref="invoice-42")
    esif = entry(K, "5000.00", source=Source.ESIF, cost_item_ref="invoice-42")
    national = entry(K, "5000.00", source=Source.NATIONAL, cost_item_ref="invoice-42")
    assert rules_of(check_new_entry([fstp_item], esif)) == [(Rule.DOUBLE_FUNDING, "error")]
    assert check_new_entry([esif], national) == []


def test_the_same_fund_under_two_programmes_is_double_funding() -> None:
    one = entry(K, "100.00", source=Source.ESIF, cost_item_ref="x", instrument_id="2014IT16RFOP007")
    two = entry(K, "100.00", source=Source.ESIF, cost_item_ref="x", instrument_id="2014IT16RFOP008")
    assert rules_of(check_new_entry([one], two)) == [(Rule.DOUBLE_FUNDING, "error")]


def test_double_funding_is_per_beneficiary_and_ends_with_a_reversal() -> None:
    h2020 = entry(K, "100.00", source=Source.H2020, cost_item_ref="x", beneficiary=1)
    other = entry(K, "100.00", source=Source.ESIF, cost_item_ref="x", beneficiary=2)
    assert check_new_entry([h2020], other) == []
    rev = reversal(h2020)
    esif = entry(K, "100.00", source=Source.ESIF, cost_item_ref="x", beneficiary=1)
    assert check_new_entry([h2020, rev], esif) == []


# --- de minimis ------------------------------------------------------------------------------


def test_de_minimis_2023_12_31_is_200k_over_three_fiscal_years() -> None:
    existing = [aid("150000.00", date(2022, 6, 1))]
    [violation] = check_new_entry(existing, aid("100000.00", date(2023, 12, 31)))
    assert (violation.rule, violation.severity) == (Rule.DE_MINIMIS, "error")
    assert "€250,000.00" in violation.message
    assert "€200,000.00" in violation.message
    assert "1407/2013" in violation.message
    assert "fiscal years 2021 to 2023" in violation.message
    assert check_new_entry(existing, aid("50000.00", date(2023, 12, 31))) == []


def test_de_minimis_2024_01_01_is_300k_over_a_rolling_three_years() -> None:
    existing = [aid("150000.00", date(2022, 6, 1))]
    assert check_new_entry(existing, aid("100000.00", date(2024, 1, 1))) == []
    assert check_new_entry(existing, aid("150000.00", date(2024, 1, 1))) == []
    [violation] = check_new_entry(existing, aid("150000.01", date(2024, 1, 1)))
    assert "2023/2831" in violation.message
    assert "€300,000.01" in violation.message
    assert "2021-01-01 up to 2024-01-01" in violation.message


def test_fiscal_year_window_drops_a_whole_year_at_once() -> None:
    existing = [aid("150000.00", date(2020, 12, 31)), aid("50000.00", date(2021, 1, 1))]
    # On 2023-06-01 the fiscal years 2021-2023 count: the 2020 aid does not.
    assert check_new_entry(existing, aid("150000.00", date(2023, 6, 1))) == []
    assert rules_of(check_new_entry(existing, aid("150000.01", date(2023, 6, 1)))) == [
        (Rule.DE_MINIMIS, "error")
    ]


def test_fiscal_years_per_member_state() -> None:
    ctx = RuleContext(fiscal_year_starts={"DE": FiscalYearStart(7, 1)})
    existing = [aid("150000.00", date(2020, 7, 1))]
    # 2023-06-30 is in fiscal year 2022 (2022-07-01..2023-06-30): 2020..2022 count.
    assert rules_of(check_new_entry(existing, aid("60000.00", date(2023, 6, 30)), ctx)) == [
        (Rule.DE_MINIMIS, "error")
    ]
    # 2023-07-01 starts fiscal year 2023: the aid of fiscal year 2020 no longer counts.
    assert check_new_entry(existing, aid("60000.00", date(2023, 7, 1)), ctx) == []
    # With calendar years 2020 is out on both days.
    assert check_new_entry(existing, aid("60000.00", date(2023, 6, 30))) == []


def test_rolling_window_ends_the_day_before_three_years_later() -> None:
    existing = [aid("250000.00", date(2021, 3, 15))]
    assert rules_of(check_new_entry(existing, aid("60000.00", date(2024, 3, 14)))) == [
        (Rule.DE_MINIMIS, "error")
    ]
    assert check_new_entry(existing, aid("60000.00", date(2024, 3, 15))) == []
    assert counts_on(date(2021, 3, 15), date(2024, 3, 14))
    assert not counts_on(date(2021, 3, 15), date(2024, 3, 15))


def test_aid_granted_before_2024_counts_in_the_rolling_window() -> None:
    existing = [aid("150000.00", date(2021, 1, 15))]
    assert rules_of(check_new_entry(existing, aid("160000.00", date(2024, 1, 10)))) == [
        (Rule.DE_MINIMIS, "error")
    ]
    assert check_new_entry(existing, aid("160000.00", date(2024, 1, 15))) == []


def test_linked_enterprises_are_one_single_undertaking() -> None:
    group = uid(500)
    ctx = RuleContext(undertaking_of={uid(1): group, uid(2): group})
    existing = [aid("200000.00", date(2024, 2, 1), beneficiary=1)]
    new = aid("100000.01", date(2024, 5, 1), beneficiary=2)
    [violation] = check_new_entry(existing, new, ctx)
    assert str(group) in violation.message
    assert {a["beneficiary_id"] for a in violation.details["aids"]} == {str(uid(1)), str(uid(2))}
    assert check_new_entry(existing, aid("100000.00", date(2024, 5, 1), beneficiary=2), ctx) == []
    # Without the link they are two undertakings.
    assert check_new_entry(existing, new) == []


def test_aid_in_another_member_state_is_not_counted() -> None:
    existing = [aid("250000.00", date(2024, 2, 1), state="DE")]
    assert check_new_entry(existing, aid("100000.00", date(2024, 5, 1), state="FR")) == []
    # GR and EL are one Member State.
    greek = [aid("250000.00", date(2024, 2, 1), state="GR")]
    assert rules_of(check_new_entry(greek, aid("100000.00", date(2024, 5, 1), state="EL"))) == [
        (Rule.DE_MINIMIS, "error")
    ]


def test_aid_not_flagged_de_minimis_does_not_count() -> None:
    existing = [entry(C, "290000.00", source=Source.REGIONAL, project=None)]
    assert check_new_entry(existing, aid("20000.00", date(2024, 5, 1))) == []


def test_a_new_aid_must_not_overflow_the_window_of_a_later_grant() -> None:
    later = aid("250000.00", date(2024, 9, 1))
    [violation] = check_new_entry([later], aid("60000.00", date(2024, 5, 1)))
    assert violation.details["on"] == "2024-09-01"
    assert check_new_entry([later], aid("50000.00", date(2024, 5, 1))) == []
    assert de_minimis_headroom([later], uid(1), "DE", date(2024, 5, 1)).remaining == Decimal(
        "50000.00"
    )


def test_de_minimis_uses_the_gross_grant_equivalent_of_a_loan() -> None:
    loan = aid(
        "1000000.00",
        date(2024, 2, 1),
        finance_type=FinanceType.LOAN,
        aid_equivalent=Decimal("80000.00"),
    )
    assert check_new_entry([], loan) == []
    assert de_minimis_headroom([loan], uid(1), "DE", date(2024, 2, 1)).used == Decimal("80000.00")


def test_de_minimis_corrections_count_on_the_original_grant_date() -> None:
    first = aid("250000.00", date(2024, 2, 1))
    up = adjustment(first, "50000.01", entry_date=date(2024, 6, 1))
    assert rules_of(check_new_entry([first], up)) == [(Rule.DE_MINIMIS, "error")]
    assert check_new_entry([first], adjustment(first, "50000.00")) == []
    rev = reversal(first)
    assert check_new_entry([first], rev) == []
    assert check_new_entry([first, rev], aid("300000.00", date(2024, 6, 1))) == []


def test_headroom_2023_2831_with_drop_out_dates() -> None:
    entries = [
        aid("50000.00", date(2021, 9, 1)),
        aid("100000.00", date(2023, 2, 1)),
        aid("20000.00", date(2024, 3, 1)),
        aid("5000.00", date(2024, 3, 1), beneficiary=2),  # another undertaking
        aid("7000.00", date(2021, 5, 31)),  # already out on 2024-06-01
    ]
    headroom = de_minimis_headroom(entries, uid(1), "DE", date(2024, 6, 1))
    assert headroom.ceiling == Decimal("300000.00")
    assert headroom.used == Decimal("170000.00")
    assert headroom.remaining == Decimal("130000.00")
    assert headroom.drops_out == [
        (date(2024, 9, 1), Decimal("50000.00")),
        (date(2026, 2, 1), Decimal("100000.00")),
        (date(2027, 3, 1), Decimal("20000.00")),
    ]
    assert "2023/2831" in headroom.regulation


def test_headroom_1407_2013_and_its_drop_out_dates() -> None:
    entries = [
        aid("30000.00", date(2020, 11, 1)),  # fiscal year 2020: out of 2021-2023
        aid("40000.00", date(2021, 5, 1)),
        aid("60000.00", date(2022, 2, 1)),
    ]
    headroom = de_minimis_headroom(entries, uid(1), "DE", date(2023, 6, 1))
    assert headroom.ceiling == Decimal("200000.00")
    assert headroom.used == Decimal("100000.00")
    assert headroom.remaining == Decimal("100000.00")
    # From 2024 the rolling window holds each aid for three years from its grant.
    assert headroom.drops_out == [
        (date(2024, 5, 1), Decimal("40000.00")),
        (date(2025, 2, 1), Decimal("60000.00")),
    ]


def test_headroom_is_never_negative_and_names_the_undertaking() -> None:
    ctx = RuleContext(undertaking_of={uid(1): uid(500)})
    entries = [aid("350000.00", date(2024, 2, 1))]
    headroom = de_minimis_headroom(entries, uid(500), "DE", date(2024, 6, 1), ctx)
    assert headroom.used == Decimal("350000.00")
    assert headroom.remaining == Decimal("0.00")
    assert de_minimis_headroom(entries, uid(1), "DE", date(2024, 6, 1), ctx).used == 0


def test_drop_out_dates() -> None:
    assert drops_out_on(date(2024, 3, 1)) == date(2027, 3, 1)
    assert drops_out_on(date(2021, 1, 1)) == date(2024, 1, 1)
    assert drops_out_on(date(2020, 6, 1)) == date(2023, 1, 1)  # fiscal year 2020 + 3
    assert drops_out_on(date(2024, 2, 29)) == date(2027, 3, 1)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)


def test_check_ledger_lists_an_existing_breach() -> None:
    entries = [aid("200000.00", date(2024, 2, 1)), aid("100000.01", date(2024, 5, 1))]
    assert rules_of(check_ledger(entries)) == [(Rule.DE_MINIMIS, "error")]


# --- disbursed never above committed ---------------------------------------------------------


def test_disbursement_up_to_the_commitment_passes_and_above_fails() -> None:
    c = entry(C, "1000.00")
    assert check_new_entry([c], entry(D, "1000.00", commitment_ref=c.entry_id)) == []
    too_much = entry(D, "1000.01", commitment_ref=c.entry_id)
    violations = check_new_entry([c], too_much)
    assert {(v.rule, v.severity) for v in violations} == {(Rule.DISBURSED_ABOVE_COMMITTED, "error")}
    assert any(f"commitment {c.entry_id}" in v.message for v in violations)
    assert all("€1,000.01" in v.message and "€0.01" in v.message for v in violations)


def test_disbursement_passes_after_a_correction_raises_the_commitment() -> None:
    c = entry(C, "1000.00")
    paid = entry(D, "600.00", commitment_ref=c.entry_id)
    more = entry(D, "600.00", commitment_ref=c.entry_id)
    assert check_new_entry([c, paid], more) != []
    raised = adjustment(c, "200.00")
    assert check_new_entry([c, paid], raised) == []
    assert check_new_entry([c, paid, raised], more) == []


def test_lowering_a_commitment_below_what_was_paid_fails() -> None:
    c = entry(C, "1000.00")
    paid = entry(D, "800.00", commitment_ref=c.entry_id)
    rules = {v.rule for v in check_new_entry([c, paid], adjustment(c, "-200.01"))}
    assert rules == {Rule.DISBURSED_ABOVE_COMMITTED}
    assert check_new_entry([c, paid], adjustment(c, "-200.00")) == []
    assert rules_of(check_new_entry([c, paid], reversal(c))) != []


def test_disbursed_above_committed_per_beneficiary_project_and_source() -> None:
    c = entry(C, "1000.00")
    unreferenced = entry(D, "1000.01")
    [violation] = check_new_entry([c], unreferenced)
    assert violation.rule is Rule.DISBURSED_ABOVE_COMMITTED
    assert "H2020 money of beneficiary" in violation.message
    other_source = entry(D, "10.00", source=Source.NATIONAL)
    assert rules_of(check_new_entry([c], other_source)) == [
        (Rule.DISBURSED_ABOVE_COMMITTED, "error")
    ]


def test_a_reversed_payment_is_always_accepted() -> None:
    c = entry(C, "1000.00")
    over = entry(D, "1500.00")  # recorded earlier, in breach
    assert check_new_entry([c, over], reversal(over)) == []


# --- SME share ---------------------------------------------------------------------------------


def test_sme_share_below_75_percent_is_a_flag() -> None:
    ctx = RuleContext(smes=frozenset({uid(1)}))
    sme = entry(C, "750000.00", beneficiary=1)
    assert check_new_entry([sme], entry(C, "250000.00", beneficiary=2), ctx) == []
    [violation] = check_new_entry([sme], entry(C, "250000.01", beneficiary=2), ctx)
    assert (violation.rule, violation.severity) == (Rule.SME_SHARE, "flag")
    assert "74.99 %" in violation.message
    assert "€750,000.00" in violation.message
    assert "€1,000,000.01" in violation.message


def test_sme_share_is_flagged_only_when_an_entry_makes_it_worse() -> None:
    ctx = RuleContext(smes=frozenset({uid(1)}))
    large = entry(C, "500000.00", beneficiary=2)
    assert rules_of(check_new_entry([], large, ctx)) == [(Rule.SME_SHARE, "flag")]
    assert check_new_entry([large], entry(C, "100000.00", beneficiary=1), ctx) == []
    # ESIF money mobilised is not the action's budget.
    assert check_new_entry([large], entry(C, "1.00", beneficiary=2, source=Source.ESIF), ctx) == []
    # Without SME data the rule is not checked.
    assert check_new_entry([], large) == []


# --- duplicates, prerequisites, consistency ----------------------------------------------------


def test_an_identical_replay_is_no_violation() -> None:
    c = entry(C, "1000.00")
    assert is_replay([c], c)
    assert check_new_entry([c], c) == []


def test_a_different_entry_under_a_taken_id_or_external_ref_is_a_duplicate() -> None:
    c = entry(C, "1000.00", n=1)
    [violation] = check_new_entry([c], entry(C, "999.00", n=1))
    assert violation.rule is Rule.DUPLICATE
    resent = Entry(**{**{f: getattr(c, f) for f in c.__dataclass_fields__}, "entry_id": uid(2)})
    [violation] = check_new_entry([c], resent)
    assert violation.rule is Rule.DUPLICATE
    assert f"already recorded as entry {c.entry_id}" in violation.message


def test_missing_prerequisites_are_named() -> None:
    c = entry(C, "1000.00")
    pay = entry(D, "10.00", commitment_ref=c.entry_id)
    assert missing_prerequisites([], pay) == [c.entry_id]
    [violation] = check_new_entry([], pay)
    assert violation.rule is Rule.PREREQUISITE
    assert violation.details["missing"] == [str(c.entry_id)]
    assert rules_of(check_new_entry([], adjustment(c, "1.00"))) == [(Rule.PREREQUISITE, "error")]


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (
            lambda c, r: adjustment(c, "1.00", beneficiary_id=uid(9)),
            "differs from it in beneficiary_id",
        ),
        (lambda c, r: reversal(c, source=Source.NATIONAL), "differs from it in source"),
        (lambda c, r: reversal(c), "already reversed"),
        (lambda c, r: reversal(r), "itself a reversal"),
        (lambda c, r: adjustment(c, "5.00"), "is reversed; it cannot be adjusted"),
        (lambda c, r: correct(c, "999.00", reverses=c.entry_id), "repeats the reversed amount"),
    ],
)
def test_inconsistent_corrections_are_refused(make: Any, words: str) -> None:
    c = entry(C, "1000.00")
    rev = reversal(c)
    [violation] = check_new_entry([c, rev], make(c, rev))
    assert violation.rule is Rule.CONSISTENCY
    assert words in violation.message


def test_an_adjustment_may_not_go_below_zero() -> None:
    c = entry(C, "1000.00")
    [violation] = check_new_entry([c], adjustment(c, "-1000.01"))
    assert violation.rule is Rule.CONSISTENCY
    assert "below zero" in violation.message
    assert check_new_entry([c], adjustment(c, "-1000.00")) == []


def test_an_adjustment_of_an_adjustment_is_refused() -> None:
    c = entry(C, "1000.00")
    adj = adjustment(c, "5.00")
    [violation] = check_new_entry([c, adj], adjustment(adj, "1.00"))
    assert "adjust its original" in violation.message


def test_a_disbursement_must_match_its_commitment() -> None:
    c = entry(C, "1000.00", source=Source.ESIF, instrument_id="2014IT16RFOP007")
    pay = entry(D, "10.00", source=Source.ESIF, instrument_id="OTHER", commitment_ref=c.entry_id)
    [violation] = check_new_entry([c], pay)
    assert violation.rule is Rule.CONSISTENCY
    assert "instrument_id" in violation.message
    cost = entry(K, "10.00")
    [violation] = check_new_entry([cost], entry(D, "10.00", commitment_ref=cost.entry_id))
    assert "not an original commitment" in violation.message
