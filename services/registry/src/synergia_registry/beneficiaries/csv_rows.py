"""Beneficiaries from a CSV upload: a header naming the item fields, one item a row.

The delimiter is the one of ``,``, ``;``, tab and ``|`` that splits the header into the
most field names (a European spreadsheet writes ``;``). Empty cells are absent values.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from synergia_shared.http.problems import invalid_field

from synergia_registry.beneficiaries.schemas import MAX_BATCH_ITEMS, BeneficiaryIn
from synergia_registry.beneficiaries.service import UnreadableItem

FIRST_ROW = 2  # the header is row 1
FIELDS = frozenset(BeneficiaryIn.model_fields)
_DELIMITERS = (",", ";", "\t", "|")


def _delimiter(header: str) -> str:
    def names(delimiter: str) -> int:
        return sum(cell.strip() in FIELDS for cell in header.split(delimiter))

    return max(_DELIMITERS, key=names)


def parse(body: bytes) -> list[dict[str, Any] | UnreadableItem]:
    """The rows as item dicts, or why a row cannot be read; 422 for what is not such a
    CSV at all."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid_field(["body"], f"not UTF-8 text: {exc}") from None
    delimiter = _delimiter(text.split("\n", 1)[0].rstrip("\r"))
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = reader.fieldnames
    if not header:
        raise invalid_field(["body"], "empty: expected a header row naming the item fields")
    names = [name.strip() for name in header]
    unknown = [name for name in names if name not in FIELDS]
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
        if extra and any(cell.strip() for cell in extra):
            cells = len(header) + len(extra)
            rows.append(UnreadableItem(f"{cells} cells where the header has {len(header)}"))
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
