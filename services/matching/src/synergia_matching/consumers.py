"""The event consumers this service runs: its projections of the registry."""

from synergia_shared.messaging.inbox import InboxConsumer

from synergia_matching.network.consumers import cluster_projection, value_chain_projection
from synergia_matching.profiles.consumers import actor_projection


def projection_consumers() -> list[InboxConsumer]:
    """Everything this service knows of others; rebuildable from the topics."""
    return [actor_projection(), cluster_projection(), value_chain_projection()]


def all_consumers() -> list[InboxConsumer]:
    return projection_consumers()
