"""Contact persons leave the event log; erasure by e-mail; replays erasable.

Actor events no longer carry the shared contacts (docs/architecture.md, "Personal data").
The outbox rows written before (sent or not) and any parked event still hold them: they
are stripped, keeping their number as ``shared_contacts_count`` (an unsent one is then
published without them, and the consumers fetch them). Two indexes: contact persons by
e-mail without case (a data subject's request), and stored Idempotency-Key answers by the
actor they created (an erasure takes the contacts out of them).

Revision ID: 0006
Revises: 0005
"""

from alembic import op
from synergia_shared.messaging.contact_redaction import strip_stored_events

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    strip_stored_events("outbox", "id")
    strip_stored_events("dead_letters", "id", ("error", "replay_error"))
    op.execute("CREATE INDEX ix_contact_persons_email ON contact_persons (lower(email))")
    op.execute(
        "CREATE INDEX ix_idempotency_keys_location ON idempotency_keys "
        "((response_headers ->> 'Location'))"
    )


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_location", "idempotency_keys")
    op.drop_index("ix_contact_persons_email", "contact_persons")
