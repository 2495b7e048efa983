"""Listing a sender's parked items, oldest first, with when each will expire (whose
items a caller may list: :mod:`synergia_funding.authority.senders`)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.http.pagination import encode_cursor, parse_cursor

from synergia_funding.authority.parked_schemas import ParkedItem, ParkedItemPage
from synergia_funding.ledger import repository
from synergia_funding.ledger.entries import EntryKind
from synergia_funding.ledger.expiry import expires_at, waiting_names


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("not a cursor this service wrote")
    return moment


async def list_parked(
    session: AsyncSession,
    *,
    sender: str | None,
    max_age: timedelta,
    limit: int,
    cursor: str | None,
) -> ParkedItemPage:
    """``sender``'s items still waiting (``None``: every sender's), a page at a time."""
    after = None
    if cursor is not None:
        parked_at, entry_id = parse_cursor(cursor, _aware, uuid.UUID)
        after = (parked_at, entry_id)
    rows = await repository.waiting_page(session, sender=sender, after=after, limit=limit + 1)
    page = rows[:limit]
    items = [
        ParkedItem(
            external_id=row.external_id,
            sender=row.external_system,
            entry_id=row.entry_id,
            kind=EntryKind(row.kind),
            waiting_for=waiting_names(row.waiting_for, row.refers_to),
            parked_at=row.parked_at,
            expires_at=expires_at(row.parked_at, max_age),
        )
        for row in page
    ]
    next_cursor = (
        encode_cursor([page[-1].parked_at.isoformat(), str(page[-1].entry_id)])
        if len(rows) > limit
        else None
    )
    return ParkedItemPage(items=items, next_cursor=next_cursor)
