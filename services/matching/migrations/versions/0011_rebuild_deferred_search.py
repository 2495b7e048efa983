"""What a rebuild set aside: a rebuild into an empty projection drops the GIN indexes
of ``actor_profiles`` and stands its full-text documents (generated columns) in with an
empty one, then builds them once when every event is applied (docs/matching.md,
"Rebuild"). The statements that build them again, read from the catalog when they were
set aside, are kept in the rebuild's marker row, in the same transaction: an interrupted
rebuild leaves them there, and the rerun that completes it runs them.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "projection_rebuild",
        sa.Column(
            "deferred",
            postgresql.JSONB(),
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
        ),
    )


def downgrade() -> None:
    op.drop_column("projection_rebuild", "deferred")
