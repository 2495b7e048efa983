"""Keeps the cluster and value-chain projections from the registry's events.

Cluster profiles and value chains are whole-state snapshots, applied only when newer
than the stored one (``source_sequence``), so a late or replayed event changes nothing.
Memberships are periods keyed by their start: a repeated join is a no-op, and a leave
closes the period it ends.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.registry import (
    ClusterMemberJoinedV1,
    ClusterMemberLeftV1,
    ClusterProfileUpdatedV1,
    ValueChainUpdatedV1,
)
from synergia_shared.events.topics import REGISTRY_CLUSTER, REGISTRY_VALUE_CHAIN
from synergia_shared.messaging.inbox import InboxConsumer
from synergia_shared.projections import actor_lifecycle as lifecycle

from synergia_matching.network import repository

CLUSTER_PROFILE_UPDATED = "eu.synergia.registry.cluster.profile-updated.v1"
CLUSTER_MEMBER_JOINED = "eu.synergia.registry.cluster.member-joined.v1"
CLUSTER_MEMBER_LEFT = "eu.synergia.registry.cluster.member-left.v1"
VALUE_CHAIN_UPDATED = "eu.synergia.registry.value-chain.updated.v1"


async def on_cluster_profile(
    session: AsyncSession, event: CloudEvent, data: ClusterProfileUpdatedV1
) -> None:
    await repository.upsert_cluster_profile(
        session,
        {
            "cluster_id": data.cluster_id,
            "ecosystems": data.ecosystems,
            "s3_priorities": data.s3_priorities,
            "esca_label": data.esca_label,
            "source_sequence": lifecycle.event_sequence(event.sequence, data.version),
        },
    )


async def on_member_joined(
    session: AsyncSession, event: CloudEvent, data: ClusterMemberJoinedV1
) -> None:
    await repository.member_joined(
        session, data.cluster_id, data.member_actor_id, data.joined_on, data.committed
    )


async def on_member_left(
    session: AsyncSession, event: CloudEvent, data: ClusterMemberLeftV1
) -> None:
    await repository.member_left(session, data.cluster_id, data.member_actor_id, data.left_on)


async def on_value_chain(
    session: AsyncSession, event: CloudEvent, data: ValueChainUpdatedV1
) -> None:
    await repository.upsert_value_chain(
        session,
        {
            "value_chain_id": data.value_chain_id,
            "title": data.title,
            "status": data.status,
            "target_industry": data.target_industry,
            "ecosystems": data.ecosystems,
            "lead_actor_ids": data.lead_actor_ids,
            "stages": [s.model_dump(mode="json") for s in data.stages],
            "participants": [p.model_dump(mode="json") for p in data.participants],
            "source_sequence": lifecycle.event_sequence(event.sequence, data.version),
            "changed_at": data.changed_at,
        },
    )


def cluster_projection() -> InboxConsumer:
    return InboxConsumer(
        name="matching.cluster-projection",
        topics=[REGISTRY_CLUSTER],
        handlers={
            CLUSTER_PROFILE_UPDATED: on_cluster_profile,
            CLUSTER_MEMBER_JOINED: on_member_joined,
            CLUSTER_MEMBER_LEFT: on_member_left,
        },
    )


def value_chain_projection() -> InboxConsumer:
    return InboxConsumer(
        name="matching.value-chain-projection",
        topics=[REGISTRY_VALUE_CHAIN],
        handlers={VALUE_CHAIN_UPDATED: on_value_chain},
    )
