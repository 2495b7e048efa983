from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field
from synergia_shared.projections import actor_views
from synergia_shared.projections.actor_views import (
    Ecosystems,
    NaceCodes,
    ProjectedActor,
    SharedContactView,
    SmeCategory,
)


class ProfileContact(SharedContactView):
    """A contact person whose consent covers being shown to partners."""


class ProfileOfferNeed(BaseModel):
    """An offer or a need, as in the Enterprise Europe Network profiles."""

    id: uuid.UUID
    type: str = Field(
        description="technology_offer, technology_request, business_offer, business_request "
        "or rd_request"
    )
    title: str
    description: str
    competences: list[str]
    keywords: list[str]
    valid_until: date | None = Field(description="Last day (UTC) it holds")
    expired: bool = Field(
        default=False,
        description="valid_until is before today (UTC): shown for the record, no longer "
        "counted in partner search, suggestions or team proposals",
    )


class Profile(ProjectedActor):
    """Partner profile of an actor as this service knows it from the registry's events."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                actor_views.example(
                    between={
                        "competences": ["photonics"],
                        "keywords": ["laser optics", "LiDAR"],
                        "offers": [
                            {
                                "id": "8d1f4b8e-2f0c-4a52-9e0d-6a43c21f6b7e",
                                "type": "technology_offer",
                                "title": "Custom laser optics for LiDAR",
                                "description": "",
                                "competences": ["photonics"],
                                "keywords": ["LiDAR"],
                                "valid_until": None,
                                "expired": False,
                            }
                        ],
                        "needs": [],
                    },
                    after={},
                )
            ]
        }
    )

    nuts_code: str | None
    nace_codes: NaceCodes
    ecosystems: Ecosystems
    competences: list[str]
    keywords: list[str]
    offers: list[ProfileOfferNeed]
    needs: list[ProfileOfferNeed]
    sme_category: SmeCategory
    active: bool = Field(description="False once deactivated: kept for history, not matched")
    shared_contacts: list[ProfileContact] = Field(
        description=actor_views.SHARED_CONTACTS_DESCRIPTION
    )
