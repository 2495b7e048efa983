"""Expiry of offers and needs: per actor, the day through which the expiry sweep has
announced its expired offers and needs, and an index to find the ones expiring
(docs/registry.md, "Expiry of offers and needs").

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("actors", sa.Column("expiry_announced_before", sa.Date(), nullable=True))
    op.create_index(
        "ix_actor_offers_valid_until_actor_id",
        "actor_offers",
        ["valid_until", "actor_id"],
        postgresql_where=sa.text("valid_until IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_actor_offers_valid_until_actor_id", table_name="actor_offers")
    op.drop_column("actors", "expiry_announced_before")
