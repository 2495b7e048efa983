"""How European spreadsheets write CSV, read the same way by every CSV upload (pure).

Both uploads of this service, the ESIF planned finances (:mod:`.reference.esif_csv`) and
the authority items (:mod:`.authority.csv_items`), come from spreadsheets across Europe,
so they accept one set of dialects, decided here:

- **Delimiter**: ``,``, ``;``, tab or ``|``, whichever splits the header into the most
  column names the reader knows; on a tie the earliest, ``,`` (:func:`detect_delimiter`).
  Spreadsheets set to a decimal comma write ``;``.
- **Amounts** in euro and cent, with a decimal point or a decimal comma (``1234.5``,
  ``1234,5``) and thousands separators when unambiguous: ``.``, ``,``, space, no-break
  space, narrow no-break space or ``'`` between groups of three digits, with the other
  mark as the decimal (``1,234,567.89``, ``1.234.567,89``, ``1 234 567,89``,
  ``1'234.50``). One separator before exactly three digits (``100.000``, ``1,234``) is
  a thousands separator in one country and a decimal in another: it is refused, never
  guessed (:func:`parse_amount`), as are more than two non-zero decimals. What no
  channel accepts (an exponent, ``+``, ``_``, digits of other scripts) is refused here
  too, with the same reason (:mod:`synergia_funding.amounts`).
- **Dates** (authority items only: the ESIF file has none) in ISO (``2024-03-01``) or
  day first with dots (``1.3.2024``, ``01.03.2024``): dots are day-first wherever a
  spreadsheet writes them. With ``/`` or ``-`` (``01/03/2024``) the day comes first in
  Europe and the month first in the US, so those are refused, never guessed, and so is
  a day the calendar does not have (``31.02.2024``) (:func:`parse_date`).
"""

from __future__ import annotations

import calendar
import csv
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from synergia_funding.amounts import refusal

DELIMITERS = (",", ";", "\t", "|")

_PLAIN = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_GROUPED = re.compile(
    r"[0-9]{1,3}(?P<sep>[.,' \u00a0\u202f])[0-9]{3}(?:(?P=sep)[0-9]{3})*"
    r"(?:(?P<dec>[.,])[0-9]+)?"
)
_AMBIGUOUS = re.compile(r"[0-9]{1,3}[.,][0-9]{3}")
_CENT = Decimal("0.01")
# Whole euros or euros and cents with a decimal point: what exports mostly write, read
# without the ambiguity and grouping checks (none of them can apply to it).
_SIMPLE = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")

_ISO_DATE = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})")
_DOTTED_DATE = re.compile(r"(?P<day>[0-9]{1,2})\.(?P<month>[0-9]{1,2})\.(?P<year>[0-9]{4})")
_SLASHED_DATE = re.compile(r"[0-9]{1,2}([/-])[0-9]{1,2}\1[0-9]{2,4}")
DATE_FORMS = "YYYY-MM-DD or DD.MM.YYYY (D.M.YYYY)"
# Not calendar.month_name: that follows the process's locale, and messages are English.
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class InvalidValue(ValueError):
    """A cell that is not the value its column holds; the message says why, in words
    that follow the cell's text (``'1,234' is ambiguous: …``)."""


def split_header(header: str, delimiter: str) -> list[str]:
    """The names of a header record split at ``delimiter`` (quotes as CSV has them)."""
    return next(csv.reader([header], delimiter=delimiter), [])


def detect_delimiter(header: str, known: Callable[[str], bool]) -> str:
    """The delimiter of a file whose first record is ``header``: the one of
    :data:`DELIMITERS` that splits it into the most names ``known`` accepts."""

    def score(delimiter: str) -> int:
        try:
            return sum(1 for name in split_header(header, delimiter) if known(name))
        except csv.Error:  # split so, a cell would be over csv's size limit: not this one
            return -1

    return max(DELIMITERS, key=score)  # ties: the earlier wins, "," before the rest


def parse_amount(text: str, *, signed: bool = False) -> Decimal:
    """An amount in euro and cent, written as a spreadsheet writes it; raises
    :class:`InvalidValue` saying why not. ``signed`` admits a leading ``-`` (a signed
    delta); otherwise a negative amount is refused."""
    value = text.strip()
    if _SIMPLE.fullmatch(value):
        return Decimal(value).quantize(_CENT)
    if not value:
        raise InvalidValue("is empty")
    negative = value.startswith("-")
    if negative and not signed:
        raise InvalidValue(f"{value!r} is negative")
    digits = value[1:].lstrip() if negative else value
    if _AMBIGUOUS.fullmatch(digits):
        raise InvalidValue(
            f"{value!r} is ambiguous: a decimal or a thousands separator before three digits"
        )
    if _PLAIN.fullmatch(digits):
        number = Decimal(digits.replace(",", "."))
    elif (grouped := _GROUPED.fullmatch(digits)) and grouped["sep"] != grouped["dec"]:
        whole = digits.replace(grouped["sep"], "")
        number = Decimal(whole.replace(",", ".") if grouped["dec"] else whole)
    else:
        # The forms no channel accepts (an exponent, +, _, other scripts' digits) are
        # refused with the reason the JSON channels give (:mod:`synergia_funding.amounts`).
        raise InvalidValue(
            refusal(value) or f"{value!r} is not an amount (digits with a decimal . or ,)"
        )
    if number != number.quantize(_CENT):
        raise InvalidValue(f"{value!r} has more than two decimals (euro and cent)")
    amount = number.quantize(_CENT)
    return -amount if negative and amount else amount


def _day(text: str, year: int, month: int, day: int) -> date:
    if not 1 <= month <= 12:
        raise InvalidValue(f"{text!r} is not a day: there is no month {month}")
    if year < 1 or day < 1:
        zero = "year" if year < 1 else "day"
        raise InvalidValue(f"{text!r} is not a day: there is no {zero} 0")
    days = calendar.monthrange(year, month)[1]
    if day > days:
        raise InvalidValue(f"{text!r} is not a day: {_MONTHS[month - 1]} {year} has {days} days")
    return date(year, month, day)


def parse_date(text: str) -> date:
    """A day, written in ISO or day first with dots as a spreadsheet writes it; raises
    :class:`InvalidValue` saying why not, naming the forms accepted."""
    value = text.strip()
    if not value:
        raise InvalidValue("is empty")
    if written := _ISO_DATE.fullmatch(value) or _DOTTED_DATE.fullmatch(value):
        return _day(value, int(written["year"]), int(written["month"]), int(written["day"]))
    if _SLASHED_DATE.fullmatch(value):
        raise InvalidValue(
            f"{value!r} is ambiguous: with / or - the day comes first in Europe and the "
            f"month first in the US; write the date as {DATE_FORMS}"
        )
    raise InvalidValue(f"{value!r} is not a date: write it as {DATE_FORMS}")
