from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from synergia_shared.events.registry import ActorKind


class ProfileContact(BaseModel):
    """A contact person whose consent covers being shown to partners."""

    name: str
    email: str
    role: str | None


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


class Profile(BaseModel):
    """Partner profile of an actor as this service knows it from the registry's events."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "actor_id": "3f0c9a52-6a43-4b7e-9d0e-2f4b8e1f6c21",
                    "legal_name": "Baltic Photonics UAB",
                    "short_name": "BalPho",
                    "kind": "sme",
                    "country": "LT",
                    "registered_at": "2026-11-24T09:30:00Z",
                    "nuts_code": "LT011",
                    "nace_codes": ["C26.70"],
                    "ecosystems": ["electronics"],
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
                    "sme_category": "small",
                    "active": True,
                    "shared_contacts": [
                        {"name": "Rūta Kazlauskienė", "email": "ruta@balpho.lt", "role": "CEO"}
                    ],
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
    nuts_code: str | None
    nace_codes: list[str] = Field(description="NACE codes, e.g. C28.11")
    ecosystems: list[str] = Field(description="Industrial ecosystems of the EU Industrial Strategy")
    competences: list[str]
    keywords: list[str]
    offers: list[ProfileOfferNeed]
    needs: list[ProfileOfferNeed]
    sme_category: str | None = Field(
        description="micro, small, medium or not_sme as computed by the registry"
    )
    active: bool = Field(description="False once deactivated: kept for history, not matched")
    shared_contacts: list[ProfileContact] = Field(
        description="Only contact persons whose consent covers being shown to partners; "
        "emptied when the actor's personal data is erased.",
    )
