"""Projections of the registry's clusters and value chains."""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from synergia_shared.column_types import EMPTY_ARRAY, TextArray

from synergia_matching.db import metadata

EMPTY_JSON_LIST = text("'[]'::jsonb")

cluster_profiles = Table(
    "cluster_profiles",
    metadata,
    Column("cluster_id", Uuid, primary_key=True),
    Column("ecosystems", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("s3_priorities", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("esca_label", Text, nullable=True),
    Column("source_sequence", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# One row per membership period; ``left_on`` is set when the member leaves.
cluster_memberships = Table(
    "cluster_memberships",
    metadata,
    Column("cluster_id", Uuid, primary_key=True),
    Column("member_actor_id", Uuid, primary_key=True),
    Column("joined_on", Date, primary_key=True),
    Column("left_on", Date, nullable=True),
    Column("committed", Boolean, nullable=False, server_default="true"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

value_chains = Table(
    "value_chains",
    metadata,
    Column("value_chain_id", Uuid, primary_key=True),
    Column("title", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("target_industry", Text, nullable=False, server_default=""),
    Column("ecosystems", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("lead_actor_ids", ARRAY(Uuid), nullable=False, server_default=text("'{}'::uuid[]")),
    Column("stages", JSONB, nullable=False, server_default=EMPTY_JSON_LIST),
    Column("participants", JSONB, nullable=False, server_default=EMPTY_JSON_LIST),
    Column("source_sequence", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
