from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, Table, Text, Uuid
from sqlalchemy.dialects.postgresql import ARRAY

from synergia_funding.db import metadata

value_chains = Table(
    "value_chains",
    metadata,
    Column("value_chain_id", Uuid, primary_key=True),
    Column("title", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("lead_actor_ids", ARRAY(Uuid), nullable=False),
    Column("participant_ids", ARRAY(Uuid), nullable=False),
    Column("source_sequence", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)
