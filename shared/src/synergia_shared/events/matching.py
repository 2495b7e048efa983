"""Events the matching service publishes.

A team proposal is matching's suggestion of a consortium for a value chain; the value
chain itself belongs to the registry. Accepting a proposal is announced here, and the
registry adds the team to the value chain by consuming that event.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import Field

from synergia_shared.events.base import EventData

__all__ = ["TeamMemberV1", "TeamProposalAcceptedV1", "TeamProposalDeclinedV1"]


class TeamMemberV1(EventData):
    actor_id: uuid.UUID
    stage_ids: list[uuid.UUID] = Field(
        default_factory=list,
        description="The value-chain stages this member covers (empty for a must-include "
        "member covering none)",
    )
    role: str = Field(description="coordinator, partner, third_party or associated")
    planned_budget: Decimal | None = Field(default=None, description="EUR")


class TeamProposalAcceptedV1(EventData):
    """A proposed team was accepted for a value chain: its members should take part."""

    proposal_id: uuid.UUID
    value_chain_id: uuid.UUID
    request_id: uuid.UUID
    members: list[TeamMemberV1]
    accepted_by: str
    accepted_at: datetime
    version: int


class TeamProposalDeclinedV1(EventData):
    """A proposed team was declined."""

    proposal_id: uuid.UUID
    value_chain_id: uuid.UUID
    request_id: uuid.UUID
    reason: str | None = None
    declined_by: str
    declined_at: datetime
    version: int
