from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel
from synergia_shared.events.registry import ActorKind


class Profile(BaseModel):
    """Partner profiles as this service knows it from the registry's events."""

    actor_id: uuid.UUID
    legal_name: str
    short_name: str | None
    kind: ActorKind
    country: str
    registered_at: datetime
