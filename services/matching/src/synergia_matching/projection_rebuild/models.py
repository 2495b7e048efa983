"""The in-progress marker of a projection rebuild (migration 0005): one row while
``synergia-matching-rebuild`` runs, or after it was interrupted."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, DateTime, Table, func, true

from synergia_matching.db import metadata

projection_rebuild = Table(
    "projection_rebuild",
    metadata,
    Column("singleton", Boolean, primary_key=True, server_default=true()),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("reset", Boolean, nullable=False),
    CheckConstraint("singleton", name="singleton"),
)
