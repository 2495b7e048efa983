"""Events the registry publishes."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ActorKind(StrEnum):
    SME = "sme"
    LARGE_ENTERPRISE = "large_enterprise"
    CLUSTER_ORGANISATION = "cluster_organisation"
    SME_INTERMEDIARY = "sme_intermediary"
    RESEARCH_ORGANISATION = "research_organisation"
    UNIVERSITY = "university"
    INVESTOR = "investor"
    PUBLIC_AUTHORITY = "public_authority"
    OTHER = "other"


class EventData(BaseModel):
    """Base of every event payload: consumers ignore fields they do not know yet."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class ActorRegisteredV1(EventData):
    """A new innovation actor was registered."""

    actor_id: uuid.UUID
    legal_name: str = Field(min_length=1)
    short_name: str | None = None
    kind: ActorKind
    country: str = Field(
        pattern=r"^[A-Z]{2}$",
        description="Country code as the EU writes it (EL for Greece, UK for the United Kingdom).",
    )
    registered_at: datetime
