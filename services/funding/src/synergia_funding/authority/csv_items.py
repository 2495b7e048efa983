"""Authority items from a CSV upload: a header naming the item fields, one item a row.

The file may come from any European spreadsheet: the delimiter is detected from the
header as for the ESIF import (:mod:`synergia_funding.csv_dialect`), and the amount and
date cells are read by its rules when each row is validated (decimal comma, thousands
separators, day-first dates with dots; :data:`~.schemas.SPREADSHEET_CELLS`).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from synergia_shared.http.problems import invalid_field

from synergia_funding.authority.intake import UnreadableItem
from synergia_funding.authority.schemas import MAX_BATCH_ITEMS, AuthorityEventIn
from synergia_funding.csv_dialect import detect_delimiter

FIRST_ROW = 2  # the header is row 1
FIELDS = frozenset(AuthorityEventIn.model_fields)


def _too_wide(columns: int, cells: int, delimiter: str) -> str:
    reason = f"{cells} cells where the header has {columns} columns"
    if delimiter == ",":  # the likely cause: a spreadsheet's decimal comma, unquoted
        reason += '; a decimal comma in a ","-delimited file is quoted ("1234,56") or the '
        reason += 'file is delimited by ";"'
    return reason


def parse(body: bytes) -> list[dict[str, Any] | UnreadableItem]:
    """The rows as item dicts (empty cells left out), or why a row cannot be read; 422
    for what is not such a CSV."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid_field(["body"], f"not UTF-8 text: {exc}") from None
    first_line = text.split("\n", 1)[0].rstrip("\r")
    delimiter = detect_delimiter(first_line, lambda name: name.strip() in FIELDS)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = reader.fieldnames
    if not header:
        raise invalid_field(["body"], "empty: expected a header row naming the item fields")
    names = [h.strip() for h in header]
    unknown = [n for n in names if n not in FIELDS]
    if unknown:
        raise invalid_field(
            ["body", "header"],
            f"unknown column(s) {', '.join(unknown)}; the columns are the item fields: "
            + ", ".join(sorted(FIELDS)),
        )
    rows: list[dict[str, Any] | UnreadableItem] = []
    for raw in reader:
        if len(rows) == MAX_BATCH_ITEMS:
            raise invalid_field(["body"], f"at most {MAX_BATCH_ITEMS} rows per upload")
        extra = raw.get(None)
        if extra and any(cell.strip() for cell in extra):  # empty trailing cells are harmless
            rows.append(UnreadableItem(_too_wide(len(header), len(header) + len(extra), delimiter)))
            continue
        rows.append(
            {
                name.strip(): value.strip()
                for name, value in raw.items()
                if name is not None and value is not None and value.strip() != ""
            }
        )
    if not rows:
        raise invalid_field(["body"], "no rows after the header")
    return rows
