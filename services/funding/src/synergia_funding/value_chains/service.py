"""Who records a value chain's money, and as which sender."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.http.auth import Principal
from synergia_shared.http.problems import ProblemException, not_found
from synergia_shared.value_chain_managers import manages_value_chain, may_act_for_value_chain

from synergia_funding.authority import intake
from synergia_funding.ledger.entries import Source
from synergia_funding.value_chains import repository

# What a chain's own managers record: the action's grant, what it passes on, EFSI and
# private money. ESIF, national and regional programme money is the authorities' to push
# (from their systems, within their regions), so a chain cannot move a region's figures.
CHAIN_SOURCES = frozenset({Source.H2020, Source.FSTP, Source.EFSI, Source.PRIVATE})


_SENDER_PREFIX = "value-chain:"


def chain_sender(value_chain_id: uuid.UUID) -> str:
    """One sender per chain, whichever of its managers signs in: their external ids are
    one namespace, so two managers cannot record the same item twice."""
    return f"{_SENDER_PREFIX}{value_chain_id}"


def chain_of_sender(sender: str) -> uuid.UUID | None:
    """The value chain a sender is (:func:`chain_sender`), ``None`` for any other sender."""
    if not sender.startswith(_SENDER_PREFIX):
        return None
    try:
        return uuid.UUID(sender.removeprefix(_SENDER_PREFIX))
    except ValueError:
        return None


def manages(principal: Principal, lead_actor_ids: Iterable[uuid.UUID]) -> bool:
    """A chain's manager: a cluster manager whose token's ``actor_id`` is one of the
    chain's lead clusters (as the registry announced them)."""
    return manages_value_chain(principal, lead_actor_ids)


async def manages_chain(
    session: AsyncSession, value_chain_id: uuid.UUID, principal: Principal
) -> bool:
    """Whether ``principal`` manages the chain; ``False`` for a chain not known here,
    whose managers funding cannot tell yet."""
    chain = await repository.get(session, value_chain_id)
    return chain is not None and manages(principal, chain.lead_actor_ids)


async def writer(
    session: AsyncSession, value_chain_id: uuid.UUID, principal: Principal
) -> intake.Authority:
    """A lead cluster's manager (or an administrator) writes for the chain, nobody else."""
    chain = await repository.get(session, value_chain_id)
    if chain is None:
        raise not_found(
            f"value chain {value_chain_id} is not known here: unknown, or the registry's "
            "event has not arrived yet",
        )
    if not may_act_for_value_chain(principal, chain.lead_actor_ids):
        raise ProblemException(
            403,
            "forbidden",
            "Forbidden",
            f"only the managers of the lead clusters of value chain {value_chain_id} "
            "record its money; your token's actor_id is not one of them",
        )
    return intake.Authority(
        system=chain_sender(value_chain_id),
        region=None,
        project=value_chain_id,
        sources=CHAIN_SOURCES,
    )
