from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from synergia_shared.reference.ecosystems import Ecosystem

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

EXAMPLE_DOMAIN: dict[str, Any] = {
    "name": "Circular bio-based materials",
    "description": "Bio-based packaging and chemicals from agri-food residues.",
    "nace_codes": ["C20.16", "C22.22"],
    "ecosystems": ["agri_food", "energy_intensive"],
    "keywords": ["bioplastics", "packaging", "biorefinery"],
}


class PriorityDomain(BaseModel):
    """One priority domain of a regional smart-specialisation strategy."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_DOMAIN]})

    name: Text
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    nace_codes: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="NACE Rev. 2.1 codes (C28.11, 28.11 or a section letter such as C)",
    )
    ecosystems: list[Ecosystem] = Field(default_factory=list)
    keywords: list[Text] = Field(default_factory=list, max_length=50)


class S3PrioritiesIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"domains": [EXAMPLE_DOMAIN]}]}
    )

    domains: list[PriorityDomain] = Field(max_length=30)


class S3Priorities(BaseModel):
    """The S3 priority domains of one NUTS region. Version 0: none set yet."""

    nuts_code: str
    region_name: str
    domains: list[PriorityDomain]
    version: int
    updated_by: str | None
    updated_at: datetime | None
