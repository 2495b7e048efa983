"""The event consumers this service runs."""

from synergia_shared.messaging.inbox import InboxConsumer

from synergia_funding.beneficiaries.consumers import actor_projection


def all_consumers() -> list[InboxConsumer]:
    return [actor_projection()]
