from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, Table, Text, Uuid, func

from synergia_registry.db import metadata

actors = Table(
    "actors",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("legal_name", Text, nullable=False),
    Column("short_name", Text, nullable=True),
    Column("kind", Text, nullable=False),
    Column("country", Text, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
