"""Beneficiaries from a CSV upload: a header naming the item fields, one item a row
(read by :func:`synergia_shared.http.item_batches.csv_items`: the delimiter is the one
of ``,``, ``;``, tab and ``|`` that splits the header into the most field names, and
empty cells are absent values)."""

from __future__ import annotations

from typing import Any

from synergia_shared.http.item_batches import CSV_FIRST_ROW, UnreadableItem, csv_items

from synergia_registry.beneficiaries.schemas import MAX_BATCH_ITEMS, BeneficiaryIn

FIRST_ROW = CSV_FIRST_ROW
FIELDS = frozenset(BeneficiaryIn.model_fields)
# The likely cause of a too wide row there: a name such as "Acme, Ltd", unquoted.
_NAME_COMMA = (
    '; a cell holding a "," (a name such as "Acme, Ltd") is quoted or the file is delimited by ";"'
)


def parse(body: bytes) -> list[dict[str, Any] | UnreadableItem]:
    """The rows as item dicts, or why a row cannot be read; 422 for what is not such a
    CSV at all."""
    return csv_items(body, FIELDS, MAX_BATCH_ITEMS, comma_hint=_NAME_COMMA)
