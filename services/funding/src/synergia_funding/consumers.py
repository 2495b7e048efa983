"""The event consumers this service runs."""

from synergia_shared.messaging.inbox import InboxConsumer

from synergia_funding.authority.consumers import authority_inbound
from synergia_funding.beneficiaries.consumers import actor_projection
from synergia_funding.settings import FundingSettings
from synergia_funding.value_chains.consumers import value_chain_projection


def all_consumers(settings: FundingSettings) -> list[InboxConsumer]:
    return [actor_projection(), value_chain_projection(), authority_inbound(settings)]
