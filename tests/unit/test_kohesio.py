# ruff: noqa: RUF001 -- real Cyrillic names are the test data
"""The Kohesio beneficiary export, read and mapped: every quirk of the real files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from synergia_funding.kohesio.mapping import (
    KohesioPlan,
    KohesioRow,
    beneficiary_external_id,
    map_kohesio,
)
from synergia_funding.kohesio.params import KohesioImportParams
from synergia_funding.kohesio.parser import (
    KohesioFormatError,
    parse_kohesio,
    parse_kohesio_amount,
)
from synergia_funding.ledger.entries import EsifFund, Source

FIXTURE = Path(__file__).parents[1] / "fixtures" / "kohesio" / "beneficiaries.tsv"
HEADER = (
    "Country\tRegion\tBeneficiary Name\tTotal Budget\tEU Contribution\t"
    "Number of Projects\tTransliterated Name"
)
PARAMS = KohesioImportParams(fund=EsifFund.ERDF, committed_on=dt.date(2020, 6, 30))


def plan(params: KohesioImportParams = PARAMS) -> KohesioPlan:
    return map_kohesio(parse_kohesio(FIXTURE.read_text(encoding="utf-8")), params)


def row(result: KohesioPlan, line: int) -> KohesioRow:
    return next(r for r in result.rows if r.line == line)


def problem(result: KohesioPlan, line: int) -> str:
    return next(str(p) for p in result.problems if p.line == line)


# --- the whole fixture: every line loaded or refused with its reason


def test_every_line_of_the_file_is_accepted_or_refused_with_its_line() -> None:
    result = plan()
    accepted = [r.line for r in result.rows]
    refused = [p.line for p in result.problems]
    assert accepted == [2, 3, 4, 5, 6, 7, 16]
    assert refused == [8, 9, 10, 11, 12, 14, 15]
    # Line 13 is blank; the header is line 1: nothing else is lost.
    assert len(FIXTURE.read_text(encoding="utf-8").splitlines()) == 16


# --- tabs without quoting, stray quotes


def test_a_stray_quote_stays_in_the_name_and_does_not_swallow_the_next_lines() -> None:
    result = plan()
    harbour = row(result, 3)
    assert harbour.beneficiary_name == '"Пристанище Бургас ЕАД'
    assert harbour.eu_contribution == Decimal("47293750.62")
    assert row(result, 4).beneficiary_name == "ОБЩИНА  БЛАГОЕВГРАД"  # the next line, intact
    assert 'the name has an unbalanced " (kept as written)' in harbour.notes
    assert row(result, 6).beneficiary_name == 'SC Agro "Dolj SRL'


def test_a_line_with_a_tab_too_many_is_refused_alone() -> None:
    assert problem(plan(), 12) == (
        "line 12 (ЕТ Странджа): 8 tab-separated cells where the header has 7"
    )


# --- amounts


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("4.729375062E7", Decimal("47293750.62")),
        ("5.564e7", Decimal("55640000.00")),
        ("2.0E5", Decimal("200000.00")),
        ("1.23456785E5", Decimal("123456.79")),  # half a cent rounds up, not to even
        ("1.234567849E5", Decimal("123456.78")),
        ("1.2345678904E5", Decimal("123456.79")),
        ("170000", Decimal("170000.00")),
        ("0.005", Decimal("0.01")),
        ("  ", None),
    ],
)
def test_amounts_plain_or_scientific_exactly_to_the_cent(text: str, amount: Decimal) -> None:
    assert parse_kohesio_amount(text) == amount


@pytest.mark.parametrize("text", ["1000,50", "-5", "1e", "1_000", "+5", "NaN", "Infinity", "1E400"])
def test_what_kohesio_never_writes_is_not_an_amount(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not an amount|too large"):
        parse_kohesio_amount(text)


def test_a_decimal_comma_refuses_the_line_naming_column_and_beneficiary() -> None:
    assert problem(plan(), 15) == (
        "line 15 (Сдружение Бряг): Total Budget '1000,50' is not an amount "
        "(digits, a decimal point, maybe E±n)"
    )


def test_scientific_notation_commits_the_exact_amount() -> None:
    harbour = row(plan(), 3)
    assert [c.amount for c in harbour.commitments] == [Decimal("47293750.62")]


def test_a_row_without_amounts_registers_the_beneficiary_and_commits_nothing() -> None:
    result = plan()
    craiova = row(result, 5)
    assert craiova.commitments == ()
    assert craiova.notes == ("no amounts: registered, nothing committed",)
    assert any(b.legal_name == "Universitatea din Craiova" for b in result.beneficiaries)


def test_a_row_without_eu_contribution_commits_nothing_and_says_so() -> None:
    agro = row(plan(), 6)
    assert agro.total_budget == Decimal("120000.00")
    assert agro.commitments == ()
    assert "no EU contribution: registered, nothing committed" in agro.notes


def test_eu_above_total_by_a_cent_is_accepted_and_flagged() -> None:
    ljubljana = row(plan(), 7)
    assert [c.amount for c in ljubljana.commitments] == [Decimal("100000.01")]
    assert ljubljana.notes == (
        "EU Contribution 100000.01 is above the Total Budget 100000.00 by 0.01: "
        "accepted as rounding, co-financing taken as 0",
    )


def test_eu_above_total_by_more_than_a_cent_is_refused() -> None:
    assert problem(plan(), 8) == (
        "line 8 (Krka, d.d., Novo mesto): EU Contribution 100000.02 is above the Total "
        "Budget 100000.00 by 0.02: more than the 0.01 accepted as rounding"
    )


# --- commitments: fund and co-financing as the request says


def test_commitments_take_the_requests_fund_and_programme() -> None:
    params = KohesioImportParams(
        fund=EsifFund.CF, committed_on=dt.date(2020, 6, 30), programme_cci="2014BG16M1OP002"
    )
    blagoevgrad = row(plan(params), 2)
    (commitment,) = blagoevgrad.commitments
    assert (commitment.source, commitment.fund, commitment.instrument) == (
        Source.ESIF,
        EsifFund.CF,
        "2014BG16M1OP002",
    )
    assert commitment.amount == Decimal("4729375.06")
    assert commitment.region == "BG413"


def test_cofinancing_is_committed_only_when_the_request_names_its_source() -> None:
    params = KohesioImportParams(
        fund=EsifFund.ERDF, committed_on=dt.date(2020, 6, 30), cofinancing_source=Source.NATIONAL
    )
    esif, national = row(plan(params), 2).commitments
    assert (esif.source, esif.amount) == (Source.ESIF, Decimal("4729375.06"))
    assert (national.source, national.fund, national.amount) == (
        Source.NATIONAL,
        None,
        Decimal("834775.02"),
    )
    assert esif.amount + national.amount == Decimal("5564150.08")


# --- names, scripts, countries, regions


def test_a_cyrillic_name_keeps_its_transliteration_as_latin_name() -> None:
    result = plan()
    blagoevgrad = next(b for b in result.beneficiaries if b.line == 2)
    assert (blagoevgrad.legal_name, blagoevgrad.latin_name) == (
        "Община Благоевград",
        "Obshtina Blagoevgrad",
    )


def test_a_cyrillic_name_without_transliteration_is_flagged() -> None:
    result = plan()
    harbour = next(b for b in result.beneficiaries if b.line == 3)
    assert harbour.latin_name is None
    assert "no Transliterated Name: registered in its own script only" in row(result, 3).notes


def test_a_greek_row_with_the_country_named_greece_is_in_el() -> None:
    thessaloniki = row(plan(), 16)
    assert (thessaloniki.country, thessaloniki.region.code) == ("EL", "EL522")


def test_country_as_a_name_or_a_code() -> None:
    result = plan()
    assert row(result, 2).country == "BG"  # "Bulgaria"
    assert row(result, 4).country == "BG"  # "BG"


def test_an_unknown_country_is_refused() -> None:
    assert problem(plan(), 14) == (
        "line 14 (Poseidon Ltd): Country: unknown country 'Atlantis': "
        "neither a country name nor a code"
    )


def test_region_names_resolve_in_english_cyrillic_romanian_and_slovenian() -> None:
    result = plan()
    assert [row(result, line).region.code for line in (2, 3, 5, 7)] == [
        "BG413",  # Blagoevgrad Province
        "BG341",  # Бургас
        "RO41",  # Sud-Vest Oltenia, NUTS 2
        "SI041",  # Osrednjeslovenska, NUTS 3
    ]


def test_an_unknown_region_is_refused_with_the_near_miss_never_applied() -> None:
    assert "did you mean BG321 Велико Търново (Veliko Tarnovo), NUTS 3?" in problem(plan(), 9)


def test_an_ambiguous_region_is_refused_unless_the_request_gives_a_level() -> None:
    assert "DED5 Leipzig, NUTS 2, DED52 Leipzig, NUTS 3" in problem(plan(), 10)
    at_level_3 = KohesioImportParams(
        fund=EsifFund.ERDF, committed_on=dt.date(2020, 6, 30), region_level=3
    )
    # Level 3 settles Leipzig; the NUTS 2 names (Sud-Vest Oltenia) are then refused.
    result = plan(at_level_3)
    assert row(result, 10).region.code == "DED52"
    assert "no NUTS 2024 region in RO at level 3" in problem(result, 5)


# --- the same beneficiary again


def test_the_same_beneficiary_in_another_region_is_one_organisation_two_commitments() -> None:
    result = plan()
    first, again = row(result, 2), row(result, 4)
    assert first.beneficiary_external_id == again.beneficiary_external_id
    assert [b.line for b in result.beneficiaries].count(2) == 1
    assert not any(b.line == 4 for b in result.beneficiaries)
    assert [c.region for c in first.commitments + again.commitments] == ["BG413", "BG341"]
    assert len({c.external_id for c in first.commitments + again.commitments}) == 2
    assert again.notes == (
        "also listed on line 2 (region BG413): one organisation, registered once; "
        "this line commits in region BG341",
    )


def test_the_same_beneficiary_in_the_same_region_again_is_refused_as_a_repeat() -> None:
    assert problem(plan(), 11) == (
        "line 11 (Община Благоевград): repeats line 2: the same beneficiary in region BG413"
    )


# --- ids: a second load changes nothing


def test_ids_are_the_same_on_every_load_and_differ_by_fund() -> None:
    once, twice = plan(), plan()
    assert once == twice
    assert [c.external_id for c in once.commitments][:1] == [
        f"kohesio:ERDF:-:BG413:{beneficiary_external_id('BG', 'Община Благоевград')[11:]}"
    ]
    esf = plan(KohesioImportParams(fund=EsifFund.ESF, committed_on=dt.date(2020, 6, 30)))
    assert {c.external_id for c in once.commitments}.isdisjoint(
        c.external_id for c in esf.commitments
    )


def test_the_organisation_id_ignores_case_spacing_and_quotes_not_the_country() -> None:
    same = beneficiary_external_id("BG", "Община Благоевград")
    assert beneficiary_external_id("BG", ' "ОБЩИНА   благоевград" ') == same
    assert beneficiary_external_id("RO", "Община Благоевград") != same
    assert same.startswith("kohesio:BG:")


# --- the file itself


def test_columns_in_another_order_and_case_are_read_by_name() -> None:
    text = (
        "eu contribution\tCountry\tRegion\tBeneficiary Name\tTotal Budget\t"
        "Transliterated Name\tNumber of Projects\n"
        "850\tBG\tBurgas\tЕТ Море\t1000\t\t1\n"
    )
    (record,) = parse_kohesio(text).records
    assert (record.eu_contribution, record.total_budget, record.region) == (
        Decimal("850.00"),
        Decimal("1000.00"),
        "Burgas",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        (HEADER.replace("\t", ",") + "\n", "has no tab"),
        (HEADER.replace("Total Budget", "Budget") + "\n", "unknown column(s) 'Budget'"),
        (HEADER.replace("\tTransliterated Name", "") + "\n", "missing column(s)"),
    ],
)
def test_a_file_that_is_not_the_export_is_refused_saying_why(text: str, message: str) -> None:
    with pytest.raises(KohesioFormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_kohesio(text)


def test_windows_line_ends_and_a_byte_order_mark_are_read() -> None:
    text = "\ufeff" + HEADER + "\r\nBG\tBurgas\tЕТ Море\t1000\t850\t1\t\r\n"
    (record,) = parse_kohesio(text).records
    assert (record.country, record.line, record.transliterated_name) == ("BG", 2, None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"committed_on": dt.date(2013, 12, 31)}, "before 2014-01-01"),
        ({"cofinancing_source": Source.PRIVATE}, "national or regional"),
        ({"nuts_version": "2013"}, "unknown NUTS version"),
        ({"region_level": 4}, "does not exist"),
        ({"programme_cci": "2014 BG"}, "not a CCI code"),
    ],
)
def test_import_parameters_that_make_no_sense_are_refused(
    changes: dict[str, object], message: str
) -> None:
    base: dict[str, object] = {"fund": EsifFund.ERDF, "committed_on": dt.date(2020, 6, 30)}
    with pytest.raises(ValueError, match=message):
        KohesioImportParams(**{**base, **changes})  # type: ignore[arg-type]
