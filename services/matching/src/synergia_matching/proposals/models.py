"""Stored team proposals: matching's own data."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, DateTime, Integer, Table, Text, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB

from synergia_matching.db import metadata

team_proposals = Table(
    "team_proposals",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("value_chain_id", Uuid, nullable=False),
    Column("request_id", Uuid, nullable=False),  # the k proposals of one request share it
    Column("rank", Integer, nullable=False),
    Column("status", Text, nullable=False),  # proposed, accepted, declined
    Column("solver_status", Text, nullable=False),  # optimal, feasible
    Column("members", JSONB, nullable=False),
    Column("objective", JSONB, nullable=False),
    Column("constraints", JSONB, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("decided_by", Text, nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decision_reason", Text, nullable=True),
    Column("version", Integer, nullable=False, server_default="1"),
    CheckConstraint(
        "status IN ('proposed', 'accepted', 'declined')", name="ck_team_proposals_status"
    ),
)
