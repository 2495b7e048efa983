"""Listing a sender's parked items, oldest first, with when each will expire, to the
sender itself, a value chain's managers or an administrator."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.http.auth import Principal, Role
from synergia_shared.http.pagination import encode_cursor, parse_cursor
from synergia_shared.http.problems import ProblemException, invalid_field

from synergia_funding.authority.parked_schemas import ParkedItem, ParkedItemPage
from synergia_funding.ledger import repository
from synergia_funding.ledger.expiry import expires_at, waiting_names
from synergia_funding.ledger.model import EntryKind
from synergia_funding.value_chains.service import chain_of_sender, chain_sender, manages_chain


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("not a cursor this service wrote")
    return moment


def visible_sender(
    own: str | None, *, admin: bool, requested: str | None, manages_requested: bool = False
) -> str | None:
    """Whose items a caller lists (``None``: everyone's).

    - An administrator: anyone's, or the ``requested`` sender's.
    - An authority or API key: its ``own`` sender's only.
    - A value chain's manager (``manages_requested``: the ``requested`` sender is a chain
      the caller manages): that chain's. ``sender`` is required of a caller without an
      own sender, as a parameter: a manager may lead several chains, and a listing is of
      one sender."""
    if admin:
        return requested
    if requested is None:
        if own is None:
            raise invalid_field(
                ["query", "sender"],
                "required of a value chain's manager: the chain whose parked items to list, "
                "as value-chain:<id>",
            )
        return own
    if requested == own or manages_requested:
        return requested
    raise ProblemException(
        403,
        "forbidden",
        "Forbidden",
        f"{own} may list its own parked items only, not those of {requested}"
        if own is not None
        else "a cluster manager lists the parked items of the value chains it manages only "
        "(value-chain:<id> of a chain one of whose lead clusters is the token's actor_id), "
        f"not those of {requested}",
    )


async def visible_to(
    session: AsyncSession, principal: Principal, *, own: str | None, requested: str | None
) -> str | None:
    """:func:`visible_sender` for ``principal``, having looked up whether the value chain
    ``requested`` names (if it names one) is one the caller manages."""
    admin = Role.ADMIN in principal.roles
    chain = None if requested is None else chain_of_sender(requested)
    if chain is not None:
        requested = chain_sender(chain)  # one spelling of the id, as the items are stored
    manages = chain is not None and not admin and await manages_chain(session, chain, principal)
    return visible_sender(own, admin=admin, requested=requested, manages_requested=manages)


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
