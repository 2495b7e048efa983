from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from synergia_registry.actors.sme import (
    Autonomy,
    OwnershipLink,
    RelationKind,
    SmeCategory,
    YearFigures,
    aggregate,
    assess,
    category_for,
    classify_relation,
)

S = uuid.UUID(int=1)  # the enterprise assessed
A, B, C, D = (uuid.UUID(int=n) for n in range(2, 6))
M = Decimal(1_000_000)
RANK = {category: rank for rank, category in enumerate(SmeCategory)}


def fig(staff: float, turnover_m: float = 1, balance_m: float = 1, year: int = 2021) -> YearFigures:
    return YearFigures(
        year, Decimal(str(staff)), Decimal(str(turnover_m)) * M, Decimal(str(balance_m)) * M
    )


def link(holder: uuid.UUID, held: uuid.UUID, share: float | Decimal, **kw: bool) -> OwnershipLink:
    return OwnershipLink(holder, held, Decimal(str(share)), **kw)


# --- ceilings


@pytest.mark.parametrize(
    ("figures", "category"),
    [
        (fig(9.5, 2, 2), SmeCategory.MICRO),
        (fig(10, 1, 1), SmeCategory.SMALL),  # exactly 10 staff is not below 10
        (fig(5, 2.5, 1.5), SmeCategory.MICRO),  # turnover over, balance sheet within
        (fig(5, 2.5, 2.5), SmeCategory.SMALL),  # both over
        (fig(40, 12, 9), SmeCategory.SMALL),
        (fig(49, 10, 10), SmeCategory.SMALL),
        (fig(50, 1, 1), SmeCategory.MEDIUM),
        (fig(200, 60, 43), SmeCategory.MEDIUM),  # balance sheet exactly at 43 m
        (fig(200, 50, 50), SmeCategory.MEDIUM),  # turnover exactly at 50 m
        (fig(200, 51, 44), SmeCategory.NOT_SME),
        (fig(250, 1, 1), SmeCategory.NOT_SME),  # staff ceiling is mandatory
    ],
)
def test_ceilings(figures: YearFigures, category: SmeCategory) -> None:
    assert category_for(figures) is category


def test_the_deciding_ceiling_is_explained() -> None:
    result = assess(S, {S: [fig(40, 12, 9)]}, []).by_year[2021]
    assert "balance sheet EUR 9,000,000 is within EUR 10,000,000" in result.reason
    assert "turnover EUR 12,000,000 is over EUR 10,000,000" in result.reason
    assert "not micro: staff 40 AWU is not below 10 AWU" in result.reason


# --- relations


@pytest.mark.parametrize(
    ("holding", "kind"),
    [
        (link(A, S, 24.99), None),
        (link(A, S, 25), RelationKind.PARTNER),
        (link(A, S, 50), RelationKind.PARTNER),
        (link(A, S, 50.01), RelationKind.LINKED),
        (link(A, S, 20, controls=True), RelationKind.LINKED),
        (link(A, S, 40, holder_exempt_investor=True), None),
        (link(A, S, 50, holder_exempt_investor=True), None),
        (link(A, S, 60, holder_exempt_investor=True), RelationKind.LINKED),
        (link(A, S, 30, holder_exempt_investor=True, controls=True), RelationKind.LINKED),
    ],
)
def test_classify_relation(holding: OwnershipLink, kind: RelationKind | None) -> None:
    assert classify_relation(holding) is kind


@pytest.mark.parametrize(
    "bad",
    [
        lambda: link(A, S, 101),
        lambda: link(A, S, -1),
        lambda: link(S, S, 30),
        lambda: fig(-1),
    ],
)
def test_impossible_data_is_refused(bad: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        bad()  # type: ignore[operator]


def test_a_partner_is_added_pro_rata() -> None:
    figures = {S: [fig(20, 1, 1)], A: [fig(100, 10, 10)]}
    year = aggregate(S, figures, [link(A, S, 30)])[2021]
    assert (year.headcount, year.turnover) == (Decimal(50), Decimal("4") * M)
    result = assess(S, figures, [link(A, S, 30)])
    assert result.autonomy is Autonomy.PARTNER
    assert result.category is SmeCategory.MEDIUM  # 50 staff is not below 50
    assert any("Counted 30 % of" in line for line in result.explanation)


def test_a_partner_held_by_the_enterprise_counts_too() -> None:
    figures = {S: [fig(20)], A: [fig(100)]}
    assert aggregate(S, figures, [link(S, A, 30)])[2021].headcount == Decimal(50)


def test_a_linked_enterprise_is_added_in_full() -> None:
    figures = {S: [fig(5, 1, 1)], A: [fig(30, 5, 5)]}
    result = assess(S, figures, [link(A, S, 60)])
    assert result.autonomy is Autonomy.LINKED
    assert result.by_year[2021].figures.headcount == Decimal(35)
    assert result.category is SmeCategory.SMALL


def test_control_without_majority_links() -> None:
    figures = {S: [fig(5)], A: [fig(300)]}
    assert assess(S, figures, [link(A, S, 20, controls=True)]).category is SmeCategory.NOT_SME


def test_an_exempt_investor_at_40_percent_keeps_autonomy() -> None:
    figures = {S: [fig(5)], A: [fig(300, 500, 500)]}
    result = assess(S, figures, [link(A, S, 40, holder_exempt_investor=True)])
    assert result.autonomy is Autonomy.AUTONOMOUS
    assert result.category is SmeCategory.MICRO
    assert any("investor of Article 3(2)" in line for line in result.explanation)


def test_a_holding_below_25_percent_does_not_count() -> None:
    figures = {S: [fig(5)], A: [fig(300)]}
    result = assess(S, figures, [link(A, S, 10)])
    assert (result.autonomy, result.category) == (Autonomy.AUTONOMOUS, SmeCategory.MICRO)


def test_linked_enterprises_chain_and_their_partners_count_one_level() -> None:
    # A is the parent of S and of B (a sister, linked through A); A holds 30 % of C;
    # C's own partner D is two levels away and does not count.
    figures = {S: [fig(1)], A: [fig(2)], B: [fig(4)], C: [fig(10)], D: [fig(1000)]}
    links = [link(A, S, 60), link(A, B, 70), link(A, C, 30), link(C, D, 40)]
    year = aggregate(S, figures, links)[2021]
    assert year.headcount == Decimal(1 + 2 + 4 + 3)
    assert {c.enterprise_id for c in year.contributions} == {S, A, B, C}


def test_a_partners_linked_enterprises_count_with_it() -> None:
    # Article 6(3): B, linked to partner A, counts at A's share.
    figures = {S: [fig(1)], A: [fig(10)], B: [fig(20)]}
    year = aggregate(S, figures, [link(S, A, 30), link(A, B, 80)])[2021]
    assert year.headcount == Decimal(1 + 3 + 6)


@pytest.mark.parametrize(
    "links",
    [
        [link(A, S, 60), link(S, A, 60)],
        [link(S, A, 60), link(A, B, 60), link(B, S, 60)],
        [link(S, A, 30), link(A, S, 30)],
        [link(S, A, 60), link(A, B, 30), link(B, A, 30), link(B, S, 40)],
    ],
)
def test_cycles_terminate_and_count_each_enterprise_once(links: list[OwnershipLink]) -> None:
    figures = {S: [fig(1)], A: [fig(10)], B: [fig(100)]}
    year = aggregate(S, figures, links)[2021]
    ids = [c.enterprise_id for c in year.contributions]
    assert len(ids) == len(set(ids))


def test_missing_figures_of_a_related_enterprise_are_reported_not_invented() -> None:
    figures = {S: [fig(5, year=2021)], A: [fig(30, year=2020)]}
    result = assess(S, figures, [link(A, S, 60)], declared=SmeCategory.SMALL)
    year = result.by_year[2021]
    assert not year.figures.complete
    assert not result.complete
    assert year.figures.headcount == Decimal(5)
    assert any("No 2021 figures for" in line for line in result.explanation)
    assert any("lower bound" in line for line in result.explanation)
    # Missing data can only make it larger: a larger declaration is not contradicted.
    assert not result.contradicts_declared
    smaller = assess(S, {S: [fig(20)]}, [link(A, S, 60)], declared=SmeCategory.MICRO)
    assert smaller.contradicts_declared


# --- two consecutive years


def years(*categories_staff: float, start: int = 2018) -> list[YearFigures]:
    return [fig(staff, year=start + i) for i, staff in enumerate(categories_staff)]


def test_one_bad_year_does_not_change_the_status() -> None:
    result = assess(S, {S: years(5, 20, 5)}, [])
    assert result.by_year[2019].category is SmeCategory.SMALL
    assert result.category is SmeCategory.MICRO
    assert any("single period" in line for line in result.explanation)


def test_two_consecutive_years_change_the_status() -> None:
    result = assess(S, {S: years(5, 20, 20)}, [])
    assert result.category is SmeCategory.SMALL
    assert any("changes from micro to small in 2020" in line for line in result.explanation)


def test_two_years_into_different_categories_move_to_the_one_both_reach() -> None:
    assert assess(S, {S: years(5, 100, 300)}, []).category is SmeCategory.MEDIUM
    assert assess(S, {S: years(300, 5, 20)}, []).category is SmeCategory.SMALL


def test_years_on_opposite_sides_keep_the_status() -> None:
    assert assess(S, {S: years(20, 5, 100)}, []).category is SmeCategory.SMALL


def test_a_gap_between_years_is_not_two_consecutive_periods() -> None:
    rows = [fig(20, year=2018), fig(100, year=2019), fig(100, year=2021)]
    result = assess(S, {S: rows}, [])
    assert result.category is SmeCategory.SMALL
    assert any("not consecutive" in line for line in result.explanation)


def test_a_new_enterprise_estimate_sets_the_initial_status() -> None:
    estimate = YearFigures(2021, Decimal(5), M, M, estimate=True)
    result = assess(S, {S: [estimate, fig(20, year=2022)]}, [])
    assert result.category is SmeCategory.MICRO
    assert any("2021 (a good-faith estimate" in line for line in result.explanation)


def test_no_accounting_data() -> None:
    result = assess(S, {A: [fig(5)]}, [], declared=SmeCategory.MICRO)
    assert result.category is None
    assert result.by_year == {}
    assert not result.contradicts_declared
    assert any("no accounting data" in line.lower() for line in result.explanation)


def test_a_contradicting_declaration_is_flagged() -> None:
    result = assess(S, {S: [fig(60)]}, [], declared=SmeCategory.SMALL)
    assert result.contradicts_declared
    assert result.contradiction == (
        "The declared category small contradicts the computed category medium."
    )
    assert not assess(S, {S: [fig(60)]}, [], declared=SmeCategory.MEDIUM).contradicts_declared


def test_duplicate_years_are_refused() -> None:
    with pytest.raises(ValueError, match="two sets of figures for 2021"):
        assess(S, {S: [fig(5), fig(6)]}, [])


# --- properties

amounts = st.decimals(min_value=0, max_value=100_000_000, places=0)
staff = st.decimals(min_value=0, max_value=400, places=1)
row = st.tuples(staff, amounts, amounts)


@given(
    own=st.lists(row, min_size=1, max_size=4),
    other=st.lists(row, min_size=4, max_size=4),
    share=st.decimals(min_value=Decimal("50.01"), max_value=100, places=2),
    holds_subject=st.booleans(),
)
def test_adding_a_linked_enterprise_never_makes_the_category_smaller(
    own: list[tuple[Decimal, Decimal, Decimal]],
    other: list[tuple[Decimal, Decimal, Decimal]],
    share: Decimal,
    holds_subject: bool,
) -> None:
    mine = [YearFigures(2018 + i, *values) for i, values in enumerate(own)]
    theirs = [YearFigures(2018 + i, *values) for i, values in enumerate(other)]
    alone = assess(S, {S: mine}, [])
    holding = link(A, S, share) if holds_subject else link(S, A, share)
    together = assess(S, {S: mine, A: theirs}, [holding])
    assert alone.category is not None
    assert together.category is not None
    assert RANK[together.category] >= RANK[alone.category]
    for year, result in alone.by_year.items():
        assert RANK[together.by_year[year].category] >= RANK[result.category]


@given(own=row, other=row, share=st.decimals(min_value=25, max_value=50, places=2))
def test_a_partner_adds_exactly_its_share(
    own: tuple[Decimal, Decimal, Decimal], other: tuple[Decimal, Decimal, Decimal], share: Decimal
) -> None:
    year = aggregate(
        S,
        {S: [YearFigures(2021, *own)], A: [YearFigures(2021, *other)]},
        [OwnershipLink(A, S, share)],
    )[2021]
    assert year.turnover == own[1] + other[1] * share / 100
