"""Tables every service has for messaging: outbox, inbox, dead letters, idempotency keys.

Each service's first migration creates them from :func:`create_messaging_tables_v1`; a
later change to their shape is a new, versioned helper, never an edit of this one.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from synergia_shared.db import make_metadata

messaging_metadata = make_metadata()

OUTBOX_CHANNEL = "synergia_outbox"

outbox = Table(
    "outbox",
    messaging_metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("aggregate_type", Text, nullable=False),
    Column("aggregate_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Index("ix_outbox_unsent", "id", postgresql_where=text("sent_at IS NULL")),
    Index(
        "ix_outbox_unsent_aggregate",
        "aggregate_id",
        "id",
        postgresql_where=text("sent_at IS NULL"),
    ),
)

inbox = Table(
    "inbox",
    messaging_metadata,
    Column("consumer", Text, nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
)

dead_letters = Table(
    "dead_letters",
    messaging_metadata,
    Column("id", Uuid, primary_key=True),
    Column("consumer", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("key", LargeBinary, nullable=True),
    Column("payload", LargeBinary, nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("parked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("replayed_at", DateTime(timezone=True), nullable=True),
    Column("replay_error", Text, nullable=True),
    Index("ix_dead_letters_open", "parked_at", postgresql_where=text("replayed_at IS NULL")),
)

idempotency_keys = Table(
    "idempotency_keys",
    messaging_metadata,
    Column("principal", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", LargeBinary, nullable=False),
    Column("response_headers", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("principal", "key", name="pk_idempotency_keys"),
)

# Per topic partition, the highest offset the broker acknowledged for this outbox: a
# partition whose log now ends at or below it has lost what the relay sent (a broker
# that forgot its log, a topic deleted and recreated), and the relay republishes.
# Topics unprefixed, as in ``outbox``.
outbox_offsets = Table(
    "outbox_offsets",
    messaging_metadata,
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("acked_offset", BigInteger, nullable=False),
    Column("acked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("topic", "partition", name="pk_outbox_offsets"),
)

_V1_TABLES = (outbox, inbox, dead_letters, idempotency_keys)

# A statement-level trigger wakes the relay when the transaction commits, without an
# extra round trip from the application.
NOTIFY_TRIGGER_SQL = (
    f"""
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{OUTBOX_CHANNEL}', '');
  RETURN NULL;
END $$;
""",
    """
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
""",
)


def create_messaging_tables_v1() -> None:
    """Create the messaging tables inside an Alembic migration (version 1 of their shape)."""
    from alembic import op

    bind = op.get_bind()
    messaging_metadata.create_all(bind, tables=list(_V1_TABLES))
    for statement in NOTIFY_TRIGGER_SQL:
        op.execute(statement)


def drop_messaging_tables_v1() -> None:
    from alembic import op

    op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")
    messaging_metadata.drop_all(op.get_bind(), tables=list(_V1_TABLES))


def create_outbox_offsets_v1() -> None:
    """Create ``outbox_offsets`` inside an Alembic migration (version 1 of its shape)."""
    from alembic import op

    outbox_offsets.create(op.get_bind())


def drop_outbox_offsets_v1() -> None:
    from alembic import op

    outbox_offsets.drop(op.get_bind())


# Version 2: an index on each table's time column, for the retention sweeps
# (synergia_shared.messaging.retention). Partial where the column may be NULL: unsent
# outbox rows and open dead letters are never swept, so they need no entry.
RETENTION_INDEXES_V2 = (
    ("ix_outbox_sent_at", "outbox", "sent_at", "sent_at IS NOT NULL"),
    ("ix_inbox_received_at", "inbox", "received_at", None),
    ("ix_idempotency_keys_created_at", "idempotency_keys", "created_at", None),
    ("ix_dead_letters_replayed_at", "dead_letters", "replayed_at", "replayed_at IS NOT NULL"),
)


def create_retention_indexes_v2() -> None:
    """Inside an Alembic migration: the retention sweeps' indexes, built CONCURRENTLY
    (outside the migration's transaction) so that writes go on while they are built."""
    from alembic import op

    with op.get_context().autocommit_block():
        for name, table, column, where in RETENTION_INDEXES_V2:
            predicate = f" WHERE {where}" if where else ""
            op.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({column}){predicate}"
            )


def drop_retention_indexes_v2() -> None:
    from alembic import op

    with op.get_context().autocommit_block():
        for name, *_ in RETENTION_INDEXES_V2:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
