from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Share = Annotated[Decimal, Field(ge=0, le=1)]


class StageBudget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage_id: uuid.UUID
    budget: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] = Field(
        description="EUR planned for the actor covering this stage"
    )


class TeamRequest(BaseModel):
    """What the team must satisfy; the stages come from the value chain."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "k": 3,
                    "max_team_size": 8,
                    "min_countries": 3,
                    "min_entities": 3,
                    "min_nace_sections": 2,
                    "min_sme_budget_share": "0.75",
                    "stage_budgets": [
                        {"stage_id": "6b1f0d8e-7a33-4c2b-9d7e-2f0c9a526a43", "budget": "400000"}
                    ],
                    "must_include": [],
                    "exclude": [],
                    "include_lead_actors": True,
                    "time_limit_seconds": 5,
                }
            ]
        },
    )

    k: int = Field(default=3, ge=1, le=10, description="How many distinct teams")
    max_team_size: int = Field(default=12, ge=1, le=50)
    min_entities: int = Field(default=3, ge=1, le=50)
    min_countries: int = Field(default=3, ge=1, le=50)
    min_nace_sections: int = Field(default=2, ge=1, le=21)
    min_sme_budget_share: Share = Field(
        default=Decimal("0.75"), description="Of the planned budget, when every stage has one"
    )
    min_sme_member_share: Share = Field(
        default=Decimal("0.5"), description="Of the members, when stage budgets are not given"
    )
    stage_budgets: list[StageBudget] = Field(default_factory=list, max_length=50)
    must_include: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    exclude: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    include_lead_actors: bool = Field(
        default=True, description="The value chain's lead clusters are in every team"
    )
    time_limit_seconds: float = Field(default=5.0, gt=0, le=60)


class StageRef(BaseModel):
    id: uuid.UUID
    name: str
    fit: float | None = Field(
        default=None,
        description="How well the member fits this stage, 0 to 1: the share of the stage's "
        "terms its offers cover and of its competences it offers (null on proposals stored "
        "before fits were shown)",
    )
    weak_fit: bool | None = Field(
        default=None,
        description="fit under 0.5: the member offers under half of what the stage asks for",
    )


class TeamMember(BaseModel):
    actor_id: uuid.UUID
    legal_name: str
    country: str
    sme: bool
    must_include: bool
    role: str
    stages: list[StageRef]
    planned_budget: Decimal | None


class ObjectiveTerm(BaseModel):
    name: str
    raw: int
    weight: int
    contribution: int
    explanation: str


class Objective(BaseModel):
    total: int
    terms: list[ObjectiveTerm]


class TeamProposal(BaseModel):
    id: uuid.UUID
    value_chain_id: uuid.UUID
    request_id: uuid.UUID
    rank: int
    status: Literal["proposed", "accepted", "declined"]
    solver_status: Literal["optimal", "feasible"] = Field(
        description="optimal: proven best (among the candidates considered and distinct "
        "from the better-ranked proposals); feasible: the best found in the time limit"
    )
    members: list[TeamMember]
    objective: Objective
    sme_share: Decimal
    sme_share_basis: Literal["budget", "members"]
    countries: list[str]
    sectors: list[str]
    independent_entities: int
    weak_fits: list[str] = Field(
        default_factory=list, description="Each member placed on a stage it fits weakly, in words"
    )
    candidates_considered: int
    candidates_total: int
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None
    version: int


class TeamProposalPage(BaseModel):
    items: list[TeamProposal]
    next_cursor: str | None


class TeamProposals(BaseModel):
    request_id: uuid.UUID
    value_chain_id: uuid.UUID
    outcome: Literal["proposed", "no_team"]
    proposals: list[TeamProposal]
    reasons: list[str] = Field(description="Why no team is possible (outcome no_team)")


class Decline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
