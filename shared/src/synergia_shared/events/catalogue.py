"""The event catalogue: one pydantic model per event type and version."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from synergia_shared.events import funding as fun
from synergia_shared.events import matching as mat
from synergia_shared.events import registry as reg
from synergia_shared.events import topics
from synergia_shared.events.base import EventData

SCHEMA_BASE = "https://schemas.synergia.eu/events"


@dataclass(frozen=True)
class EventSpec:
    type: str
    model: builtins.type[EventData]
    topic: str
    source: str

    @property
    def dataschema(self) -> str:
        return f"{SCHEMA_BASE}/{self.type}.json"


REGISTRY = "/synergia/registry"
MATCHING = "/synergia/matching"
FUNDING = "/synergia/funding"
# Authority systems are outside Synergia; their submissions name the authority in the data.
AUTHORITIES = "/authorities"


def _registry(name: str, model: builtins.type[EventData], topic: str) -> EventSpec:
    return EventSpec(type=f"eu.synergia.registry.{name}", model=model, topic=topic, source=REGISTRY)


def _matching(name: str, model: builtins.type[EventData], topic: str) -> EventSpec:
    return EventSpec(type=f"eu.synergia.matching.{name}", model=model, topic=topic, source=MATCHING)


def _funding(name: str, model: builtins.type[EventData], topic: str) -> EventSpec:
    return EventSpec(type=f"eu.synergia.funding.{name}", model=model, topic=topic, source=FUNDING)


CATALOGUE: dict[str, EventSpec] = {
    spec.type: spec
    for spec in (
        _registry("actor.registered.v1", reg.ActorRegisteredV1, topics.REGISTRY_ACTOR),
        _registry("actor.updated.v1", reg.ActorUpdatedV1, topics.REGISTRY_ACTOR),
        _registry("actor.deactivated.v1", reg.ActorDeactivatedV1, topics.REGISTRY_ACTOR),
        _registry(
            "actor.personal-data-erased.v1", reg.ActorPersonalDataErasedV1, topics.REGISTRY_ACTOR
        ),
        _registry(
            "cluster.profile-updated.v1", reg.ClusterProfileUpdatedV1, topics.REGISTRY_CLUSTER
        ),
        _registry("cluster.member-joined.v1", reg.ClusterMemberJoinedV1, topics.REGISTRY_CLUSTER),
        _registry("cluster.member-left.v1", reg.ClusterMemberLeftV1, topics.REGISTRY_CLUSTER),
        _registry("value-chain.updated.v1", reg.ValueChainUpdatedV1, topics.REGISTRY_VALUE_CHAIN),
        _registry(
            "value-chain.status-changed.v1",
            reg.ValueChainStatusChangedV1,
            topics.REGISTRY_VALUE_CHAIN,
        ),
        _matching("proposal.accepted.v1", mat.TeamProposalAcceptedV1, topics.MATCHING_PROPOSAL),
        _matching("proposal.declined.v1", mat.TeamProposalDeclinedV1, topics.MATCHING_PROPOSAL),
        _funding("commitment.recorded.v1", fun.CommitmentRecordedV1, topics.FUNDING_LEDGER),
        _funding("cost-item.recorded.v1", fun.CostItemRecordedV1, topics.FUNDING_LEDGER),
        _funding("disbursement.recorded.v1", fun.DisbursementRecordedV1, topics.FUNDING_LEDGER),
        _funding("rule-violation.flagged.v1", fun.RuleViolationFlaggedV1, topics.FUNDING_LEDGER),
        _funding("authority-item.rejected.v1", fun.AuthorityItemRejectedV1, topics.FUNDING_LEDGER),
        EventSpec(
            type="eu.synergia.funding.authority-events.submitted.v1",
            model=fun.AuthorityEventsSubmittedV1,
            topic=topics.FUNDING_AUTHORITY_INBOUND,
            source=AUTHORITIES,
        ),
    )
}

_BY_MODEL: dict[type[EventData], EventSpec] = {spec.model: spec for spec in CATALOGUE.values()}


class UnknownEventType(LookupError):
    pass


def spec_for_type(event_type: str) -> EventSpec:
    try:
        return CATALOGUE[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def spec_for_model(model: type[EventData]) -> EventSpec:
    return _BY_MODEL[model]
