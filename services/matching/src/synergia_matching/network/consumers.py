"""Keeps the cluster and value-chain projections from the registry's events.

Cluster profiles and value chains are whole-state snapshots, applied only when newer
than the stored one (``source_sequence``), so a late or replayed event changes nothing.
Memberships are periods keyed by their start: a repeated join is a no-op, and a leave
closes the period it ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.registry import (
    ClusterProfileUpdatedV1,
    ValueChainUpdatedV1,
)
from synergia_shared.events.topics import REGISTRY_CLUSTER, REGISTRY_VALUE_CHAIN
from synergia_shared.messaging.inbox import InboxConsumer
from synergia_shared.projections import actor_lifecycle as lifecycle
from synergia_shared.projections import batches

from synergia_matching.network import repository

CLUSTER_PROFILE_UPDATED = "eu.synergia.registry.cluster.profile-updated.v1"
CLUSTER_MEMBER_JOINED = "eu.synergia.registry.cluster.member-joined.v1"
CLUSTER_MEMBER_LEFT = "eu.synergia.registry.cluster.member-left.v1"
VALUE_CHAIN_UPDATED = "eu.synergia.registry.value-chain.updated.v1"


def cluster_profile_row(event: CloudEvent, data: ClusterProfileUpdatedV1) -> dict[str, Any]:
    return {
        "cluster_id": data.cluster_id,
        "ecosystems": data.ecosystems,
        "s3_priorities": data.s3_priorities,
        "esca_label": data.esca_label,
        "source_sequence": lifecycle.event_sequence(event.sequence, data.version),
    }


def value_chain_row(event: CloudEvent, data: ValueChainUpdatedV1) -> dict[str, Any]:
    return {
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
    }


def _latest(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return batches.latest_per_aggregate(rows, lambda r: r[key], lambda r: r["source_sequence"])


async def apply_cluster_events(
    session: AsyncSession, events: Sequence[tuple[CloudEvent, Any]]
) -> None:
    """A batch's cluster events in a few statements: each cluster's newest profile,
    every join in one statement, then the leaves one by one (rare). Joins before
    leaves is their order on the topic: a leave closes a period that began by then."""
    profiles = [
        cluster_profile_row(event, data)
        for event, data in events
        if event.type == CLUSTER_PROFILE_UPDATED
    ]
    await repository.upsert_cluster_profiles(session, _latest(profiles, "cluster_id"))
    await repository.members_joined(
        session,
        [
            {
                "cluster_id": data.cluster_id,
                "member_actor_id": data.member_actor_id,
                "joined_on": data.joined_on,
                "committed": data.committed,
            }
            for event, data in events
            if event.type == CLUSTER_MEMBER_JOINED
        ],
    )
    for event, data in events:
        if event.type == CLUSTER_MEMBER_LEFT:
            await repository.member_left(
                session, data.cluster_id, data.member_actor_id, data.left_on
            )


async def apply_value_chain_events(
    session: AsyncSession, events: Sequence[tuple[CloudEvent, Any]]
) -> None:
    """A batch's value-chain snapshots: each chain's newest, in one statement."""
    rows = [value_chain_row(event, data) for event, data in events]
    await repository.upsert_value_chains(session, _latest(rows, "value_chain_id"))


def cluster_projection() -> InboxConsumer:
    return InboxConsumer.applying_batches(
        name="matching.cluster-projection",
        topics=[REGISTRY_CLUSTER],
        event_types=[CLUSTER_PROFILE_UPDATED, CLUSTER_MEMBER_JOINED, CLUSTER_MEMBER_LEFT],
        apply_events=apply_cluster_events,
    )


def value_chain_projection() -> InboxConsumer:
    return InboxConsumer.applying_batches(
        name="matching.value-chain-projection",
        topics=[REGISTRY_VALUE_CHAIN],
        event_types=[VALUE_CHAIN_UPDATED],
        apply_events=apply_value_chain_events,
    )
