"""Indexes for the retention sweeps of the messaging tables: sent outbox rows by
``sent_at``, inbox rows by ``received_at``, idempotency keys by ``created_at``, replayed
dead letters by ``replayed_at`` (built concurrently: writes go on meanwhile).

Revision ID: 0007
Revises: 0005
"""

from synergia_shared.messaging.tables import (
    create_retention_indexes_v2,
    drop_retention_indexes_v2,
)

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_retention_indexes_v2()


def downgrade() -> None:
    drop_retention_indexes_v2()
