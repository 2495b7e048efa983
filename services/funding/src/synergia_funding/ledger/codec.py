"""Entries to and from their stored forms: a ``ledger_entries`` row, and JSON (parked)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import fields
from datetime import date
from decimal import Decimal
from typing import Any

from synergia_funding.ledger.entries import (
    Entry,
    EntryKind,
    EsifFund,
    FinanceType,
    PrivateTiming,
    Source,
)

ENTRY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Entry))
_UUIDS = ("entry_id", "beneficiary_id", "project_id", "commitment_ref", "reverses", "adjusts")
_DECIMALS = ("amount", "aid_equivalent")
_ENUMS: dict[str, Any] = {
    "kind": EntryKind,
    "source": Source,
    "fund": EsifFund,
    "finance_type": FinanceType,
    "private_timing": PrivateTiming,
}

# An entry's id is derived from the external reference that names it, so a system can
# refer to an entry it sent (a payment's commitment, a correction's target) by its own id,
# also before that entry has arrived.
ENTRY_NAMESPACE = uuid.UUID("6f0d0e36-7f0a-4c35-9a52-2b8c3d6c1f00")


@functools.lru_cache(maxsize=65_536)  # a batch names most ids twice (item, reference)
def entry_id_for(external_system: str, external_id: str) -> uuid.UUID:
    return uuid.uuid5(ENTRY_NAMESPACE, f"{external_system}\x00{external_id}")


def to_row(entry: Entry) -> dict[str, Any]:
    """Column values of an entry (enums as their values)."""
    return dict(zip(ENTRY_FIELDS, to_record(entry), strict=True))


def to_record(entry: Entry) -> tuple[Any, ...]:
    """Column values of an entry in :data:`ENTRY_FIELDS` order (a COPY's record)."""
    values = [getattr(entry, name) for name in ENTRY_FIELDS]
    for i in _ENUM_POSITIONS:
        if values[i] is not None:
            values[i] = values[i].value
    return tuple(values)


_ENUM_POSITIONS = [i for i, name in enumerate(ENTRY_FIELDS) if name in _ENUMS]


def from_row(row: Mapping[Any, Any]) -> Entry:
    """An entry from a row (or any mapping holding at least the entry's columns)."""
    values: dict[str, Any] = {}
    for name in ENTRY_FIELDS:
        value = row[name]
        if value is not None:
            if name in _ENUMS:
                value = _ENUMS[name](value)
            elif name in _UUIDS and not isinstance(value, uuid.UUID):
                value = uuid.UUID(str(value))
            elif name in _DECIMALS and not isinstance(value, Decimal):
                value = Decimal(str(value))
            elif name == "entry_date" and not isinstance(value, date):
                value = date.fromisoformat(value)
        values[name] = value
    return Entry(**values)


def to_json(entry: Entry) -> dict[str, Any]:
    """JSON-ready form (ids and amounts as strings, dates ISO) that :func:`from_row` reads."""
    out: dict[str, Any] = {}
    for name, value in to_row(entry).items():
        if isinstance(value, uuid.UUID | Decimal):
            value = str(value)
        elif isinstance(value, date):
            value = value.isoformat()
        out[name] = value
    return out


# The fields of a ``*.recorded`` event (LedgerEntryV1) in its order, but for ``flags``:
# an entry's fields without its kind (the event's type says it).
_EVENT_FIELDS = (
    "entry_id",
    "beneficiary_id",
    "project_id",
    "source",
    "fund",
    "instrument_id",
    "amount",
    "finance_type",
    "entry_date",
    "member_state",
    "region_nuts",
    "external_system",
    "external_id",
    "cost_item_ref",
    "commitment_ref",
    "is_de_minimis",
    "aid_equivalent",
    "private_timing",
    "reverses",
    "adjusts",
)


def event_data(entry: Entry, flags: list[dict[str, Any]]) -> dict[str, Any]:
    """The data of the entry's ``*.recorded`` event, in the form ``to_json`` writes as
    ``model_dump(mode="json")`` of the event's model does (ids, amounts and dates as
    themselves; the flags are already JSON: ``decide.flag_json``)."""
    data = {name: getattr(entry, name) for name in _EVENT_FIELDS}
    for name in _EVENT_ENUMS:
        if data[name] is not None:
            data[name] = data[name].value
    data["flags"] = flags
    return data


_EVENT_ENUMS = [name for name in _EVENT_FIELDS if name in _ENUMS]


def flagged_data(entry: Entry, flag: dict[str, Any]) -> dict[str, Any]:
    """The data of a ``rule-violation.flagged`` event of the entry, in the same form."""
    return {
        "entry_id": entry.entry_id,
        "beneficiary_id": entry.beneficiary_id,
        "project_id": entry.project_id,
        "flag": flag,
    }
