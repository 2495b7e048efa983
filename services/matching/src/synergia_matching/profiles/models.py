from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, Table, Text, Uuid, func

from synergia_matching.db import metadata

actor_profiles = Table(
    "actor_profiles",
    metadata,
    Column("actor_id", Uuid, primary_key=True),
    Column("legal_name", Text, nullable=False),
    Column("short_name", Text, nullable=True),
    Column("kind", Text, nullable=False),
    Column("country", Text, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("source_sequence", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
