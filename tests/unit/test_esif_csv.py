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
    _amounts_problem,
    _plain_amounts,
    _plain_rate,
    _read_header,
    aggregate_programmes,
    aparse_planned_finances,
    parse_amount,
    parse_category,
    parse_planned_finances,
    parse_rate,
)
from synergia_funding.reference.rules import RATE_TOLERANCE, EsifFund, RegionCategory

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

# The rows the reader itself refuses (the import also refuses a repeated line and a second
# version of a programme: tests/integration/test_funding_reference_api.py).
REFUSED = {
    23: "Fund: 'IPA' is not an ESI fund but another instrument",
    24: "CCI: CCI 2014TC16I5CB005: fund code I5 is not an ESIF fund code",
    31: "EU 80000000.00 + national 20000000.00 = 100000000.00, not the total 100000100.00 "
    "(off by -100.00)",
    33: "the stated co-financing rate 50 % is not EU / total = 60 % (tolerance 0.01 %)",
    36: "EU Amount is empty",
}


def test_the_sample_reports_exactly_the_rows_that_are_wrong() -> None:
    refused = {row.line: row for row in rejections(sample())}
    assert list(refused) == list(REFUSED)
    for line, fragment in REFUSED.items():
        assert refused[line].reason.startswith(fragment), refused[line].reason
    assert refused[24].cci == "2014TC16I5CB005"


def test_the_sample_accepts_every_other_row_with_its_line_number() -> None:
    rows = sample()
    assert len(rows) == 36
    assert [line.line for line in accepted(rows)] == [n for n in range(2, 38) if n not in REFUSED]


def test_every_kind_of_programme_code_is_read() -> None:
    kinds = {line.cci[8:10] + line.cci[10:12] for line in accepted(sample())}
    # multi-fund MA, TA, RN, PEACE, SME Initiative, Interreg, rural, EMFF, YEI, ESF
    assert {"MAOP", "CFTA", "RDRN", "RFPC", "RFSM", "RFCB", "M4TN", "RDRP", "RDNP"} <= kinds
    assert {"MFOP", "M9OP", "SFOP", "M2OP", "RFOP"} <= kinds
    assert "2015RO16RFSM001" in {line.cci for line in accepted(sample())}


def test_sample_values() -> None:
    lines = {line.line: line for line in accepted(sample())}
    austria = lines[2]
    assert (austria.ms, austria.cci, austria.title, austria.version) == (
        "AT",
        "2014AT05SFOP001",
        "Employment Austria - ESF",
        3,
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
    # amounts as the portal writes them: whole euros, one decimal
    assert lines[4].eu_amount == D("97000000.50")
    # a quoted title holding the delimiter
    assert lines[29].title == "Regional Operational Programme of Lubelskie Voivodeship, 2014-2020"
    # a rate as a fraction; Greece is GR in the file and EL here
    assert lines[30].stated_rate == D("0.85")
    assert lines[28].ms == "EL"
    # VOID category and an empty thematic objective are None
    assert lines[5].category_of_region is None
    assert lines[10].thematic_objective is None


def test_eafrd_lines_are_told_apart_by_measure_and_focus_area() -> None:
    lombardia = [line for line in accepted(sample()) if line.cci == "2014IT06RDRP007"]
    keys = [(x.priority, x.eafrd_measure, x.eafrd_focus_area) for x in lombardia]
    assert keys == [
        ("P4", "M10", "4A"),
        ("P4", "M11", "4A"),
        ("P2", "M04", "2A"),
        ("P3", "M04", "3A"),
        ("P4", "M10", "4B"),
        (None, "M20", None),  # technical assistance: no priority, no focus area
        (None, "M113", None),  # a discontinued measure
    ]
    assert len(set(keys)) == len(keys)


def test_emff_lines_have_no_priority() -> None:
    emff = [line for line in accepted(sample()) if line.fund is EsifFund.EMFF]
    assert [(x.priority, x.thematic_objective) for x in emff] == [(None, "03"), (None, "06")]


def test_interreg_rows_have_no_member_state() -> None:
    lines = {line.line: line for line in accepted(sample())}
    assert [(lines[n].cci, lines[n].ms) for n in (20, 21, 22)] == [
        ("2014TC16RFPC001", "TC"),
        ("2014TC16RFCB052", "TC"),  # MS empty in the file
        ("2014TC16M4TN002", "TC"),
    ]


def test_only_rates_above_their_ceiling_are_flagged() -> None:
    flagged = {line.line: line.flags for line in accepted(sample()) if line.flags}
    assert list(flagged) == [8, 32]
    (flag,) = flagged[32]
    assert flag.startswith(
        "the co-financing rate 80 % is above the 60 % ceiling for ERDF in transition regions "
        "(Reg. (EU) No 1303/2013 Art. 120(3)(e)), which allows EU 60000000.00 of the total "
        "100000000.00, not 80000000.00: allowed only as an exception: up to 80 % "
    )
    lines = {line.line: line for line in accepted(sample())}
    # 85.0000099 % and 75.0000000 % are the ceiling once rounded to the cent: not flagged
    assert lines[29].rate is not None
    assert lines[29].rate > D("0.85")
    assert lines[18].flags == ()


def test_the_sample_adds_up_per_programme() -> None:
    programmes = {p.cci: p for p in aggregate_programmes(sample())}
    assert len(programmes) == 19, "the three refused programmes' rows count for none"
    lubelskie = programmes["2014PL16M2OP003"]
    assert (lubelskie.lines, lubelskie.first_line) == (2, 29)
    assert (lubelskie.eu_amount, lubelskie.national_amount, lubelskie.total_amount) == (
        D("42585000.51"),
        D("7515000.09"),
        D("50100000.60"),
    )
    assert lubelskie.eu_by_fund == {EsifFund.ERDF: D("85000.01"), EsifFund.ESF: D("42500000.50")}
    assert lubelskie.categories == {RegionCategory.LESS_DEVELOPED}
    assert lubelskie.priorities == {"1", "9"}
    assert programmes["2014PT14MFOP001"].priorities == {None}
    andalucia = programmes["2014ES16RFOP003"]  # its rejected line is not counted
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
    with pytest.raises(EsifCsvFormatError, match="missing National Amount, EU co-financing"):
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
        (ROW.replace("2014IT16RFOP012", ""), "CCI is empty"),
        (ROW.replace("2014IT16RFOP012", "").replace("IT,", ",", 1), "CCI is empty; MS is empty"),
        (
            ROW.replace("IT,2014IT16RFOP012", "IT,2014TC16RFCB052"),
            "MS 'IT': 2014TC16RFCB052 is an Interreg programme, with no single Member State "
            "(MS is TC or empty)",
        ),
        (
            ROW.replace("ERDF", "IPA"),
            "Fund: 'IPA' is not an ESI fund but another instrument: its money is not part of "
            "the ESIF planned finances",
        ),
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
            "EU co-financing: '150' is above 100 %",
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


@pytest.mark.parametrize("text", ["", "VOID", "void", "Not applicable", "N/A"])
def test_no_category_of_region(text: str) -> None:
    assert parse_category(text) is None


def test_an_empty_ms_is_the_cci_country_and_an_empty_priority_is_none() -> None:
    (line,) = parse(HEADER + ROW.replace("IT,", ",", 1).replace(",1,01,", ",,01,"))
    assert isinstance(line, PlannedFinanceLine)
    assert (line.ms, line.priority) == ("IT", None)


def test_the_official_header_with_versions_and_eafrd_codes() -> None:
    header = (
        "MS,MS Name,CCI,Ver,Programme Title,Fund,Priority,TO_code,To short,TO long,"
        "Category of region,EAFRD Measure code,Measure short description,"
        "EAFRD Focus Area code,Focus area short description,EU Amount,National Amount,"
        "Total Amount,EU co-financing\n"
    )
    row = (
        "AT,Austria,2014AT06RDNP001,3.0,RDP Austria,EAFRD,P6,VOID,,,Transition,M19,LEADER,"
        "6B,Local development,50,50,100,50\n"
    )
    (line,) = parse(header + row)
    assert isinstance(line, PlannedFinanceLine), line
    assert (line.version, line.eafrd_measure, line.eafrd_focus_area, line.title) == (
        3,
        "M19",
        "6B",
        "RDP Austria",
    )
    (bad,) = parse(header + row.replace(",3.0,", ",v3,"))
    assert isinstance(bad, RowRejection)
    assert bad.reason == "Ver: 'v3' is not a programme version (a whole number from 1)"


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


# --- the common row's fast path and the full check agree ------------------------------------


@pytest.mark.parametrize(
    ("amounts", "rate"),
    [
        (("50,00", "50,00", "100,00"), "50,00"),  # decimal commas: the full check
        (("50", "50", "100"), "50 %"),
        (("50.0", "50", "100.00"), "0.5"),  # digits and a point: the fast path
    ],
)
def test_a_row_is_the_same_line_however_its_numbers_are_written(
    amounts: tuple[str, str, str], rate: str
) -> None:
    (plain,) = parse(HEADER + ROW)
    written = ROW.replace("50.00,50.00,100.00,50.00", ",".join(f'"{a}"' for a in amounts))
    (line,) = parse(HEADER + written.replace("\n", f',"{rate}"\n'))
    assert isinstance(plain, PlannedFinanceLine)
    assert line == plain


def test_blank_broken_and_plain_lines_keep_their_numbers_in_one_chunk() -> None:
    bad = ROW.replace("POR Lombardia", '"POR" Lombardia')
    rows = parse(HEADER + ROW + "\n" + ",,,,,,,,,,\n" + bad + ROW + ROW.replace("50.00\n", "5\n"))
    assert [(type(row).__name__, row.line) for row in rows] == [
        ("PlannedFinanceLine", 2),
        ("RowRejection", 5),
        ("PlannedFinanceLine", 6),
        ("RowRejection", 7),
    ]
    assert isinstance(rows[1], RowRejection)
    assert rows[1].reason.startswith("malformed CSV: ")
    assert isinstance(rows[3], RowRejection)
    assert rows[3].reason.startswith("the stated co-financing rate 5 % is not EU / total")


def test_the_fast_path_reads_a_plain_rate_that_matches_only() -> None:
    eu, total = Decimal("50.00"), Decimal("100.00")
    assert _plain_rate("50.00", eu, total, RATE_TOLERANCE) == Decimal("0.5")
    assert _plain_rate("0.5", eu, total, RATE_TOLERANCE) == Decimal("0.5")
    assert _plain_rate("50 %", eu, total, RATE_TOLERANCE) is None  # the full check reads it
    assert _plain_rate("60", eu, total, RATE_TOLERANCE) is None  # not EU / total
    assert _plain_rate("150", eu, total, RATE_TOLERANCE) is None  # above 100 %


def test_the_fast_path_reads_plain_amounts_that_add_up_only() -> None:
    def at(eu: str, national: str, total: str) -> tuple[Decimal, Decimal, Decimal] | None:
        header = _read_header(HEADER)
        values = ROW.strip().replace("50.00,50.00,100.00", f"{eu},{national},{total}")
        return _plain_amounts(values.split(","), header.at)

    assert at("50", "50.5", "100.50") == (Decimal("50.00"), Decimal("50.50"), Decimal("100.50"))
    assert at("50", "50", "100.01") is None  # does not add up
    assert at("5e1", "50", "100") is None  # not written plainly: the full check reads it


def test_the_full_check_finds_amounts_that_do_not_add_up_before_the_rate() -> None:
    amounts = (Decimal("50.00"), Decimal("50.00"), Decimal("100.00"))
    assert _amounts_problem(amounts, Decimal("0.5"), RATE_TOLERANCE) is None
    assert _amounts_problem(amounts, None, RATE_TOLERANCE) is None
    wrong_rate = _amounts_problem(amounts, Decimal("0.6"), RATE_TOLERANCE)
    assert wrong_rate is not None
    assert "is not EU / total" in wrong_rate
    off = _amounts_problem((amounts[0], amounts[1], Decimal("100.01")), None, RATE_TOLERANCE)
    assert off is not None
    assert "100.01" in off
