"""The value chains funding knows from the registry: who leads each one.

Cluster managers record the co-funding of the chains their cluster leads; this
projection (from ``registry.value-chain``) says which those are. A snapshot is applied
only when newer than the stored one (``source_sequence``).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "value_chains",
        sa.Column("value_chain_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("lead_actor_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("participant_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("source_sequence", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("value_chain_id", name="pk_value_chains"),
    )


def downgrade() -> None:
    op.drop_table("value_chains")
