"""Shared contacts are fetched from the registry, no longer taken from events.

Adds the pending fetches (``shared_contact_fetches``) and, per projected actor, the
actor version at which its held contacts were read (``shared_contacts_version``; for
contacts taken from an event before this change, that event's sequence). Parked events
written before the change still carry contacts: they are stripped, and the names and
e-mails blanked out of their error texts (docs/architecture.md, "Personal data").

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from synergia_shared.messaging.contact_redaction import strip_stored_events

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "beneficiaries", sa.Column("shared_contacts_version", sa.Integer(), nullable=True)
    )
    op.execute(
        "UPDATE beneficiaries SET shared_contacts_version = source_sequence "
        "WHERE jsonb_array_length(shared_contacts) > 0"
    )
    op.create_table(
        "shared_contact_fetches",
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False, server_default="1"),
        sa.Column(
            "requested_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "due_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("actor_id", name="pk_shared_contact_fetches"),
    )
    op.create_index("ix_shared_contact_fetches_due", "shared_contact_fetches", ["due_at"])
    strip_stored_events("dead_letters", "id", ("error", "replay_error"))


def downgrade() -> None:
    op.drop_index("ix_shared_contact_fetches_due", "shared_contact_fetches")
    op.drop_table("shared_contact_fetches")
    op.drop_column("beneficiaries", "shared_contacts_version")
