"""Authority items from a CSV upload: a header naming the item fields, one item a row.

The file may come from any European spreadsheet: the delimiter is detected from the
header as for the ESIF import (:mod:`synergia_funding.csv_dialect`), and the amount and
date cells are read by its rules when each row is validated (decimal comma, thousands
separators, day-first dates with dots; :data:`~.schemas.SPREADSHEET_CELLS`).
"""

from __future__ import annotations

from typing import Any

from synergia_shared.http.item_batches import CSV_FIRST_ROW, UnreadableItem, csv_items

from synergia_funding.authority.schemas import MAX_BATCH_ITEMS, AuthorityEventIn
from synergia_funding.csv_dialect import detect_delimiter

FIRST_ROW = CSV_FIRST_ROW
FIELDS = frozenset(AuthorityEventIn.model_fields)
_DECIMAL_COMMA = (
    '; a decimal comma in a ","-delimited file is quoted ("1234,56") or the file is '
    'delimited by ";"'
)


def _delimiter(header: str) -> str:
    return detect_delimiter(header, lambda name: name.strip() in FIELDS)


def parse(body: bytes) -> list[dict[str, Any] | UnreadableItem]:
    """The rows as item dicts (empty cells left out), or why a row cannot be read; 422
    for what is not such a CSV."""
    return csv_items(
        body, FIELDS, MAX_BATCH_ITEMS, delimiter_of=_delimiter, comma_hint=_DECIMAL_COMMA
    )
