"""One rule for amounts on every channel: plain decimal notation (pure)."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError
from synergia_funding.amounts import (
    SIGNED_AMOUNT_PATTERN,
    InvalidAmount,
    parse_plain_amount,
)
from synergia_funding.authority.schemas import SPREADSHEET_CELLS, AuthorityEventIn
from synergia_funding.csv_dialect import InvalidValue, parse_amount

# What Python's Decimal (and so pydantic) reads as a number, and no channel accepts.
REFUSED = {
    "1e2": "scientific notation",
    "1E2": "scientific notation",
    "4.729375062E7": "scientific notation",
    "1_000": "digit separator _",
    "+5": "+ sign",
    "\u0661\u0662\u0663": "digits other than 0-9",  # Arabic-Indic 123
    "\u0967\u0968": "digits other than 0-9",  # Devanagari 12
    "\uff11\uff12": "digits other than 0-9",  # fullwidth 12
    "Infinity": "not an amount",
    "NaN": "not an amount",
    "0x10": "not an amount",
}


@pytest.mark.parametrize(("text", "reason"), REFUSED.items())
def test_forms_decimal_reads_are_refused_saying_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidAmount, match=re.escape(reason)):
        parse_plain_amount(text, signed=True)


@pytest.mark.parametrize(("text", "reason"), REFUSED.items())
def test_the_csv_reader_refuses_them_with_the_same_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidValue, match=re.escape(reason.replace("not an amount", "is not"))):
        parse_amount(text, signed=True)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1234.56", Decimal("1234.56")),
        ("1234.5", Decimal("1234.50")),
        ("100", Decimal("100.00")),
        ("0.01", Decimal("0.01")),
        (" 42.00 ", Decimal("42.00")),  # trimmed, as a CSV cell is
        ("-5.25", Decimal("-5.25")),
    ],
)
def test_plain_decimals_are_read_to_the_cent(text: str, amount: Decimal) -> None:
    assert parse_plain_amount(text, signed=True) == amount


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.234", "more than two decimals"),
        ("12.500", "more than two decimals"),
        ("1234,56", "not an amount"),  # a decimal comma: CSV cells only
        ("1,234.56", "not an amount"),  # grouping: CSV cells only
        ("-5", "negative"),
        ("", "empty"),
        ("5.", "not an amount"),
        (".5", "not an amount"),
    ],
)
def test_other_forms_are_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidAmount, match=reason):
        parse_plain_amount(text)


def test_the_declared_pattern_agrees_with_the_parser() -> None:
    pattern = re.compile(SIGNED_AMOUNT_PATTERN)
    for text in ["1234.56", "100", "-5.25", "0.01"]:
        assert pattern.fullmatch(text)
        parse_plain_amount(text, signed=True)
    for text in [*REFUSED, "1.234", "1234,56", "5.", ".5"]:
        assert not pattern.fullmatch(text)


ITEM = TypeAdapter(AuthorityEventIn)
BASE: dict[str, Any] = {
    "external_id": "A-1",
    "kind": "commitment",
    "beneficiary_id": str(uuid.uuid4()),
    "source": "esif",
    "fund": "ERDF",
    "date": "2024-03-01",
    "region_nuts": "ITC4C",
}


def amount_error(value: Any, *, csv: bool = False, field: str = "amount") -> str:
    extra = {"amount": "10.00"} if field != "amount" else {}
    with pytest.raises(ValidationError) as caught:
        ITEM.validate_python(
            {**BASE, **extra, field: value, "is_de_minimis": True},
            context={SPREADSHEET_CELLS: csv},
        )
    [error] = caught.value.errors()
    assert error["loc"] == (field,)
    return str(error["msg"])


@pytest.mark.parametrize("value", [100, 1e2, 100.5, 12345678901234567890])
def test_a_json_number_is_refused_for_an_amount(value: Any) -> None:
    assert "not a JSON number" in amount_error(value)
    assert "not a JSON number" in amount_error(value, field="aid_equivalent")


def test_a_boolean_is_refused_as_what_it_is() -> None:
    assert "not a boolean (true)" in amount_error(True)


@pytest.mark.parametrize(("text", "reason"), REFUSED.items())
@pytest.mark.parametrize("csv", [False, True])
def test_items_refuse_the_same_forms_from_json_and_csv(text: str, reason: str, csv: bool) -> None:
    assert reason.replace("not an amount", "not") in amount_error(text, csv=csv)
    assert reason.replace("not an amount", "not") in amount_error(
        text, csv=csv, field="aid_equivalent"
    )


def test_the_item_schema_declares_amounts_as_patterned_strings() -> None:
    properties = AuthorityEventIn.model_json_schema()["properties"]
    assert properties["amount"]["type"] == "string"
    assert properties["amount"]["pattern"] == SIGNED_AMOUNT_PATTERN
    [declared, null] = properties["aid_equivalent"]["anyOf"]
    assert (declared["type"], declared["pattern"]) == ("string", SIGNED_AMOUNT_PATTERN)
    assert null == {"type": "null"}


@pytest.mark.parametrize("csv", [False, True])
def test_an_amount_the_ledger_cannot_hold_is_refused(csv: bool) -> None:
    """NUMERIC(14,2): twelve digits of euro, on every channel."""
    assert "too large" in amount_error("1234567890123.00", csv=csv)
    item = ITEM.validate_python(
        {**BASE, "amount": "999999999999.99"}, context={SPREADSHEET_CELLS: csv}
    )
    assert item.amount == Decimal("999999999999.99")
