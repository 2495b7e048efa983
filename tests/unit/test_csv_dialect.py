"""The CSV dialects of European spreadsheets, read by one rule for both uploads: the ESIF
planned finances and the authority items."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from pydantic import ValidationError
from synergia_funding.authority import csv_items
from synergia_funding.authority.schemas import SPREADSHEET_CELLS, AuthorityEventIn
from synergia_funding.csv_dialect import InvalidValue, detect_delimiter, parse_amount
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
