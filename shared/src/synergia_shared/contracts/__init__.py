"""The contracts the services publish, generated from the code and committed.

- ``shared/src/synergia_shared/events/schemas/<event type>.json``: each event's payload
  schema (its ``dataschema``), and ``cloudevent.json``, the envelope;
- ``docs/asyncapi.json``: the AsyncAPI 3.0 document of the bus;
- ``docs/openapi/<service>.json``: each service's OpenAPI document;
- ``docs/openapi/synergia.json``: the three merged, under the ingress's path prefixes
  (``contracts.merged``), for a frontend that generates one client.

``python -m synergia_shared.contracts write`` (or ``make contracts``) regenerates them;
the contract tests fail while a committed file differs from what the code generates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synergia_shared.contracts.asyncapi import build_asyncapi
from synergia_shared.contracts.event_schemas import SCHEMA_DIR, event_schemas
from synergia_shared.contracts.merged import merge_openapi
from synergia_shared.contracts.services import (
    SERVICES,
    consumers_of,
    create_app,
    openapi_document,
)
from synergia_shared.events.compat import breaking_changes

REGENERATE = "make contracts (python -m synergia_shared.contracts write)"

ROOT = Path(__file__).resolve().parents[4]  # shared/src/synergia_shared/contracts/
DOCS = ROOT / "docs"
ASYNCAPI_FILE = DOCS / "asyncapi.json"
OPENAPI_DIR = DOCS / "openapi"
MERGED_OPENAPI_FILE = OPENAPI_DIR / "synergia.json"

__all__ = [
    "ASYNCAPI_FILE",
    "MERGED_OPENAPI_FILE",
    "OPENAPI_DIR",
    "REGENERATE",
    "ROOT",
    "SCHEMA_DIR",
    "breaking_event_changes",
    "documents",
    "load",
    "render",
    "stale",
]


def documents() -> dict[Path, Any]:
    """Every contract file, as the code generates it now."""
    apps = {service: create_app(service) for service in SERVICES}
    docs: dict[Path, Any] = {SCHEMA_DIR / name: schema for name, schema in event_schemas().items()}
    docs[ASYNCAPI_FILE] = build_asyncapi({s: consumers_of(app) for s, app in apps.items()})
    openapi = {service: openapi_document(app) for service, app in apps.items()}
    for service, doc in openapi.items():
        docs[OPENAPI_DIR / f"{service}.json"] = doc
    docs[MERGED_OPENAPI_FILE] = merge_openapi(openapi)
    return docs


def render(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def stale(docs: dict[Path, Any]) -> list[Path]:
    """The files that are missing or differ from ``docs``."""
    return [path for path, doc in docs.items() if not path.exists() or load(path) != doc]


def breaking_event_changes() -> dict[str, list[str]]:
    """Schema file → breaking changes from the committed schema to the code's."""
    found: dict[str, list[str]] = {}
    for name, schema in event_schemas().items():
        path = SCHEMA_DIR / name
        if path.exists() and (changes := breaking_changes(load(path), schema)):
            found[name] = changes
    return found
