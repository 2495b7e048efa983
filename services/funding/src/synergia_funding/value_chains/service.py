"""Who records a value chain's money, and as which sender."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.http.auth import Principal, Role
from synergia_shared.http.problems import ProblemException, not_found

from synergia_funding.authority import intake
from synergia_funding.ledger.model import Source
from synergia_funding.value_chains import repository

# What a chain's own managers record: the action's grant, what it passes on, EFSI and
# private money. ESIF, national and regional programme money is the authorities' to push
# (from their systems, within their regions), so a chain cannot move a region's figures.
CHAIN_SOURCES = frozenset({Source.H2020, Source.FSTP, Source.EFSI, Source.PRIVATE})


def chain_sender(value_chain_id: uuid.UUID) -> str:
    """One sender per chain, whichever of its managers signs in: their external ids are
    one namespace, so two managers cannot record the same item twice."""
    return f"value-chain:{value_chain_id}"


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
    if Role.ADMIN not in principal.roles:
        leads = {str(a) for a in chain.lead_actor_ids}
        if principal.actor_id not in leads:
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
