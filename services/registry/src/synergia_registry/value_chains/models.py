"""Value-chain initiatives: the chain, its leads, its ordered stages and its participants."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from synergia_shared.column_types import EMPTY_ARRAY, TextArray

from synergia_registry.db import metadata

# The PostgreSQL ARRAY type, for its containment operators (@>) on a GIN index.

STATUSES = ("draft", "open", "formed", "running", "closed")
ROLES = ("coordinator", "partner", "third_party", "associated")

value_chains = Table(
    "value_chains",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("title", Text, nullable=False),
    Column("strategic_vision", Text, nullable=False, server_default=""),
    Column("target_industry", Text, nullable=False, server_default=""),
    Column("ecosystems", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("status", Text, nullable=False, server_default="draft"),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The token subject of whoever created it (a person or a machine client).
    Column("created_by", Text, nullable=False),
    CheckConstraint(f"status IN {STATUSES!r}", name="status"),
    Index("ix_value_chains_created_at_id", "created_at", "id"),
    Index("ix_value_chains_status", "status"),
    Index("ix_value_chains_ecosystems", "ecosystems", postgresql_using="gin"),
)

value_chain_leads = Table(
    "value_chain_leads",
    metadata,
    Column(
        "value_chain_id",
        Uuid,
        ForeignKey("value_chains.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("actor_id", Uuid, ForeignKey("actors.id"), nullable=False),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("value_chain_id", "actor_id", name="pk_value_chain_leads"),
    Index("ix_value_chain_leads_actor_id", "actor_id"),
)

value_chain_stages = Table(
    "value_chain_stages",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "value_chain_id",
        Uuid,
        ForeignKey("value_chains.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("competences", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("keywords", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    UniqueConstraint("value_chain_id", "position", name="uq_value_chain_stages_position"),
    UniqueConstraint("value_chain_id", "name", name="uq_value_chain_stages_name"),
    # Target of the participants' composite foreign key: a participant's stage must be a
    # stage of the same value chain.
    UniqueConstraint("id", "value_chain_id", name="uq_value_chain_stages_id_value_chain_id"),
)

value_chain_participants = Table(
    "value_chain_participants",
    metadata,
    Column(
        "value_chain_id",
        Uuid,
        ForeignKey("value_chains.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("actor_id", Uuid, ForeignKey("actors.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("stage_id", Uuid, nullable=True),
    Column("role", Text, nullable=False),
    Column("planned_budget", Numeric(14, 2), nullable=True),
    PrimaryKeyConstraint("value_chain_id", "actor_id", name="pk_value_chain_participants"),
    ForeignKeyConstraint(
        ["stage_id", "value_chain_id"],
        ["value_chain_stages.id", "value_chain_stages.value_chain_id"],
        name="fk_value_chain_participants_stage_id_value_chain_stages",
    ),
    CheckConstraint(f"role IN {ROLES!r}", name="role"),
    CheckConstraint("planned_budget IS NULL OR planned_budget >= 0", name="planned_budget"),
    Index("ix_value_chain_participants_actor_id", "actor_id"),
)
