from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from synergia_shared.events.registry import ActorKind
from synergia_shared.reference.countries import CountryStanding, UnknownCountry

from synergia_registry.actors.rules import normalise_country

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class ActorCreate(BaseModel):
    """What it takes to register an innovation actor."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "legal_name": "Fraunhofer-Gesellschaft e.V.",
                    "short_name": "Fraunhofer",
                    "kind": "research_organisation",
                    "country": "DE",
                },
                {
                    "legal_name": "Olympic Agri-Food Cluster",
                    "kind": "cluster_organisation",
                    "country": "GR",
                },
            ]
        },
    )

    legal_name: Name = Field(description="The registered legal name.")
    short_name: Name | None = Field(default=None, description="Acronym or short name.")
    kind: ActorKind
    country: str = Field(
        description="ISO 3166-1 alpha-2 or EU code; GR/EL and GB/UK are accepted and stored "
        "as EL and UK. Countries outside the EU and the H2020 Associated Countries are "
        "accepted and flagged as third countries.",
        examples=["DE", "EL"],
    )

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        try:
            return normalise_country(value).code
        except UnknownCountry as exc:
            raise ValueError(str(exc)) from None


class Actor(BaseModel):
    """An innovation actor as the registry holds it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "3f0c9a52-6a43-4b7e-9d0e-2f4b8e1f6c21",
                    "legal_name": "Olympic Agri-Food Cluster",
                    "short_name": "OAFC",
                    "kind": "cluster_organisation",
                    "country": "EL",
                    "country_name": "Greece",
                    "country_standing": "member_state",
                    "version": 1,
                    "created_at": "2026-11-24T09:30:00Z",
                    "updated_at": "2026-11-24T09:30:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    legal_name: str
    short_name: str | None
    kind: ActorKind
    country: str = Field(description="EU form: EL for Greece, UK for the United Kingdom.")
    country_name: str
    country_standing: CountryStanding = Field(
        description="third_country is allowed but flagged: it does not count toward the "
        "consortium's Member States or Associated Countries."
    )
    version: int
    created_at: datetime
    updated_at: datetime
