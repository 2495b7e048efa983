"""Cluster profiles and memberships; the cluster itself is a row of ``actors``."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from synergia_shared.column_types import EMPTY_ARRAY, TextArray

from synergia_registry.db import metadata

# One row per cluster organisation that has been written to (profile set or a member
# joined/left). ``version`` is the cluster aggregate's version: it is bumped by profile
# updates AND membership changes, and is the ``sequence`` of every registry.cluster event.
cluster_profiles = Table(
    "cluster_profiles",
    metadata,
    Column(
        "cluster_id",
        Uuid,
        ForeignKey("actors.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("ecosystems", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("s3_priorities", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("esca_label", Text, nullable=True),
    Column("esca_valid_until", Date, nullable=True),
    Column("management_fte", Numeric(6, 2), nullable=True),
    Column("version", Integer, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(
        "esca_label IS NULL OR esca_label IN ('bronze', 'silver', 'gold')", name="esca_label"
    ),
    CheckConstraint("management_fte IS NULL OR management_fte >= 0", name="management_fte"),
    Index("ix_cluster_profiles_ecosystems", "ecosystems", postgresql_using="gin"),
)

# A membership is current while ``left_on IS NULL OR left_on > current_date``: ``left_on``
# is the first day the actor is no longer a member. Other packages (actor search, contact
# visibility) query this table with that predicate.
cluster_memberships = Table(
    "cluster_memberships",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "cluster_id",
        Uuid,
        ForeignKey("actors.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "member_actor_id",
        Uuid,
        ForeignKey("actors.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("joined_on", Date, nullable=False),
    Column("left_on", Date, nullable=True),
    Column("committed", Boolean, nullable=False, server_default="true"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
    # At most one open membership (no leaving date) of an actor per cluster.
    Index(
        "uq_cluster_memberships_cluster_id_member_actor_id",
        "cluster_id",
        "member_actor_id",
        unique=True,
        postgresql_where=text("left_on IS NULL"),
    ),
    Index("ix_cluster_memberships_cluster_id", "cluster_id"),
    Index("ix_cluster_memberships_member_actor_id", "member_actor_id"),
)
