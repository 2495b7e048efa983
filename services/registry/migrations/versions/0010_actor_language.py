"""The language an actor declares its free texts to be written in (ISO 639-1), carried in
its events for matching's stemming (docs/matching.md, "Languages").

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("actors", sa.Column("language", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("actors", "language")
