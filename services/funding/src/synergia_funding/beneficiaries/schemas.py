from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from synergia_shared.events.registry import ActorKind


class BeneficiaryContact(BaseModel):
    """A contact person whose consent covers being shown to partners."""

    name: str
    email: str
    role: str | None


class Beneficiary(BaseModel):
    """A funding beneficiary as this service knows it from the registry's events."""

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
    nuts_code: str | None = Field(description="NUTS region, e.g. for ESIF")
    nace_codes: list[str] = Field(description="NACE codes, e.g. C28.11")
    ecosystems: list[str] = Field(description="Industrial ecosystems of the EU Industrial Strategy")
    sme_category: str | None = Field(
        description="micro, small, medium or not_sme as computed by the registry"
    )
    active: bool = Field(description="False once deactivated: kept for history, not funded anew")
    shared_contacts: list[BeneficiaryContact] = Field(
        description="Only contact persons whose consent covers being shown to partners; "
        "emptied when the actor's personal data is erased.",
    )
