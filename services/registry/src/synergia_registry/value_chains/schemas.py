"""Request and response models of the value-chain API (never the tables)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from synergia_shared.reference.competences import Competence
from synergia_shared.reference.ecosystems import Ecosystem

from synergia_registry.value_chains.rules import (
    ParticipantRole,
    ValueChainCriterion,
    ValueChainStatus,
)

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Euros = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]

LEAD_ID = "5b8e2d4f-0c1a-4e7b-9f3d-6a2c1e8b7d40"
SME_ID = "9d1f6b2e-3a7c-4c85-b0e4-2f8a6d3c1b57"
RESEARCH_ID = "c4a2e8f1-7b3d-4a96-8e5c-1d9f0b6a2e38"
VALUE_CHAIN_ID = "0e7d3c9a-5f21-4b8e-a6d4-8c1f2b9e7a05"
STAGE_IDS = ("a1c5e9f3-2b6d-4e80-9a4c-7f3b1d5e9c26", "b7d3f1a5-9c2e-4b64-8d0a-3e5c7f9b1d48")

_BODY_EXAMPLE: dict[str, Any] = {
    "title": "Circular bio-based packaging",
    "strategic_vision": "Turn agri-food residues into compostable packaging for regional "
    "food producers.",
    "target_industry": "Bio-based packaging",
    "ecosystems": ["agri_food", "energy_intensive"],
    "lead_actor_ids": [LEAD_ID],
    "stages": [
        {
            "name": "Feedstock",
            "description": "Collect and pre-treat residues",
            "competences": ["industrial_biotechnology", "logistics"],
            "keywords": ["residues"],
        },
        {
            "name": "Materials",
            "description": "Bio-polymer compounding",
            "competences": ["advanced_materials"],
            "keywords": ["PLA", "PHA"],
        },
    ],
    "participants": [
        {"actor_id": LEAD_ID, "stage": None, "role": "coordinator", "planned_budget": "250000"},
        {"actor_id": SME_ID, "stage": 1, "role": "partner", "planned_budget": "900000.00"},
        {"actor_id": RESEARCH_ID, "stage": 0, "role": "associated", "planned_budget": None},
    ],
}


class StageInput(BaseModel):
    """A segment of the chain and the competences it needs."""

    model_config = ConfigDict(extra="forbid")

    name: Title = Field(description="Unique within the value chain (case-insensitive).")
    description: LongText = ""
    competences: list[Competence] = Field(default_factory=list, max_length=50)
    keywords: list[Keyword] = Field(default_factory=list, max_length=50)


class ParticipantInput(BaseModel):
    """An actor taking part, with its role, stage and planned budget."""

    model_config = ConfigDict(extra="forbid")

    actor_id: uuid.UUID = Field(description="An existing, active actor; one entry per actor.")
    stage: int | None = Field(
        default=None,
        ge=0,
        description="The stage this participant works on: its 0-based position in this "
        "request's `stages` list. Null for work across the whole chain.",
    )
    role: ParticipantRole = Field(
        description="coordinator (at most one), partner (a beneficiary), third_party (an "
        "SME receiving financial support to third parties, FSTP) or associated (takes part "
        "without EU budget: planned_budget must be empty or 0)."
    )
    planned_budget: Euros | None = Field(
        default=None,
        description="EUR, at most 2 decimals, as a string or a number. Null: not planned yet.",
        examples=["900000.00"],
    )


class ValueChainCreate(BaseModel):
    """A new value-chain initiative. It starts as `draft`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_BODY_EXAMPLE]})

    title: Title
    strategic_vision: LongText = ""
    target_industry: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    ecosystems: list[Ecosystem] = Field(
        default_factory=list,
        max_length=14,
        description="Target industrial ecosystems of the EU Industrial Strategy.",
    )
    lead_actor_ids: list[uuid.UUID] = Field(
        min_length=1,
        max_length=20,
        description="Lead cluster organisations or SME intermediaries (existing, active). "
        "A cluster manager must list its own organisation.",
    )
    stages: list[StageInput] = Field(
        default_factory=list, max_length=100, description="The chain's stages, in order."
    )
    participants: list[ParticipantInput] = Field(default_factory=list, max_length=2_000)


class ValueChainReplace(ValueChainCreate):
    """The whole editable content of a value chain; replaces what is there. Stages keep
    their id when their name is unchanged."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_BODY_EXAMPLE]})


class StatusChange(BaseModel):
    """Move the value chain to another status."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"to": "open"}]})

    to: ValueChainStatus = Field(
        description="draft → open → formed → running → closed; any status but closed may "
        "also go to closed (abandoned). Going to formed needs a passing eligibility report."
    )


class Stage(BaseModel):
    id: uuid.UUID
    position: int = Field(description="0-based position in the chain.")
    name: str
    description: str
    competences: list[Competence]
    keywords: list[str]


class Participant(BaseModel):
    actor_id: uuid.UUID
    stage: int | None = Field(description="Position of the participant's stage, or null.")
    stage_id: uuid.UUID | None
    role: ParticipantRole
    planned_budget: Decimal | None = Field(description="EUR")


_VIEW_EXAMPLE: dict[str, Any] = {
    "id": VALUE_CHAIN_ID,
    **{k: v for k, v in _BODY_EXAMPLE.items() if k not in ("stages", "participants")},
    "stages": [
        {"id": STAGE_IDS[i], "position": i, **stage}
        for i, stage in enumerate(_BODY_EXAMPLE["stages"])
    ],
    "participants": [
        {
            **p,
            "stage_id": None if p["stage"] is None else STAGE_IDS[p["stage"]],
            "planned_budget": None
            if p["planned_budget"] is None
            else f"{Decimal(p['planned_budget']):.2f}",
        }
        for p in _BODY_EXAMPLE["participants"]
    ],
    "status": "draft",
    "allowed_transitions": ["open", "closed"],
    "version": 1,
    "created_at": "2026-11-24T09:30:00Z",
    "updated_at": "2026-11-24T09:30:00Z",
    "created_by": "cluster-manager@oafc.eu",
}


class ValueChain(BaseModel):
    """A value-chain initiative as the registry holds it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_VIEW_EXAMPLE]})

    id: uuid.UUID
    title: str
    strategic_vision: str
    target_industry: str
    ecosystems: list[Ecosystem]
    lead_actor_ids: list[uuid.UUID]
    stages: list[Stage]
    participants: list[Participant]
    status: ValueChainStatus
    allowed_transitions: list[ValueChainStatus] = Field(
        description="The statuses it can go to next (POST …/status)."
    )
    version: int = Field(description="Also the ETag; send it back as If-Match to change it.")
    created_at: datetime
    updated_at: datetime
    created_by: str = Field(description="Token subject of the creator.")


class ValueChainPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": [_VIEW_EXAMPLE], "next_cursor": "WyIyMDI2LTExLTI0VDA5OjMwOjAwWiJd"}
            ]
        }
    )

    items: list[ValueChain]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class EligibilityItem(BaseModel):
    criterion: ValueChainCriterion
    met: bool | None = Field(description="null: not assessable from the data (says why).")
    measured: Decimal | None = Field(description="In `unit`; null when not assessable.")
    threshold: Decimal = Field(description="The least value that meets the criterion.")
    unit: str
    explanation: str = Field(description="What was counted and why, naming the actors.")
    details: dict[str, Any] = Field(description="The same facts, structured (actor ids).")


class EligibilityReport(BaseModel):
    """Computed from the current data on every request; never stored."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "value_chain_id": VALUE_CHAIN_ID,
                    "version": 3,
                    "eligible": False,
                    "criteria": [
                        {
                            "criterion": "independent_legal_entities",
                            "met": False,
                            "measured": "2",
                            "threshold": "3",
                            "unit": "independent legal entities in distinct Member States "
                            "or Associated Countries",
                            "explanation": "2 independent legal entities established in 2 "
                            "different Member States or Associated Countries: Agro Pack SA "
                            "(EL); BioPoly GmbH, BioPoly France SAS (DE). At least 3 are "
                            "needed. Linked through ownership of more than 50 % or control, "
                            "counted as one legal entity: BioPoly GmbH, BioPoly France SAS.",
                            "details": {},
                        },
                        {
                            "criterion": "sme_budget_share",
                            "met": True,
                            "measured": "78.26",
                            "threshold": "75",
                            "unit": "percent of the total planned budget",
                            "explanation": "€900,000.00 of €1,150,000.00 planned (78.26 %) "
                            "goes to SMEs; at least 75 % is needed.",
                            "details": {},
                        },
                        {
                            "criterion": "cross_sectoral",
                            "met": True,
                            "measured": "2",
                            "threshold": "2",
                            "unit": "NACE sections or industrial ecosystems (the larger count)",
                            "explanation": "2 NACE sections: A (Agro Pack SA); C (BioPoly "
                            "GmbH). The participants span more than one sector.",
                            "details": {},
                        },
                    ],
                }
            ]
        }
    )

    value_chain_id: uuid.UUID
    version: int = Field(description="The value chain's version the report was computed on.")
    eligible: bool = Field(description="True only when every criterion is met.")
    criteria: list[EligibilityItem]
