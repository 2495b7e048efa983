"""The de minimis window as it is worded is the window the ceiling rule applies."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from synergia_funding.ledger.rules import CountingWindow, counting_window, counts_on
from synergia_funding.ledger.rules.context import CALENDAR_YEAR


def _inside(window: CountingWindow, granted: date) -> bool:
    if granted > window.on:
        return False
    if window.rolling_after is not None:
        return granted > window.rolling_after
    assert window.first_fiscal_year is not None
    assert window.last_fiscal_year is not None
    year = CALENDAR_YEAR.year_of(granted)
    return window.first_fiscal_year <= year <= window.last_fiscal_year


@pytest.mark.parametrize(
    "on", [date(2022, 6, 30), date(2023, 12, 31), date(2024, 1, 1), date(2025, 3, 1)]
)
def test_the_window_said_is_the_window_counted(on: date) -> None:
    window = counting_window(on)
    for days in range(-4 * 366, 3):
        granted = on + timedelta(days=days)
        assert _inside(window, granted) == counts_on(granted, on), granted


def test_the_two_regulations_have_their_own_window() -> None:
    assert counting_window(date(2024, 5, 10)) == CountingWindow(
        date(2024, 5, 10), rolling_after=date(2021, 5, 10)
    )
    assert counting_window(date(2023, 5, 10)) == CountingWindow(
        date(2023, 5, 10), first_fiscal_year=2021, last_fiscal_year=2023
    )
