"""Cluster organisations: cluster profiles and memberships.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TEXT_ARRAY = postgresql.ARRAY(sa.Text())
EMPTY = sa.text("'{}'::text[]")


def upgrade() -> None:
    op.create_table(
        "cluster_profiles",
        sa.Column("cluster_id", sa.Uuid(), nullable=False),
        sa.Column("ecosystems", TEXT_ARRAY, nullable=False, server_default=EMPTY),
        sa.Column("s3_priorities", TEXT_ARRAY, nullable=False, server_default=EMPTY),
        sa.Column("esca_label", sa.Text(), nullable=True),
        sa.Column("esca_valid_until", sa.Date(), nullable=True),
        sa.Column("management_fte", sa.Numeric(6, 2), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("cluster_id", name="pk_cluster_profiles"),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["actors.id"],
            name="fk_cluster_profiles_cluster_id_actors",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "esca_label IS NULL OR esca_label IN ('bronze', 'silver', 'gold')",
            name="ck_cluster_profiles_esca_label",
        ),
        sa.CheckConstraint(
            "management_fte IS NULL OR management_fte >= 0",
            name="ck_cluster_profiles_management_fte",
        ),
    )
    op.create_index(
        "ix_cluster_profiles_ecosystems",
        "cluster_profiles",
        ["ecosystems"],
        postgresql_using="gin",
    )

    op.create_table(
        "cluster_memberships",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("cluster_id", sa.Uuid(), nullable=False),
        sa.Column("member_actor_id", sa.Uuid(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("committed", sa.Boolean(), nullable=False, server_default="true"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cluster_memberships"),
        sa.ForeignKeyConstraint(
            ["cluster_id"],
            ["actors.id"],
            name="fk_cluster_memberships_cluster_id_actors",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_actor_id"],
            ["actors.id"],
            name="fk_cluster_memberships_member_actor_id_actors",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "left_on IS NULL OR left_on >= joined_on",
            name="ck_cluster_memberships_left_after_joined",
        ),
    )
    # At most one open membership (no leaving date yet) of an actor per cluster.
    op.create_index(
        "uq_cluster_memberships_cluster_id_member_actor_id",
        "cluster_memberships",
        ["cluster_id", "member_actor_id"],
        unique=True,
        postgresql_where=sa.text("left_on IS NULL"),
    )
    op.create_index("ix_cluster_memberships_cluster_id", "cluster_memberships", ["cluster_id"])
    op.create_index(
        "ix_cluster_memberships_member_actor_id", "cluster_memberships", ["member_actor_id"]
    )


def downgrade() -> None:
    op.drop_table("cluster_memberships")
    op.drop_index("ix_cluster_profiles_ecosystems", table_name="cluster_profiles")
    op.drop_table("cluster_profiles")
