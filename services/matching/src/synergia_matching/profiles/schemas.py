from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from synergia_shared.events.registry import ActorKind


class Profile(BaseModel):
    """Partner profiles as this service knows it from the registry's events."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "actor_id": "3f0c9a52-6a43-4b7e-9d0e-2f4b8e1f6c21",
                    "legal_name": "Baltic Photonics UAB",
                    "short_name": None,
                    "kind": "sme",
                    "country": "LT",
                    "registered_at": "2026-11-24T09:30:00Z",
                }
            ]
        }
    )

    actor_id: uuid.UUID
    legal_name: str
    short_name: str | None
    kind: ActorKind
    country: str
    registered_at: datetime
