"""Who sends authority items, and whose items a caller sees.

The sender is the exactly-once namespace of external ids, so it is the organisation,
not the person or the machine: a regional authority is ``authority:<NUTS region>``
whichever of its officials signs in (a token with role ``authority`` and ``region``) and
whichever of its systems uses one of its API keys (bound to the region), over HTTP and
on Kafka alike. The same external id sent by an official and by the authority's API key
is then one item. A value chain's managers send as ``value-chain:<id>``; an
administrator writes as itself (its token's subject, or ``api-key:<name>`` for an
administrator's key, which has no region).

Whose items a caller sees, in the listing of parked items and item by item: a sender
its own, a value chain's managers the chain's, an administrator anyone's.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.http.auth import Principal, Role
from synergia_shared.http.problems import ProblemException, invalid_field

from synergia_funding.value_chains.service import chain_of_sender, chain_sender, manages_chain


def api_key_sender(name: str) -> str:
    """The sender of an administrator's API key (no region: it writes as itself)."""
    return f"api-key:{name}"


def visible_sender(
    own: str | None, *, admin: bool, requested: str | None, manages_requested: bool = False
) -> str | None:
    """Whose items a caller sees (``None``: everyone's).

    - An administrator: anyone's, or the ``requested`` sender's.
    - An authority or API key: its ``own`` sender's only.
    - A value chain's manager (``manages_requested``: the ``requested`` sender is a chain
      the caller manages): that chain's. ``sender`` is required of a caller without an
      own sender, as a parameter: a manager may lead several chains, and a listing or a
      lookup is of one sender."""
    if admin:
        return requested
    if requested is None:
        if own is None:
            raise invalid_field(
                ["query", "sender"],
                "required of a value chain's manager: the chain whose items to see, "
                "as value-chain:<id>",
            )
        return own
    if requested == own or manages_requested:
        return requested
    raise ProblemException(
        403,
        "forbidden",
        "Forbidden",
        f"{own} may see its own items only, not those of {requested}"
        if own is not None
        else "a cluster manager sees the items of the value chains it manages only "
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


async def item_sender(
    session: AsyncSession, principal: Principal, *, own: str | None, requested: str | None
) -> str:
    """The sender whose item one lookup reads: as :func:`visible_to`, except that an
    administrator naming no sender reads an item it sent itself."""
    visible = await visible_to(session, principal, own=own, requested=requested)
    sender = visible or own
    assert sender is not None  # visible_to answers None only to an administrator, who has one
    return sender
