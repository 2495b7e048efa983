"""S3 priorities per NUTS region: matching's own data, not a projection."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, Table, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB

from synergia_matching.db import metadata

s3_priorities = Table(
    "s3_priorities",
    metadata,
    Column("nuts_code", Text, primary_key=True),
    # [{name, description, nace_codes, ecosystems, keywords}]
    Column("domains", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("version", Integer, nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
