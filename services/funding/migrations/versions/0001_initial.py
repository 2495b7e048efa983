"""Messaging tables and the beneficiaries projection.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from synergia_shared.messaging.tables import create_messaging_tables_v1, drop_messaging_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables_v1()
    op.create_table(
        "beneficiaries",
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("legal_name", sa.Text(), nullable=False),
        sa.Column("short_name", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("country", sa.Text(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_sequence", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("actor_id", name="pk_beneficiaries"),
    )


def downgrade() -> None:
    op.drop_table("beneficiaries")
    drop_messaging_tables_v1()
