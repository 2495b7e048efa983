"""Topic names: the producing domain and aggregate. Each has a ``.dlq`` sibling."""

from __future__ import annotations

REGISTRY_ACTOR = "registry.actor"
REGISTRY_CLUSTER = "registry.cluster"
REGISTRY_VALUE_CHAIN = "registry.value-chain"
MATCHING_PROPOSAL = "matching.proposal"
FUNDING_LEDGER = "funding.ledger"
FUNDING_AUTHORITY_INBOUND = "funding.authority-inbound"

ALL_TOPICS: tuple[str, ...] = (
    REGISTRY_ACTOR,
    REGISTRY_CLUSTER,
    REGISTRY_VALUE_CHAIN,
    MATCHING_PROPOSAL,
    FUNDING_LEDGER,
    FUNDING_AUTHORITY_INBOUND,
)


def dlq(topic: str) -> str:
    return f"{topic}.dlq"


def all_topics_with_dlqs() -> list[str]:
    return [t for topic in ALL_TOPICS for t in (topic, dlq(topic))]
