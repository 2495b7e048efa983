"""Which entry dates can be meant: checked when an item arrives, before the ledger."""

from __future__ import annotations

from datetime import date

from .context import add_years

# Nothing this system tracks predates 2014: Horizon 2020, the ESIF 2014-2020 programmes and
# EFSI (2015) all start then. A date outside [EARLIEST_ENTRY_DATE, today + a year] is a
# typo (2204 for 2024), and recorded it would sit outside every de minimis window.
EARLIEST_ENTRY_DATE = date(2014, 1, 1)
LATEST_ENTRY_YEARS_AHEAD = 1


def latest_entry_date(today: date) -> date:
    return add_years(today, LATEST_ENTRY_YEARS_AHEAD)


def implausible_date(day: date, today: date) -> str | None:
    """Why an item's date cannot be meant, in words, or ``None`` when it is plausible:
    from :data:`EARLIEST_ENTRY_DATE` to one year after ``today`` (UTC), both included.
    Checked when an item arrives, before the ledger sees it."""
    if day < EARLIEST_ENTRY_DATE:
        return (
            f"{day.isoformat()} is before {EARLIEST_ENTRY_DATE.isoformat()}: nothing this "
            "system tracks (Horizon 2020, ESIF 2014-2020, EFSI) predates it"
        )
    latest = latest_entry_date(today)
    if day > latest:
        return (
            f"{day.isoformat()} is more than one year after today ({today.isoformat()}, UTC); "
            f"the latest date accepted is {latest.isoformat()}"
        )
    return None
