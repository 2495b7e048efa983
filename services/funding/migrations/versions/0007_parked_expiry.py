"""Parked entries, oldest first: for their listing and for the expiry sweep.

``GET /v1/authority-events?status=parked`` lists a sender's waiting entries (or every
sender's, for an administrator) by ``(parked_at, entry_id)``, and the expiry sweep
claims the oldest waiting ones. Both read only waiting rows, hence partial indexes.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_WAITING = sa.text("state = 'waiting'")


def upgrade() -> None:
    op.create_index(
        "ix_parked_entries_waiting_since",
        "parked_entries",
        ["parked_at", "entry_id"],
        postgresql_where=_WAITING,
    )
    op.create_index(
        "ix_parked_entries_sender_waiting_since",
        "parked_entries",
        ["external_system", "parked_at", "entry_id"],
        postgresql_where=_WAITING,
    )


def downgrade() -> None:
    op.drop_index("ix_parked_entries_sender_waiting_since", table_name="parked_entries")
    op.drop_index("ix_parked_entries_waiting_since", table_name="parked_entries")
