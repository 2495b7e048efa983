"""The ESIF 2014-2020 planned finances CSV reader (pure: no database).

The fixture has the portal's column layout; its programmes and figures are illustrative.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from synergia_funding.reference.esif_csv import (
    EsifCsvFormatError,
    InvalidValue,
    ParsedRow,
    PlannedFinanceLine,
    PlannedFinancesParser,
    RowRejection,
    aggregate_programmes,
    aparse_planned_finances,
    parse_amount,
    parse_planned_finances,
    parse_rate,
)
from synergia_funding.reference.rules import EsifFund, RegionCategory

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "esif_planned_finances_sample.csv"
D = Decimal
HEADER = (
    "MS,CCI,Title,Fund,Priority,TO,Category of region,EU Amount,National Amount,"
    "Total Amount,EU Co-financing\n"
)
ROW = "IT,2014IT16RFOP012,POR Lombardia,ERDF,1,01,More developed,50.00,50.00,100.00,50.00\n"


def chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def achunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for chunk in chunks(data, size):
        yield chunk


def parse(text: str) -> list[ParsedRow]:
    return list(parse_planned_finances([text]))


def sample() -> list[ParsedRow]:
    with SAMPLE.open(encoding="utf-8") as file:
        return list(parse_planned_finances(file))


def accepted(rows: list[ParsedRow]) -> list[PlannedFinanceLine]:
    return [row for row in rows if isinstance(row, PlannedFinanceLine)]


def rejections(rows: list[ParsedRow]) -> list[RowRejection]:
    return [row for row in rows if isinstance(row, RowRejection)]


# --- the sample file ------------------------------------------------------------------------


def test_the_sample_reports_exactly_the_rows_that_are_wrong() -> None:
    assert rejections(sample()) == [
        RowRejection(
            10,
            "EU 80000000.00 + national 20000000.00 = 100000000.00, not the total "
            "100000100.00 (off by -100.00)",
            "2014ES16RFOP003",
        ),
        RowRejection(
            12,
            "the stated co-financing rate 50 % is not EU / total = 60 % (tolerance 0.01 %)",
            "2014FR16M0OP007",
        ),
        RowRejection(13, "EU Amount is empty", "2014DE16RFOP012"),
        RowRejection(
            17,
            "CCI: CCI 2014TC16I5CB005: fund code I5 is not an ESIF fund code (RF, SF, CF, RD, "
            "MF, or M0-M9 for a multi-fund programme); Fund: 'IPAE' is not an ESI fund "
            "(ERDF, ESF, CF, EAFRD, EMFF, YEI)",
            "2014TC16I5CB005",
        ),
    ]


def test_the_sample_accepts_every_other_row_with_its_line_number() -> None:
    rows = sample()
    assert len(rows) == 16  # 17 data lines, one blank
    assert [line.line for line in accepted(rows)] == [2, 3, 4, 5, 6, 8, 9, 11, 14, 15, 16, 18]


def test_sample_values() -> None:
    lines = {line.line: line for line in accepted(sample())}
    austria = lines[2]
    assert (austria.ms, austria.cci, austria.title) == (
        "AT",
        "2014AT05SFOP001",
        "Employment Austria - ESF",
    )
    assert (austria.fund, austria.priority, austria.thematic_objective) == (EsifFund.ESF, "1", "08")
    assert austria.category_of_region is RegionCategory.MORE_DEVELOPED
    assert (austria.eu_amount, austria.national_amount, austria.total_amount) == (
        D("3078584.00"),
        D("3078584.00"),
        D("6157168.00"),
    )
    assert austria.stated_rate == D("0.5")
    assert austria.rate == D("0.5")
    # a quoted title holding the delimiter
    assert lines[5].title == "Regional Operational Programme of Lubelskie Voivodeship, 2014-2020"
    # decimal commas
    assert (lines[6].eu_amount, lines[6].national_amount, lines[6].total_amount) == (
        D("42500000.50"),
        D("7500000.09"),
        D("50000000.59"),
    )
    assert lines[6].stated_rate == D("0.85")
    # "85 %" and the fraction 0.8; Greece is GR in the file and EL here
    assert (lines[8].stated_rate, lines[9].stated_rate) == (D("0.85"), D("0.8"))
    assert lines[8].ms == "EL"
    # VOID category and thematic objective are None
    assert lines[14].category_of_region is None
    assert lines[15].thematic_objective is None
    assert lines[15].fund is EsifFund.EAFRD
    assert lines[18].fund is EsifFund.YEI
    assert lines[18].national_amount == D("0.00")


def test_only_the_rate_above_its_ceiling_is_flagged() -> None:
    flagged = {line.line: line.flags for line in accepted(sample()) if line.flags}
    assert list(flagged) == [11]
    (flag,) = flagged[11]
    assert flag.startswith(
        "the co-financing rate 80 % is above the 60 % ceiling for ERDF in transition regions "
        "(Reg. (EU) No 1303/2013 Art. 120(3)(e)): allowed only as an exception: up to 80 % "
    )


def test_the_sample_adds_up_per_programme() -> None:
    programmes = aggregate_programmes(sample())
    assert [p.cci for p in programmes] == [
        "2014AT05SFOP001",
        "2014IT16RFOP012",
        "2014PL16M2OP003",
        "2014GR16M2OP001",
        "2014ES16RFOP003",
        "2014CZ16M1OP002",
        "2014IT06RDRP007",
        "2014TC16RFCB052",
        "2014IT05M9OP001",
    ]
    lubelskie = programmes[2]
    assert (lubelskie.lines, lubelskie.first_line) == (2, 5)
    assert (lubelskie.eu_amount, lubelskie.national_amount, lubelskie.total_amount) == (
        D("127500000.50"),
        D("22500000.09"),
        D("150000000.59"),
    )
    assert lubelskie.eu_by_fund == {EsifFund.ERDF: D("85000000.00"), EsifFund.ESF: D("42500000.50")}
    assert lubelskie.categories == {RegionCategory.LESS_DEVELOPED}
    assert lubelskie.priorities == {"1", "9"}
    lombardia = programmes[1]
    assert lombardia.co_financing_rate == D("0.5")
    andalucia = programmes[4]  # its rejected line is not counted
    assert (andalucia.lines, andalucia.eu_amount, andalucia.flagged_lines) == (
        1,
        D("80000000.00"),
        1,
    )


@pytest.mark.parametrize("size", [1, 7, 64, 1 << 16])
def test_chunk_boundaries_do_not_matter(size: int) -> None:
    data = SAMPLE.read_bytes()
    assert list(parse_planned_finances(chunks(data, size))) == sample()


@pytest.mark.parametrize("size", [3, 4096])
async def test_async_bytes(size: int) -> None:
    data = b"\xef\xbb\xbf" + SAMPLE.read_bytes()  # with a byte-order mark
    rows = [row async for row in aparse_planned_finances(achunks(data, size))]
    assert rows == sample()


def test_the_parser_answers_each_record_once_complete() -> None:
    parser = PlannedFinancesParser()
    assert parser.feed(HEADER) == []
    assert parser.feed(ROW[:20]) == []
    (line,) = parser.feed(ROW[20:])
    assert isinstance(line, PlannedFinanceLine)
    assert line.line == 2
    assert parser.close() == []


# --- headers ----------------------------------------------------------------------------------


def test_the_api_snake_case_header_is_read() -> None:
    header = (
        "ms,ms_name,cci,title,fund,priority,to,to_short,to_long,category_of_region,"
        "eu_amount,national_amount,total_amount,eu_co_financing\n"
    )
    row = "IT,Italy,2014IT16RFOP012,POR,ERDF,1,01,R&I,Research,More developed,5,5,10,50\n"
    (line,) = parse(header + row)
    assert isinstance(line, PlannedFinanceLine)
    assert line.total_amount == D("10.00")


def test_a_semicolon_file_with_decimal_commas_and_other_spellings() -> None:
    header = (
        "MS;CCI;Programme Title;Fund;Priority Axis;TO_code;Category of Region;"
        "EU_amount_planned;National_Amount_planned;Total_Amount_planned;EU Co-financing rate;"
        "EAFRD FA\n"
    )
    row = "PL;2014PL16M2OP003;RPO, Lubelskie;ERDF;1;01;Less developed;85,5;15,1;100,6;84,99;\n"
    (line,) = parse(header + row)
    assert isinstance(line, PlannedFinanceLine), line
    # 85.5 / 100.6 = 84.9901 %, stated as 84,99
    assert (line.title, line.eu_amount, line.stated_rate) == (
        "RPO, Lubelskie",
        D("85.50"),
        D("0.8499"),
    )


def test_a_header_missing_columns_is_refused_by_name() -> None:
    with pytest.raises(EsifCsvFormatError, match="missing National Amount, EU Co-financing"):
        parse(
            "MS,CCI,Fund,Priority,Category of region,EU Amount,Total Amount\n"
            "IT,2014IT16RFOP012,ERDF,1,,1,1\n"
        )


def test_a_column_named_twice_is_refused() -> None:
    with pytest.raises(EsifCsvFormatError, match="names 'CCI' twice"):
        parse(HEADER.replace("Title", "CCI"))


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(EsifCsvFormatError, match="there is no header line"):
        parse("\n\n")


def test_a_file_that_is_not_utf8_is_refused() -> None:
    data = (HEADER + ROW).replace("Lombardia", "Lombard\xeca").encode("latin-1")
    with pytest.raises(EsifCsvFormatError, match="not UTF-8 text"):
        list(parse_planned_finances([data]))


# --- records -------------------------------------------------------------------------------------


def test_a_quoted_line_break_keeps_one_record_and_counts_lines() -> None:
    text = HEADER + ROW.replace("POR Lombardia", '"POR\nLombardia ""FESR"""') + ROW
    first, second = parse(text)
    assert isinstance(first, PlannedFinanceLine)
    assert (first.line, first.title) == (2, 'POR\nLombardia "FESR"')
    assert second.line == 4


def test_malformed_quoting_rejects_the_row_and_reading_goes_on() -> None:
    bad = ROW.replace("POR Lombardia", '"POR" Lombardia')
    first, second = parse(HEADER + bad + ROW)
    assert isinstance(first, RowRejection)
    assert first.line == 2
    assert first.reason.startswith("malformed CSV: ")
    assert isinstance(second, PlannedFinanceLine)
    assert second.line == 3


def test_a_quote_that_never_closes_stops_the_read() -> None:
    text = HEADER + ROW.replace("POR Lombardia", '"POR Lombardia') + ROW * 50
    with pytest.raises(EsifCsvFormatError, match="quoted field opened on line 2 is not closed"):
        list(parse_planned_finances([text], max_record_chars=1000))


def test_a_row_of_the_wrong_width_is_rejected() -> None:
    (row,) = parse(HEADER + ROW.replace(",50.00\n", "\n"))
    assert row == RowRejection(2, "the row has 10 fields where the header has 11")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            ROW.replace("IT,", "FR,", 1),
            "MS 'FR' is not the country of CCI 2014IT16RFOP012 (IT)",
        ),
        (ROW.replace("IT,", ",", 1), "MS is empty"),
        (ROW.replace("2014IT16RFOP012", ""), "CCI is empty"),
        (ROW.replace(",1,01,", ",,01,"), "Priority is empty"),
        (
            ROW.replace("More developed", "Rich"),
            "Category of region: 'Rich' is not a category of region (Less developed, "
            "Transition, More developed, Outermost or Northern Sparsely Populated, or empty)",
        ),
        (
            ROW.replace("50.00,50.00,100.00", "-50.00,150.00,100.00"),
            "EU Amount '-50.00' is negative",
        ),
        (
            ROW.replace("50.00,50.00,100.00", "50.00,50.001,100.00"),
            "National Amount '50.001' is ambiguous: a decimal or a thousands separator before "
            "three digits",
        ),
        (
            ROW.replace(",50.00\n", ",150\n"),
            "EU Co-financing: '150' is above 100 %",
        ),
        (
            ROW.replace("50.00,50.00,100.00", "x,,100.00"),
            "EU Amount 'x' is not an amount (digits with a decimal . or ,); National Amount "
            "is empty",
        ),
    ],
)
def test_row_problems(row: str, reason: str) -> None:
    (rejection,) = parse(HEADER + row)
    assert isinstance(rejection, RowRejection)
    assert (rejection.line, rejection.reason) == (2, reason)


def test_flags_do_not_reject() -> None:
    no_rate = ROW.replace(",50.00\n", ",\n")
    wrong_fund = ROW.replace("ERDF", "ESF")
    zero = ROW.replace("50.00,50.00,100.00", "0,0,0")
    first, second, third = parse(HEADER + no_rate + wrong_fund + zero)
    assert isinstance(first, PlannedFinanceLine)
    assert first.flags == ("no stated co-financing rate: EU / total is used",)
    assert isinstance(second, PlannedFinanceLine)
    assert second.flags == ("fund ESF does not fit CCI 2014IT16RFOP012 (fund code RF: ERDF)",)
    assert isinstance(third, PlannedFinanceLine)
    assert (third.rate, third.flags) == (None, ())


# --- values ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1234", "1234.00"),
        ("1234.5", "1234.50"),
        ("1234,5", "1234.50"),
        (" 3078584.00 ", "3078584.00"),
        ("1234.500", "1234.50"),
        ("1,234,567.89", "1234567.89"),
        ("1.234.567,89", "1234567.89"),
        ("1 234 567", "1234567.00"),
        ("1\u00a0234,50", "1234.50"),
        ("0", "0.00"),
    ],
)
def test_amounts(text: str, amount: str) -> None:
    assert parse_amount(text) == D(amount)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "is empty"),
        ("100.000", "ambiguous"),
        ("1,234", "ambiguous"),
        ("1234.567", "more than two decimals"),
        ("-1", "negative"),
        ("1.234,567.8", "not an amount"),
        ("1,234,56", "not an amount"),
        ("12e3", "scientific notation"),
        ("€12", "not an amount"),
    ],
)
def test_invalid_amounts(text: str, fragment: str) -> None:
    with pytest.raises(InvalidValue, match=fragment):
        parse_amount(text)


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("85", "0.85"),
        ("85.00", "0.85"),
        ("85,5", "0.855"),
        ("85 %", "0.85"),
        ("85%", "0.85"),
        ("0.85", "0.85"),
        ("1", "1"),
        ("100", "1"),
        ("0.5 %", "0.005"),
        ("0", "0"),
    ],
)
def test_rates(text: str, rate: str) -> None:
    assert parse_rate(text) == D(rate)


def test_an_empty_rate_is_none_and_nonsense_is_refused() -> None:
    assert parse_rate("  ") is None
    with pytest.raises(InvalidValue, match="is above 100 %"):
        parse_rate("100.5")
    with pytest.raises(InvalidValue, match="is not a rate"):
        parse_rate("high")
