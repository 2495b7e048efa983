"""The projection-rebuild marker: one row while ``synergia-matching-rebuild`` runs.

Written in the same transaction as the rebuild's reset (or, into a fresh database,
before its first event), removed once the rebuild has handed the consumer groups over.
While it exists the projection is partial: the service keeps its consumers stopped and
``/readyz`` says why (docs/matching.md, "Rebuild").

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projection_rebuild",
        # A single row: the key can only be true.
        sa.Column("singleton", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column(
            "started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("reset", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("singleton", name="pk_projection_rebuild"),
        sa.CheckConstraint("singleton", name="ck_projection_rebuild_singleton"),
    )


def downgrade() -> None:
    op.drop_table("projection_rebuild")
