"""When an offer or a need stops counting: the one rule every service applies.

An offer or need is valid through its ``valid_until`` day and expired from the next day
on. Days are UTC days, everywhere (the registry refusing a past date, its expiry sweep,
matching's rankings and profile views), so that no two services, nor a service and its
database session, disagree about what "today" is near midnight.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_today() -> date:
    """Today in UTC (not the host's local date)."""
    return datetime.now(UTC).date()


def is_expired(valid_until: date | None, today: date) -> bool:
    """Whether an offer or need valid through ``valid_until`` has expired on ``today``:
    one without a date never does; one valid until today still counts all day."""
    return valid_until is not None and valid_until < today
