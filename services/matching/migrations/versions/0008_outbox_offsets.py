"""The offsets the broker acknowledged for the outbox, per topic partition: how the
relay notices that the broker lost what it sent (docs/architecture.md, "Broker loss").

Revision ID: 0008
Revises: 0007
"""

from synergia_shared.messaging.tables import create_outbox_offsets_v1, drop_outbox_offsets_v1

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_offsets_v1()


def downgrade() -> None:
    drop_outbox_offsets_v1()
