"""Dates as ISO dates (``YYYY-MM-DD``), and only as such, in every request.

Pydantic's lax ``date`` also reads a number of seconds since 1970: ``?on=0`` was taken as
1970-01-01, ``"1700000000"`` as a day in 2023. A date a client means is written as a date.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

ISO_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
_ISO_DATE = re.compile(ISO_DATE_PATTERN, re.ASCII)


def _iso_only(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value  # pydantic checks it is a real day (no 2026-02-30)
    raise PydanticCustomError(
        "iso_date", "a date is written YYYY-MM-DD, as in 2026-06-30 (not a number, nor a time)"
    )


IsoDate = Annotated[
    dt.date,
    BeforeValidator(_iso_only),
    WithJsonSchema({"type": "string", "format": "date", "pattern": ISO_DATE_PATTERN}),
]
"""A day in a request: ``YYYY-MM-DD`` only."""
