"""An authority item's own rules, before the ledger sees it: a plausible date, and CSV
rows read into item fields."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from synergia_funding.authority import csv_items
from synergia_funding.authority.intake import UnreadableItem
from synergia_funding.authority.schemas import AuthorityEventIn
from synergia_funding.ledger.rules import implausible_date, latest_entry_date
from synergia_shared.http.problems import ProblemException

TODAY = date(2025, 6, 15)


@pytest.mark.parametrize(
    "day",
    [date(2014, 1, 1), date(2020, 2, 29), TODAY, date(2026, 6, 15)],
)
def test_dates_from_2014_to_a_year_ahead_are_plausible(day: date) -> None:
    assert implausible_date(day, TODAY) is None


@pytest.mark.parametrize(
    ("day", "fragment"),
    [
        (date(2013, 12, 31), "2013-12-31 is before 2014-01-01"),
        (date(1024, 3, 1), "before 2014-01-01"),
        (date(2026, 6, 16), "2026-06-16 is more than one year after today (2025-06-15, UTC)"),
        (date(2204, 1, 1), "the latest date accepted is 2026-06-15"),
    ],
)
def test_dates_before_2014_or_beyond_a_year_are_typos(day: date, fragment: str) -> None:
    problem = implausible_date(day, TODAY)
    assert problem is not None
    assert fragment in problem


def test_a_year_after_a_leap_day_ends_on_the_first_of_march() -> None:
    leap = date(2028, 2, 29)
    assert latest_entry_date(leap) == date(2029, 3, 1)
    assert implausible_date(date(2029, 3, 1), leap) is None
    assert implausible_date(date(2029, 3, 2), leap) is not None


def item(**fields: Any) -> dict[str, Any]:
    return {
        "external_id": "ITH3-2024-000017",
        "kind": "commitment",
        "beneficiary_id": str(uuid.uuid4()),
        "source": "esif",
        "fund": "ERDF",
        "amount": "120000.00",
        "date": "2024-03-01",
        "region_nuts": "ITH35",
        **fields,
    }


@pytest.mark.parametrize(
    "day",
    ["2204-01-01", "2013-12-31", (datetime.now(UTC).date() + timedelta(days=400)).isoformat()],
)
def test_an_item_with_an_implausible_date_is_invalid_naming_the_field(day: str) -> None:
    with pytest.raises(ValidationError) as caught:
        AuthorityEventIn.model_validate(item(date=day))
    (error,) = caught.value.errors()
    assert error["loc"] == ("date",)
    assert error["type"] == "implausible_date"
    assert day in error["msg"]


def test_an_item_dated_today_or_within_a_year_is_valid() -> None:
    today = datetime.now(UTC).date()
    for day in (today, today + timedelta(days=300)):
        assert AuthorityEventIn.model_validate(item(date=day.isoformat())).date == day


def test_the_documented_date_field_says_which_dates_are_accepted() -> None:
    description = AuthorityEventIn.model_json_schema()["properties"]["date"]["description"]
    assert "2014-01-01" in description
    assert "one year after today (UTC)" in description


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_rows_are_read_whatever_the_delimiter(delimiter: str) -> None:
    header = delimiter.join(["external_id", "kind", "amount", "date"])
    row = delimiter.join(["X-1", "commitment", '"1.234,56"', "2024-03-01"])
    rows = csv_items.parse(f"{header}\r\n{row}\r\n".encode())
    assert rows == [
        {"external_id": "X-1", "kind": "commitment", "amount": "1.234,56", "date": "2024-03-01"}
    ]


def test_an_unknown_column_is_still_named_with_a_semicolon_header() -> None:
    with pytest.raises(ProblemException) as caught:
        csv_items.parse(b"external_id;kind;colour\nX;commitment;blue\n")
    assert caught.value.errors == [
        {
            "loc": ["body", "header"],
            "msg": "unknown column(s) colour; the columns are the item fields: "
            + ", ".join(sorted(csv_items.FIELDS)),
        }
    ]


def test_a_row_wider_than_its_header_says_why_and_empty_trailing_cells_are_harmless() -> None:
    body = (
        "external_id,kind,amount,date\n"
        "X-1,commitment,1234,56,2024-03-01\n"  # a decimal comma, unquoted
        "X-2,commitment,1234.56,2024-03-01,,\n"  # a spreadsheet's trailing empty cells
    )
    wide, trailing = csv_items.parse(body.encode())
    assert wide == UnreadableItem(
        '5 cells where the header has 4 columns; a decimal comma in a ","-delimited file is '
        'quoted ("1234,56") or the file is delimited by ";"'
    )
    assert trailing == {
        "external_id": "X-2",
        "kind": "commitment",
        "amount": "1234.56",
        "date": "2024-03-01",
    }
