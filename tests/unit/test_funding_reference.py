"""Funding reference data, pure parts: request schemas, CCI codes, money and rate rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from synergia_funding.reference import totals_csv
from synergia_funding.reference.cci import InvalidCci, fund_fits_cci, parse_cci
from synergia_funding.reference.rules import (
    CEILINGS,
    FSTP_DEFAULT_CAP_PER_THIRD_PARTY,
    EsifFund,
    RegionCategory,
    amounts_mismatch,
    ceiling_for,
    check_rate_ceiling,
    co_financing_rate,
    format_rate,
    rate_mismatch,
)
from synergia_funding.reference.schemas import (
    EfsiOperationIn,
    EsifPlannedLineIn,
    EsifProgrammeIn,
    EsifTotal,
    EsifTotals,
    EsifTotalsBy,
    FstpCallIn,
    FundingSourceIn,
    Horizon2020GrantIn,
    NationalProgrammeIn,
    PrivateInvestorIn,
)

MODELS: list[type[BaseModel]] = [
    Horizon2020GrantIn,
    FstpCallIn,
    EsifPlannedLineIn,
    EsifProgrammeIn,
    EfsiOperationIn,
    NationalProgrammeIn,
    PrivateInvestorIn,
]
D = Decimal


def example(model: type[BaseModel], **changes: Any) -> dict[str, Any]:
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict)
    examples = extra["examples"]
    assert isinstance(examples, list)
    first = examples[0]
    assert isinstance(first, dict)
    data: dict[str, Any] = dict(first)
    for key, value in changes.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def rejected(model: type[BaseModel], data: dict[str, Any]) -> tuple[tuple[int | str, ...], str]:
    """The location and message of the only error."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    errors = caught.value.errors()
    assert len(errors) == 1, errors
    return errors[0]["loc"], errors[0]["msg"]


def outcome(
    model: type[BaseModel], data: dict[str, Any], field: str | None, fragment: str | None
) -> bool:
    """Accepted when ``field`` is None (returns True), else refused naming ``field`` with
    ``fragment`` in the message (returns False)."""
    if field is None:
        model.model_validate(data)
        return True
    loc, msg = rejected(model, data)
    assert loc[0] == field
    assert fragment is not None
    assert fragment in msg, msg
    return False


# --- schemas ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_documented_example_is_accepted(model: type[BaseModel]) -> None:
    model.model_validate(example(model))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_unknown_fields_are_refused_by_name(model: type[BaseModel]) -> None:
    loc, msg = rejected(model, example(model, surprise="x"))
    assert loc == ("surprise",)
    assert msg == "Extra inputs are not permitted"


def test_the_union_picks_the_model_by_kind() -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(FundingSourceIn)
    for model in MODELS:
        if model is EsifPlannedLineIn:
            continue
        assert type(adapter.validate_python(example(model))) is model
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        adapter.validate_python({"kind": "lottery"})


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"grant_agreement_number": "82406"}, "grant_agreement_number", "should match"),
        ({"grant_agreement_number": "101003555"}, None, None),
        ({"topic": "INNOSUP 01"}, "topic", "should match"),
        ({"topic": "EIC-SMEInst-2018-2020"}, None, None),
        ({"call_identifier": "HE-2021"}, "call_identifier", "should match"),
        ({"end_date": "2019-01-31"}, "end_date", "before start_date 2019-02-01"),
        ({"total_eligible_cost": "1000.00"}, "total_eligible_cost", "less than the EU contr"),
        ({"ec_contribution": "-1"}, "ec_contribution", "is negative"),
        ({"ec_contribution": "10.001"}, "ec_contribution", "more than two decimals"),
        # The one amount rule of the service, as for authority items (funding.amounts).
        ({"ec_contribution": "1e2"}, "ec_contribution", "scientific notation"),
        ({"ec_contribution": "1_000"}, "ec_contribution", "digit separator"),
        ({"ec_contribution": "+5"}, "ec_contribution", "+ sign"),
        ({"ec_contribution": "\u0661\u0662"}, "ec_contribution", "digits other than 0-9"),
        ({"ec_contribution": 100}, "ec_contribution", "not a JSON number"),
        ({"acronym": ...}, "acronym", "Field required"),
    ],
)
def test_h2020_grant(changes: dict[str, Any], field: str | None, fragment: str | None) -> None:
    data = example(Horizon2020GrantIn, **changes)
    outcome(Horizon2020GrantIn, data, field, fragment)


def test_money_is_decimal_in_cents() -> None:
    grant = Horizon2020GrantIn.model_validate(example(Horizon2020GrantIn))
    assert grant.ec_contribution == D("4999937.50")
    assert isinstance(grant.ec_contribution, Decimal)
    assert grant.model_dump(mode="json")["ec_contribution"] == "4999937.50"


def test_fstp_cap_defaults_to_60000_per_third_party() -> None:
    call = FstpCallIn.model_validate(example(FstpCallIn, per_third_party_cap=...))
    assert call.per_third_party_cap == FSTP_DEFAULT_CAP_PER_THIRD_PARTY == D("60000.00")
    assert call.per_project_cap == D("150000.00")


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"per_third_party_cap": "75000.00"}, "per_third_party_cap", "cap_exception_basis"),
        (
            {"per_third_party_cap": "75000.00", "cap_exception_basis": "WP 2018-20, INNOSUP-01"},
            None,
            None,
        ),
        ({"per_third_party_cap": "0"}, "per_third_party_cap", "greater than 0"),
        ({"per_project_cap": "2000000.00"}, "per_project_cap", "above the call's total budget"),
        ({"per_project_cap": None}, None, None),
        ({"closes_on": "2020-03-01"}, "closes_on", "before opens_on 2020-03-02"),
        ({"value_chain_id": "nope"}, "value_chain_id", "UUID"),
    ],
)
def test_fstp_call(changes: dict[str, Any], field: str | None, fragment: str | None) -> None:
    data = example(FstpCallIn, **changes)
    outcome(FstpCallIn, data, field, fragment)


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"total_amount": "194000000.01"}, "total_amount", "not the total 194000000.01"),
        ({"total_amount": ...}, None, None),
        ({"co_financing_rate": "0.6"}, "co_financing_rate", "is not EU / total = 50 %"),
        ({"co_financing_rate": "0.5001"}, None, None),  # within 0.01 point
        ({"co_financing_rate": "0.5002"}, "co_financing_rate", "tolerance 0.01 %"),
        ({"co_financing_rate": "1.2"}, "co_financing_rate", "less than or equal to 1"),
        ({"national_amount": "-1"}, "national_amount", "is negative"),
        ({"fund": "IPA"}, "fund", "Input should be"),
        ({"category_of_region": "rich"}, "category_of_region", "Input should be"),
        ({"thematic_objective": "12"}, "thematic_objective", "should match"),
    ],
)
def test_esif_planned_line(
    changes: dict[str, Any], field: str | None, fragment: str | None
) -> None:
    data = example(EsifPlannedLineIn, **changes)
    if outcome(EsifPlannedLineIn, data, field, fragment):
        line = EsifPlannedLineIn.model_validate(data)
        assert line.total == D("194000000.00")


def programme(**changes: Any) -> dict[str, Any]:
    return example(EsifProgrammeIn, **changes)


def esf_line(**changes: Any) -> dict[str, Any]:
    return example(EsifPlannedLineIn, fund="ESF", priority_axis="5", **changes)


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"cci": "2014IT16RFOP12"}, "cci", "is not a CCI code"),
        ({"cci": "2007IT161PO001"}, "cci", "is not a CCI code"),
        ({"cci": "2014IT06RFOP012"}, "cci", "fund code RF is not issued by service 06"),
        ({"cci": "2014it16rfop012"}, None, None),
        ({"regions": ["ITC4", "ITC4"]}, "regions", "ITC4 is listed twice"),
        ({"regions": ["FRK2"]}, "regions", "FRK2 is not in IT, the country of 2014IT16RFOP012"),
        ({"regions": ["ITC9"]}, "regions", "does not exist in NUTS 2021"),
        ({"lines": []}, "lines", "at least 1 item"),
        ({"title": "x" * 256}, "title", "at most 255 characters"),
    ],
)
def test_esif_programme(changes: dict[str, Any], field: str | None, fragment: str | None) -> None:
    data = programme(**changes)
    if outcome(EsifProgrammeIn, data, field, fragment):
        assert EsifProgrammeIn.model_validate(data).cci == "2014IT16RFOP012"


def test_a_programme_line_must_fit_the_cci_fund_code() -> None:
    loc, msg = rejected(EsifProgrammeIn, programme(lines=[example(EsifPlannedLineIn), esf_line()]))
    assert loc == ("lines",)
    assert msg == (
        "Value error, lines[1]: fund ESF does not fit CCI 2014IT16RFOP012 (fund code RF: ERDF)"
    )
    multi = EsifProgrammeIn.model_validate(
        programme(cci="2014IT16M2OP001", lines=[example(EsifPlannedLineIn), esf_line()])
    )
    assert multi.eu_amount == D("194000000.00")
    assert multi.national_amount == D("194000000.00")


def test_a_programme_line_is_not_repeated() -> None:
    line = example(EsifPlannedLineIn)
    loc, msg = rejected(EsifProgrammeIn, programme(lines=[line, line]))
    assert loc == ("lines",)
    assert "lines[1] repeats lines[0]" in msg


def test_an_interreg_programme_covers_regions_of_several_countries() -> None:
    data = programme(cci="2014TC16RFCB052", regions=["ITH1", "AT33"])
    assert EsifProgrammeIn.model_validate(data).regions == ["ITH1", "AT33"]


def test_a_uk_programme_names_nuts_2016_regions() -> None:
    data = programme(cci="2014UK16RFOP001", regions=["UKI3"])
    assert EsifProgrammeIn.model_validate(data).regions == ["UKI3"]


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"implemented_by": "EIB"}, "implemented_by", "implemented by EIF"),
        ({"finance_type": "grant"}, "finance_type", "not grant"),
        ({"window": "eib_infrastructure_and_innovation_window"}, "implemented_by", "by EIB"),
        (
            {"window": "eib_infrastructure_and_innovation_window", "implemented_by": "EIB"},
            None,
            None,
        ),
        ({"country": "CH"}, "country", "is not an EU Member State"),
    ],
)
def test_efsi_operation(changes: dict[str, Any], field: str | None, fragment: str | None) -> None:
    data = example(EfsiOperationIn, **changes)
    outcome(EfsiOperationIn, data, field, fragment)


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"region": ...}, "region", "a regional programme needs its NUTS region"),
        ({"region": ..., "level": "national"}, None, None),
        ({"region": "FRK2"}, "region", "FRK2 is not in IT"),
        ({"country": "GR", "region": "EL30"}, None, None),
        ({"finance_types": ["grant", "grant"]}, "finance_types", "listed twice"),
        ({"finance_types": []}, "finance_types", "at least 1 item"),
        ({"state_aid_basis": "maybe"}, "state_aid_basis", "Input should be"),
    ],
)
def test_national_programme(
    changes: dict[str, Any], field: str | None, fragment: str | None
) -> None:
    data = example(NationalProgrammeIn, **changes)
    outcome(NationalProgrammeIn, data, field, fragment)


def test_private_investor_country_is_stored_in_eu_form() -> None:
    investor = PrivateInvestorIn.model_validate(example(PrivateInvestorIn, country="GB"))
    assert investor.country == "UK"
    loc, _ = rejected(PrivateInvestorIn, example(PrivateInvestorIn, country="QQ"))
    assert loc == ("country",)


# --- CCI ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "country", "service", "fund_code", "kind", "sequence", "funds"),
    [
        ("2014IT16RFOP007", "IT", "16", "RF", "OP", 7, {EsifFund.ERDF}),
        ("2014AT05SFOP001", "AT", "05", "SF", "OP", 1, {EsifFund.ESF, EsifFund.YEI}),
        ("2014GR16M2OP001", "EL", "16", "M2", "OP", 1, None),
        ("2014IT06RDRP007", "IT", "06", "RD", "RP", 7, {EsifFund.EAFRD}),
        ("2014IT14MFOP001", "IT", "14", "MF", "OP", 1, {EsifFund.EMFF}),
        ("2014TC16RFCB052", "TC", "16", "RF", "CB", 52, {EsifFund.ERDF}),
        ("2014ES16RFSM001", "ES", "16", "RF", "SM", 1, {EsifFund.ERDF}),
        ("2014UK16RFOP001", "UK", "16", "RF", "OP", 1, {EsifFund.ERDF}),
        (" 2014pt16cfop001 ", "PT", "16", "CF", "OP", 1, {EsifFund.CF}),
        # every kind of programme the official file has
        ("2014LT16MAOP001", "LT", "16", "MA", "OP", 1, None),
        ("2014LV16MAOP001", "LV", "16", "MA", "OP", 1, None),
        ("2014SI16MAOP001", "SI", "16", "MA", "OP", 1, None),
        ("2014CZ16CFTA001", "CZ", "16", "CF", "TA", 1, {EsifFund.CF}),
        ("2014HU05SFTA001", "HU", "05", "SF", "TA", 1, {EsifFund.ESF, EsifFund.YEI}),
        ("2014IT06RDRN001", "IT", "06", "RD", "RN", 1, {EsifFund.EAFRD}),
        ("2014ES06RDNF001", "ES", "06", "RD", "NF", 1, {EsifFund.EAFRD}),
        ("2014TC16RFPC001", "TC", "16", "RF", "PC", 1, {EsifFund.ERDF}),
        ("2014TC16M4TN002", "TC", "16", "M4", "TN", 2, None),
        ("2014TC16RFIR001", "TC", "16", "RF", "IR", 1, {EsifFund.ERDF}),
        ("2015RO16RFSM001", "RO", "16", "RF", "SM", 1, {EsifFund.ERDF}),
        ("2016FI16RFSM001", "FI", "16", "RF", "SM", 1, {EsifFund.ERDF}),
    ],
)
def test_cci_parts(
    code: str,
    country: str,
    service: str,
    fund_code: str,
    kind: str,
    sequence: int,
    funds: set[EsifFund] | None,
) -> None:
    cci = parse_cci(code)
    assert cci.code == code.strip().upper()
    assert (cci.country, cci.service, cci.fund_code, cci.programme_type, cci.sequence) == (
        country,
        service,
        fund_code,
        kind,
        sequence,
    )
    expected = funds or {EsifFund.ERDF, EsifFund.ESF, EsifFund.CF, EsifFund.YEI}
    assert cci.funds == expected
    assert cci.is_territorial_cooperation == (country == "TC")


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("2014IT16RFOP07", "is not a CCI code"),
        ("2014-IT-16RFOP007", "is not a CCI code"),
        ("2021IT16RFPR001", "year 2021 is not within the 2014-2020 period"),
        ("2013IT16RFOP001", "year 2013 is not within the 2014-2020 period"),
        ("2014IT65AMOP001", "service 65 (DG HOME: AMIF, ISF) does not run ESIF programmes"),
        ("2014IT06RDNR001", "programme type NR is not one of"),
        ("2014IT16RFPC001", "here IT with PC"),
        ("2014IT16RDOP001", "fund code RD is not issued by service 16"),
        ("2014XX16RFOP001", "XX is not a country code"),
        ("2014CH16RFOP001", "CH (Switzerland) was not a Member State"),
        ("2014IT07RFOP001", "service 07 is not one of"),
        ("2014TC16I5CB005", "fund code I5 is not an ESIF fund code (RF, SF, CF, RD, MF, or MA or"),
        ("2014AT05FMOP001", "fund code FM is not an ESIF fund code"),
        ("2014IT16RFXX001", "programme type XX is not one of"),
        ("2014IT16SFOP001", "fund code SF is not issued by service 16"),
        ("2014IT16MFOP001", "fund code MF is not issued by service 16"),
        ("2014IT06RDOP001", "operational programme (OP) is not a programme type of service 06"),
        ("2014IT16RFRP001", "regional rural development programme (RP) is not a programme type"),
        ("2014TC16RFOP001", "(CB, TN, IR, PC) go with the country code TC and TC only with them"),
        ("2014IT16RFCB001", "here IT with CB"),
        ("2014IT16RFOP000", "the sequence number is 000"),
    ],
)
def test_invalid_cci(code: str, fragment: str) -> None:
    with pytest.raises(InvalidCci) as caught:
        parse_cci(code)
    assert fragment in str(caught.value)


def test_a_fund_fits_its_cci() -> None:
    assert fund_fits_cci(parse_cci("2014PL16M2OP003"), EsifFund.ESF) is None
    assert fund_fits_cci(parse_cci("2014IT06RDRP007"), EsifFund.ERDF) == (
        "fund ERDF does not fit CCI 2014IT06RDRP007 (fund code RD: EAFRD)"
    )


# --- money and rates -------------------------------------------------------------------------


def test_eu_plus_national_is_the_total_to_the_cent() -> None:
    assert amounts_mismatch(D("85.00"), D("15.00"), D("100.00")) is None
    assert amounts_mismatch(D("85.00"), D("15.00"), D("100.01")) == (
        "EU 85.00 + national 15.00 = 100.00, not the total 100.01 (off by -0.01)"
    )
    assert amounts_mismatch(D("85.01"), D("15.00"), D("100.00")) is not None


def test_the_rate_is_eu_over_total() -> None:
    assert co_financing_rate(D("85"), D("100")) == D("0.85")
    assert co_financing_rate(D("0"), D("0")) is None
    assert format_rate(D("0.849977")) == "84.9977 %"
    assert format_rate(D("1")) == "100 %"


@pytest.mark.parametrize(
    ("eu", "total", "stated", "matches"),
    [
        ("85", "100", "0.85", True),
        ("84.99", "100", "0.8499", True),
        ("849977", "1000000", "0.85", True),  # 84.9977 % published as 85.00
        ("849977", "1000000", "0.8499", True),  # ...or truncated to 84.99
        ("849000", "1000000", "0.85", False),  # 84.9 % is not 85 %
        ("846000", "1000000", "0.85", False),  # rounded to a whole percent: reported
        ("0", "0", "0.85", True),  # nothing to compare
    ],
)
def test_the_stated_rate_matches_within_a_hundredth_of_a_point(
    eu: str, total: str, stated: str, matches: bool
) -> None:
    assert (rate_mismatch(D(eu), D(total), D(stated)) is None) is matches


@pytest.mark.parametrize(
    ("fund", "category", "ceiling", "source"),
    [
        (EsifFund.ERDF, RegionCategory.LESS_DEVELOPED, "0.85", "Art. 120(3)(b)"),
        (EsifFund.ESF, RegionCategory.TRANSITION, "0.60", "Art. 120(3)(e)"),
        (EsifFund.ERDF, RegionCategory.MORE_DEVELOPED, "0.50", "Art. 120(3)(f)"),
        (EsifFund.CF, None, "0.85", "Art. 120(3)(a)"),
        (EsifFund.CF, RegionCategory.MORE_DEVELOPED, "0.85", "Art. 120(3)(a)"),
        (EsifFund.YEI, None, "1", "1304/2013 Art. 22"),
        (EsifFund.EAFRD, RegionCategory.TRANSITION, "0.63", "1305/2013 Art. 59(3)(c)"),
        (EsifFund.EAFRD, RegionCategory.MORE_DEVELOPED, "0.53", "1305/2013 Art. 59(3)(d)"),
        (EsifFund.EMFF, None, "0.75", "508/2014 Art. 94(2)"),
    ],
)
def test_ceilings_by_fund_and_category(
    fund: EsifFund, category: RegionCategory | None, ceiling: str, source: str
) -> None:
    found = ceiling_for(fund, category)
    assert found is not None
    assert found.rate == D(ceiling)
    assert source in found.source
    assert check_rate_ceiling(D(ceiling) * 100, D(100), fund, category) is None
    above = check_rate_ceiling(D(ceiling) * 100 + D("0.01"), D(100), fund, category)
    if D(ceiling) < 1:
        assert above is not None, "a cent above the ceiling is flagged"


@pytest.mark.parametrize(
    ("eu", "total"),
    [
        ("85000.01", "100000.01"),  # 85 % of the total is 85000.0085
        ("85000.00", "100000.01"),
        ("100000000.00", "117647058.82"),  # 85.0000000085 %
        ("8.51", "10.01"),  # 85.0149 %: 8.5085 rounded up
    ],
)
def test_a_rate_at_the_ceiling_once_rounded_to_the_cent_is_not_flagged(eu: str, total: str) -> None:
    assert check_rate_ceiling(D(eu), D(total), EsifFund.ERDF, RegionCategory.LESS_DEVELOPED) is None


def test_a_cent_more_than_the_rounded_ceiling_is_flagged() -> None:
    flag = check_rate_ceiling(
        D("85000.02"), D("100000.01"), EsifFund.ERDF, RegionCategory.LESS_DEVELOPED
    )
    assert flag is not None
    assert flag.message.startswith(
        "the co-financing rate 85 % is above the 85 % ceiling for ERDF in less developed regions "
        "(Reg. (EU) No 1303/2013 Art. 120(3)(b)), which allows EU 85000.01 of the total "
        "100000.01, not 85000.02: allowed only as an exception"
    )


def test_every_ceiling_has_a_source_and_derogations_above_it() -> None:
    for ceiling in CEILINGS.values():
        assert ceiling.source.startswith("Reg. (EU)")
        assert all(d.up_to > ceiling.rate and d.source for d in ceiling.derogations)


def test_no_ceiling_without_the_category_it_depends_on() -> None:
    assert ceiling_for(EsifFund.ERDF, None) is None
    assert check_rate_ceiling(D("1"), D("1"), EsifFund.ERDF, None) is None


def test_a_rate_above_the_ceiling_is_flagged_with_the_exceptions_that_allow_it() -> None:
    flag = check_rate_ceiling(D("80"), D("100"), EsifFund.ERDF, RegionCategory.TRANSITION)
    assert flag is not None
    assert [d.up_to for d in flag.allowed_by] == [D("0.80"), D("0.90"), D("1")]
    assert flag.message.startswith(
        "the co-financing rate 80 % is above the 60 % ceiling for ERDF in transition regions "
        "(Reg. (EU) No 1303/2013 Art. 120(3)(e)), which allows EU 60.00 of the total 100, "
        "not 80: allowed only as an exception: up to 80 % "
    )
    assert "Art. 120(3)(c)" in flag.message
    assert "REACT-EU" in flag.message

    beyond = check_rate_ceiling(D("96"), D("100"), EsifFund.CF, None)
    assert beyond is not None
    assert beyond.allowed_by == ()
    assert beyond.message.endswith("no exception of the regulation allows it")


def test_planned_totals_as_csv_end_with_the_total() -> None:
    def item(key: str | None, eu: str) -> EsifTotal:
        return EsifTotal(
            key=key,
            name=None,
            eu_amount=D(eu),
            national_amount=D("1"),
            total_amount=D(eu) + 1,
            lines=1,
            programmes=1,
        )

    totals = EsifTotals(
        by=EsifTotalsBy.THEMATIC_OBJECTIVE,
        items=[item("01", "10.5"), item(None, "2")],
        total=item(None, "12.5"),
    )
    assert totals_csv.render(totals) == (
        "thematic-objective,name,eu_amount,national_amount,total_amount,lines,programmes\r\n"
        "01,,10.50,1.00,11.50,1,1\r\n"
        ",,2.00,1.00,3.00,1,1\r\n"
        "total,,12.50,1.00,13.50,1,1\r\n"
    )
