"""Stripping contact persons from stored events written before contacts left the log.

Actor events once carried the contacts whose consent covers sharing
(``data.shared_contacts``). Events are no longer written with them, but rows stored
before (the registry's sent outbox, parked events in ``dead_letters``) still hold them:
a migration of each service empties the list (keeping its length as
``shared_contacts_count``) and blanks out the names and e-mails wherever an error text
quoted them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

REDACTED = "[erased]"
# Events are stored as compact JSON (no spaces): only these rows have contacts to strip.
_NON_EMPTY = '"shared_contacts":[{'


def strip_contacts(payload: bytes) -> tuple[bytes, list[str]] | None:
    """The event without its contacts and the names and e-mails it had, or ``None`` if
    there is nothing to strip (no contacts, or not a JSON event at all)."""
    try:
        envelope: Any = json.loads(payload)
    except ValueError:
        return None
    data = envelope.get("data") if isinstance(envelope, dict) else None
    contacts = data.get("shared_contacts") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(contacts, list) or not contacts:
        return None
    found = [
        str(value)
        for contact in contacts
        if isinstance(contact, dict)
        for key in ("name", "email")
        if (value := contact.get(key))
    ]
    data["shared_contacts"] = []
    data["shared_contacts_count"] = max(int(data.get("shared_contacts_count") or 0), len(contacts))
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode(), found


def redact(text: str | None, found: Sequence[str]) -> str | None:
    if text is None:
        return None
    for value in sorted(found, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return text


def strip_stored_events(table: str, key: str, text_columns: Sequence[str] = ()) -> int:
    """Inside an Alembic migration: strip the contacts from every event stored in
    ``table``'s ``payload`` (rows named by ``key``), redacting ``text_columns``; how many
    rows changed."""
    import sqlalchemy as sa
    from alembic import op

    bind = op.get_bind()
    ids = [
        row[0]
        for row in bind.execute(
            sa.text(
                f"SELECT {key} FROM {table} "  # noqa: S608 - names from the migration
                "WHERE position(convert_to(:marker, 'UTF8') IN payload) > 0"
            ),
            {"marker": _NON_EMPTY},
        )
    ]
    columns = ", ".join(["payload", *text_columns])
    changed = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = bind.execute(
            sa.text(f"SELECT {key} AS k, {columns} FROM {table} WHERE {key} = ANY(:ids)"),  # noqa: S608
            {"ids": chunk},
        ).mappings()
        for row in list(rows):
            stripped = strip_contacts(bytes(row["payload"]))
            if stripped is None:
                continue
            payload, found = stripped
            values: dict[str, Any] = {"payload": payload, "k": row["k"]}
            values |= {c: redact(row[c], found) for c in text_columns}
            assignments = ", ".join(f"{c} = :{c}" for c in ["payload", *text_columns])
            bind.execute(
                sa.text(f"UPDATE {table} SET {assignments} WHERE {key} = :k"),  # noqa: S608
                values,
            )
            changed += 1
    return changed
