"""The event contract between services: CloudEvents envelope, catalogue and topics."""

from synergia_shared.events.catalogue import CATALOGUE, EventSpec, spec_for_type
from synergia_shared.events.envelope import CloudEvent

__all__ = ["CATALOGUE", "CloudEvent", "EventSpec", "spec_for_type"]
