"""Every entry id the ledger holds, recorded or parked, in one table: where two writers
of the same id meet (docs/funding.md, "Concurrent batches").

A batch claims the ids of the entries it newly applies or parks with one
``INSERT … ON CONFLICT DO NOTHING``; an id another writer holds (committed, or committed
while the insert waited for it) comes back unclaimed, and the batch decides again with
that writer's entry in view. Recorded and parked entries live in two tables, so neither
table's own key can see a recorded and a parked entry under one id: this one does.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_entry_ids",
        sa.Column("entry_id", sa.Uuid(), primary_key=True),
    )
    op.execute(
        "INSERT INTO ledger_entry_ids (entry_id) "
        "SELECT entry_id FROM ledger_entries UNION SELECT entry_id FROM parked_entries"
    )


def downgrade() -> None:
    op.drop_table("ledger_entry_ids")
