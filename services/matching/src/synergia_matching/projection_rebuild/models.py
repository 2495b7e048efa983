"""The in-progress marker of a projection rebuild (migration 0005): one row while
``synergia-matching-rebuild`` runs, or after it was interrupted."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, DateTime, Table, func, text, true
from sqlalchemy.dialects.postgresql import JSONB

from synergia_matching.db import metadata

projection_rebuild = Table(
    "projection_rebuild",
    metadata,
    Column("singleton", Boolean, primary_key=True, server_default=true()),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("reset", Boolean, nullable=False),
    # The statements that build again what the rebuild set aside (migration 0011): the
    # search indexes and documents of actor_profiles, built once at its end.
    Column("deferred", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    CheckConstraint("singleton", name="singleton"),
)
