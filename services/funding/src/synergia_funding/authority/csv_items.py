"""Authority items from a CSV upload: a header naming the item fields, one item a row."""

from __future__ import annotations

import csv
import io
from typing import Any

from synergia_shared.http.problems import invalid_field

from synergia_funding.authority.schemas import MAX_BATCH_ITEMS, AuthorityEventIn

FIRST_ROW = 2  # the header is row 1
FIELDS = frozenset(AuthorityEventIn.model_fields)


def parse(body: bytes) -> list[dict[str, Any]]:
    """The rows as item dicts (empty cells left out); 422 for what is not such a CSV."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise invalid_field(["body"], f"not UTF-8 text: {exc}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
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
    rows: list[dict[str, Any]] = []
    for raw in reader:
        if len(rows) == MAX_BATCH_ITEMS:
            raise invalid_field(["body"], f"at most {MAX_BATCH_ITEMS} rows per upload")
        extra = raw.get(None)
        if extra:
            rows.append({"_extra_cells": extra})  # refused as an unknown field, alone
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
