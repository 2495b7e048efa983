"""The event catalogue: one pydantic model per event type and version."""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from synergia_shared.events import topics
from synergia_shared.events.registry import ActorRegisteredV1, EventData

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


CATALOGUE: dict[str, EventSpec] = {
    spec.type: spec
    for spec in (
        EventSpec(
            type="eu.synergia.registry.actor.registered.v1",
            model=ActorRegisteredV1,
            topic=topics.REGISTRY_ACTOR,
            source="/synergia/registry",
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
