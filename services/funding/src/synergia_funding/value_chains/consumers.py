"""Keeps the value-chain projection from ``registry.value-chain``: the whole chain in
each ``updated`` event, applied when newer than what is stored."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.registry import ValueChainUpdatedV1
from synergia_shared.events.topics import REGISTRY_VALUE_CHAIN
from synergia_shared.messaging.inbox import InboxConsumer
from synergia_shared.projections.actor_lifecycle import event_sequence

from synergia_funding.value_chains import repository

VALUE_CHAIN_UPDATED = "eu.synergia.registry.value-chain.updated.v1"


async def on_value_chain(
    session: AsyncSession, event: CloudEvent, data: ValueChainUpdatedV1
) -> None:
    await repository.upsert_newer(
        session,
        {
            "value_chain_id": data.value_chain_id,
            "title": data.title,
            "status": data.status,
            "lead_actor_ids": list(data.lead_actor_ids),
            "participant_ids": list(dict.fromkeys(p.actor_id for p in data.participants)),
            "source_sequence": event_sequence(event.sequence, data.version),
            "changed_at": data.changed_at,
        },
    )


def value_chain_projection() -> InboxConsumer:
    return InboxConsumer(
        name="funding.value-chain-projection",
        topics=[REGISTRY_VALUE_CHAIN],
        handlers={VALUE_CHAIN_UPDATED: on_value_chain},
    )
