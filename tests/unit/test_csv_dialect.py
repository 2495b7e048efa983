"""The CSV dialects of European spreadsheets, read by one rule for both uploads: the ESIF
planned finances and the authority items."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError
from synergia_funding.authority import csv_items
from synergia_funding.authority.schemas import SPREADSHEET_CELLS, AuthorityEventIn
from synergia_funding.csv_dialect import (
    InvalidValue,
    detect_delimiter,
    parse_amount,
    parse_date,
)
from synergia_funding.reference.esif_csv import (
    PlannedFinanceLine,
    RowRejection,
    parse_planned_finances,
)

KNOWN = {"external_id", "kind", "amount", "date"}


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("external_id,kind,amount", ","),
        ("external_id;kind;amount", ";"),
        ("external_id\tkind\tamount", "\t"),
        ("external_id|kind|amount", "|"),
        ('"external_id";"kind";"amount"', ";"),
        # A name holding a comma does not fool it: ";" finds more known names.
        ('external_id;"kind, or type";amount;date', ";"),
        ("external_id", ","),  # one column: every delimiter ties, the first wins
        ("colour;size", ","),  # nothing known: "," and the header is refused by its reader
    ],
)
def test_the_delimiter_is_the_one_that_finds_the_most_known_names(
    header: str, delimiter: str
) -> None:
    assert detect_delimiter(header, KNOWN.__contains__) == delimiter


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("-1.234,56", "-1234.56"),
        ("-1234,5", "-1234.50"),
        ("- 250.00", "-250.00"),
        ("1'234.50", "1234.50"),
        ("1\u202f234,50", "1234.50"),
        ("1 234 567,89", "1234567.89"),
        ("-0", "0.00"),
    ],
)
def test_signed_amounts_as_spreadsheets_write_them(text: str, amount: str) -> None:
    assert parse_amount(text, signed=True) == Decimal(amount)
    assert str(parse_amount(text, signed=True)) == amount


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("-1,234", "ambiguous"),
        ("-100.000", "ambiguous"),
        ("--5", "not an amount"),
        ("-", "not an amount"),
        ("1.234,567", "more than two decimals"),
    ],
)
def test_signed_amounts_that_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(InvalidValue, match=fragment):
        parse_amount(text, signed=True)


def test_unsigned_is_the_default_and_refuses_a_negative_amount() -> None:
    with pytest.raises(InvalidValue, match="is negative"):
        parse_amount("-1,50")


# --- one rule for both readers -----------------------------------------------------------------

ESIF_HEADER = (
    "MS;CCI;Title;Fund;Priority;TO;Category of region;EU Amount;National Amount;"
    "Total Amount;EU Co-financing\n"
)
SAMPLES = ["1.234,56", "1 234,56", "1234,56", "1,234.56", "1234.56", "1,234", "100.000", "1,2,3"]


def esif_amount(text: str) -> Decimal | str:
    """The ESIF reader's verdict on ``text`` as an EU amount (national 0, rate 100 %)."""
    (row,) = parse_planned_finances(
        [ESIF_HEADER, f'IT;2014IT16RFOP012;T;ERDF;1;01;More developed;"{text}";0;"{text}";100\n']
    )
    if isinstance(row, RowRejection):
        return row.reason
    assert isinstance(row, PlannedFinanceLine)
    return row.eu_amount


def authority_amount(text: str) -> Decimal | str:
    """The authority CSV's verdict on ``text`` as an item's amount."""
    body = (
        "external_id;kind;beneficiary_id;source;fund;amount;date;region_nuts\n"
        f'A;commitment;{uuid.uuid4()};esif;ERDF;"{text}";2024-03-01;ITC4C\n'
    )
    (row,) = csv_items.parse(body.encode())
    try:
        return AuthorityEventIn.model_validate(row, context={SPREADSHEET_CELLS: True}).amount
    except ValidationError as exc:
        (error,) = exc.errors()
        assert error["loc"] == ("amount",)
        return f"EU Amount {error['msg']}"


@pytest.mark.parametrize("text", SAMPLES)
def test_the_esif_import_and_the_authority_csv_read_an_amount_alike(text: str) -> None:
    esif, authority = esif_amount(text), authority_amount(text)
    if isinstance(esif, str):  # a rejection names every problem of the row; the amount's first
        assert isinstance(authority, str)
        assert esif.startswith(authority), (esif, authority)
    else:
        assert authority == esif


def test_json_and_kafka_items_keep_plain_decimal_amounts() -> None:
    item = {
        "external_id": "A",
        "kind": "commitment",
        "beneficiary_id": str(uuid.uuid4()),
        "source": "esif",
        "fund": "ERDF",
        "amount": "1.234,56",
        "date": "2024-03-01",
        "region_nuts": "ITC4C",
    }
    with pytest.raises(ValidationError, match="amount"):
        AuthorityEventIn.model_validate(item)
    assert AuthorityEventIn.model_validate({**item, "amount": "1234.56"}).amount == Decimal(
        "1234.56"
    )


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-03-01", date(2024, 3, 1)),
        ("01.03.2024", date(2024, 3, 1)),  # dots: day first, wherever they are written
        ("1.3.2024", date(2024, 3, 1)),
        ("1.03.2024", date(2024, 3, 1)),
        ("13.12.2024", date(2024, 12, 13)),
        ("29.02.2024", date(2024, 2, 29)),
        (" 31.12.2023 ", date(2023, 12, 31)),
    ],
)
def test_dates_in_iso_or_day_first_with_dots(text: str, day: date) -> None:
    assert parse_date(text) == day


@pytest.mark.parametrize(
    "text",
    ["01/03/2024", "1/3/2024", "13/03/2024", "03/13/2024", "01-03-2024", "01/03/24"],
)
def test_day_and_month_with_a_slash_or_dash_are_refused_naming_the_accepted_forms(
    text: str,
) -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_date(text)
    assert str(refused.value) == (
        f"{text!r} is ambiguous: with / or - the day comes first in Europe and the month "
        "first in the US; write the date as YYYY-MM-DD or DD.MM.YYYY (D.M.YYYY)"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31.02.2024", "'31.02.2024' is not a day: February 2024 has 29 days"),
        ("29.02.2023", "'29.02.2023' is not a day: February 2023 has 28 days"),
        ("31.04.2024", "'31.04.2024' is not a day: April 2024 has 30 days"),
        ("0.03.2024", "'0.03.2024' is not a day: there is no day 0"),
        ("01.13.2024", "'01.13.2024' is not a day: there is no month 13"),
        ("2024-02-30", "'2024-02-30' is not a day: February 2024 has 29 days"),
        ("01.03.0000", "'01.03.0000' is not a day: there is no year 0"),
    ],
)
def test_a_day_the_calendar_does_not_have_is_refused_saying_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_date(text)
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    "text",
    ["01.03.24", "2024.03.01", "2024/03/01", "2024-3-1", "1 March 2024", "45352", "x", "1.3.2024."],
)
def test_other_forms_are_refused_naming_the_accepted_ones(text: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_date(text)
    assert str(refused.value) == (
        f"{text.strip()!r} is not a date: write it as YYYY-MM-DD or DD.MM.YYYY (D.M.YYYY)"
    )


def test_an_empty_date_is_refused() -> None:
    with pytest.raises(InvalidValue, match="is empty"):
        parse_date("  ")


def spreadsheet_item(**fields: str) -> dict[str, str]:
    return {
        "external_id": "A",
        "kind": "commitment",
        "beneficiary_id": str(uuid.uuid4()),
        "source": "esif",
        "fund": "ERDF",
        "amount": "1234.56",
        "date": "2024-03-01",
        "region_nuts": "ITC4C",
        **fields,
    }


def test_a_csv_cells_date_is_read_day_first_with_dots_and_refused_at_its_field() -> None:
    cells = {SPREADSHEET_CELLS: True}
    assert AuthorityEventIn.model_validate(
        spreadsheet_item(date="1.3.2024"), context=cells
    ).date == date(2024, 3, 1)
    with pytest.raises(ValidationError) as refused:
        AuthorityEventIn.model_validate(spreadsheet_item(date="01/03/2024"), context=cells)
    (error,) = refused.value.errors()
    assert error["loc"] == ("date",)
    assert "YYYY-MM-DD or DD.MM.YYYY" in error["msg"]
    # A dotted day is still judged plausible or not, as an ISO one is.
    with pytest.raises(ValidationError, match="before 2014-01-01"):
        AuthorityEventIn.model_validate(spreadsheet_item(date="31.12.2013"), context=cells)


def test_json_and_kafka_items_keep_iso_dates() -> None:
    with pytest.raises(ValidationError) as refused:
        AuthorityEventIn.model_validate(spreadsheet_item(date="01.03.2024"))
    (error,) = refused.value.errors()
    assert error["loc"] == ("date",)
    assert AuthorityEventIn.model_validate(spreadsheet_item()).date == date(2024, 3, 1)
