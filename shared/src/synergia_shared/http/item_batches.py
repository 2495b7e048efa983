"""Batches of items a client sends at once, as JSON (``{"items": [...]}``) or as a CSV
upload whose header names the item fields.

The registry's bulk registration and funding's authority events read them alike: what
is not such a batch at all is a 422 for the request, while each item is validated on its
own afterwards, so one bad item (a CSV row wider than its header included) is refused
alone and the others are kept.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from synergia_shared.http.input_limits import loads_bounded
from synergia_shared.http.problems import ProblemException, invalid_field, not_utf8_message

CSV_FIRST_ROW = 2  # the header is row 1: an item's index in a CSV upload is its row
CSV_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class UnreadableItem:
    """What a channel could not read into item fields (a CSV row with more cells than
    its header has columns), and why: refused alone, like any invalid item."""

    reason: str


def json_items(body: bytes, max_items: int) -> list[Any]:
    """The ``items`` of a JSON batch, each still to be validated; 422 for a body that is
    not an object with 1 to ``max_items`` items and nothing else."""
    try:
        document = loads_bounded(body)
    except ValueError as exc:  # not UTF-8, not JSON, an integer of 5,000 digits
        raise invalid_field(["body"], f"malformed JSON: {exc}") from None
    if not isinstance(document, dict):
        raise invalid_field(["body"], "expected an object with `items`")
    unknown = sorted(set(document) - {"items"})
    if unknown:
        raise invalid_field(["body", unknown[0]], "unknown field")
    items = document.get("items")
    if not isinstance(items, list):
        raise invalid_field(["body", "items"], "expected a list of items")
    if not 1 <= len(items) <= max_items:
        raise invalid_field(
            ["body", "items"], f"a batch has 1 to {max_items} items, not {len(items)}"
        )
    return items


def header_delimiter(header: str, fields: Collection[str]) -> str:
    """The one of :data:`CSV_DELIMITERS` that splits ``header`` into the most field
    names (a European spreadsheet writes ``;``); ties go to the earlier."""

    def names(delimiter: str) -> int:
        try:
            cells = next(csv.reader([header], delimiter=delimiter), [])
        except csv.Error:  # split so, a cell would be over csv's size limit: not this one
            return -1
        return sum(cell.strip() in fields for cell in cells)

    return max(CSV_DELIMITERS, key=names)


def csv_items(
    body: bytes,
    fields: Collection[str],
    max_rows: int,
    *,
    delimiter_of: Callable[[str], str] | None = None,
    comma_hint: str = "",
) -> list[dict[str, Any] | UnreadableItem]:
    """The rows of a UTF-8 CSV upload as item dicts (empty cells left out, as absent
    values), or why a row cannot be read; 422 for what is not such a CSV at all (not
    UTF-8, no header, a column that is no item field, more than ``max_rows`` rows).
    ``delimiter_of`` reads the delimiter off the header line (default
    :func:`header_delimiter`); ``comma_hint`` is added to the reason a row of a
    ``,``-delimited file is too wide (the likely cause there: an unquoted comma in a cell
    whose meaning the caller knows)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid_field(["body"], not_utf8_message(exc)) from None
    reader, delimiter = _header_read(text, fields, delimiter_of)
    rows = _rows(reader, max_rows, comma_hint if delimiter == "," else "")
    if not rows:
        raise invalid_field(["body"], "no rows after the header")
    return rows


def _header_read(
    text: str, fields: Collection[str], delimiter_of: Callable[[str], str] | None
) -> tuple[csv.DictReader[str], str]:
    """A reader of ``text`` past its header row, and the delimiter; 422 for a header
    that cannot be read, is missing, or names a column that is no item field."""
    first_line = text.split("\n", 1)[0].rstrip("\r")
    try:
        delimiter = (delimiter_of or (lambda line: header_delimiter(line, fields)))(first_line)
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = reader.fieldnames
    except csv.Error as exc:
        raise invalid_field(["body", "header"], f"the header row {_unreadable(exc)}") from None
    if not header:
        raise invalid_field(["body"], "empty: expected a header row naming the item fields")
    unknown = [name.strip() for name in header if name.strip() not in fields]
    if unknown:
        raise invalid_field(
            ["body", "header"],
            f"unknown column(s) {_some(unknown)}; the columns are the item "
            "fields: " + ", ".join(sorted(fields)),
        )
    return reader, delimiter


def _rows(
    reader: csv.DictReader[str], max_rows: int, too_wide_hint: str
) -> list[dict[str, Any] | UnreadableItem]:
    """Every row after the header, as an item or why it cannot be read; 422 past
    ``max_rows`` rows."""
    columns = len(reader.fieldnames or ())
    rows: list[dict[str, Any] | UnreadableItem] = []
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:  # a cell over csv's field size limit: this row alone
            if len(rows) == max_rows:
                raise _too_many_rows(max_rows) from None
            rows.append(UnreadableItem(f"the row {_unreadable(exc)}"))
            continue
        if len(rows) == max_rows:
            raise _too_many_rows(max_rows)
        rows.append(_row_item(raw, columns, too_wide_hint))


def _row_item(
    raw: dict[str | Any, str | Any], columns: int, too_wide_hint: str
) -> dict[str, Any] | UnreadableItem:
    """One row's item fields, stripped, empty cells left out; unreadable when the row
    has more non-empty cells than the header has columns (empty trailing cells are
    harmless)."""
    extra = raw.get(None)
    if extra and any(cell.strip() for cell in extra):
        reason = f"{columns + len(extra)} cells where the header has {columns} columns"
        return UnreadableItem(reason + too_wide_hint)
    return {
        name.strip(): value.strip()
        for name, value in raw.items()
        if name is not None and value is not None and value.strip() != ""
    }


def _too_many_rows(max_rows: int) -> ProblemException:
    return invalid_field(["body"], f"at most {max_rows} rows per upload")


def _some(names: list[str], shown: int = 5, width: int = 40) -> str:
    """A few of ``names`` for a message, each cut to ``width`` characters: a header of
    100,000 made-up columns is not echoed back whole."""
    cut = [name if len(name) <= width else name[:width] + "…" for name in names[:shown]]
    return ", ".join(cut) + (f" and {len(names) - shown} more" if len(names) > shown else "")


def csv_error_words(exc: csv.Error) -> str:
    """What csv's error means, in words (its own message names its internals)."""
    if "field limit" in str(exc):
        return f"a cell longer than {csv.field_size_limit():,} characters"
    return str(exc)


def _unreadable(exc: csv.Error) -> str:
    if "field limit" in str(exc):
        return f"has {csv_error_words(exc)}"
    return "is not valid CSV"
