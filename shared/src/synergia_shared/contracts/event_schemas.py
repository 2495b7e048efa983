"""The JSON Schema of every event in the catalogue, and of the CloudEvents envelope.

Each payload schema's ``$id`` is the event's ``dataschema`` URL, so the file committed
under ``events/schemas/<event type>.json`` is what an event's envelope points at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synergia_shared import events
from synergia_shared.events.catalogue import CATALOGUE, SCHEMA_BASE, EventSpec
from synergia_shared.events.envelope import CloudEvent

Schema = dict[str, Any]

SCHEMA_DIR = Path(events.__file__).parent / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
ENVELOPE_FILE = "cloudevent.json"


def payload_schema(spec: EventSpec) -> Schema:
    return {"$schema": DIALECT, "$id": spec.dataschema, **spec.model.model_json_schema()}


def envelope_schema() -> Schema:
    return {
        "$schema": DIALECT,
        "$id": f"{SCHEMA_BASE}/{ENVELOPE_FILE}",
        **CloudEvent.model_json_schema(),
    }


def event_schemas() -> dict[str, Schema]:
    """File name under :data:`SCHEMA_DIR` → schema: the envelope, then one per event type."""
    schemas = {ENVELOPE_FILE: envelope_schema()}
    schemas.update({f"{spec.type}.json": payload_schema(spec) for spec in CATALOGUE.values()})
    return schemas
