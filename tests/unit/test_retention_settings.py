"""The retention settings: documented defaults, and the one rule between them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from synergia_shared.messaging.retention import messaging_retentions
from synergia_shared.settings import ServiceSettings

DB = "postgresql+asyncpg://u@h/x"


def test_the_defaults_keep_what_a_republish_or_a_retry_needs() -> None:
    settings = ServiceSettings(database_url=DB)
    assert settings.retention_outbox_sent_hours == 7 * 24
    assert settings.retention_idempotency_keys_hours == 24
    assert settings.retention_inbox_hours == 30 * 24
    assert settings.retention_dead_letters_replayed_hours == 30 * 24


def test_inbox_rows_must_outlive_the_outbox_republish_window() -> None:
    with pytest.raises(ValidationError, match="retention_inbox_hours must be at least"):
        ServiceSettings(database_url=DB, retention_outbox_sent_hours=48, retention_inbox_hours=24)


def test_each_table_is_swept_by_its_time_column_never_rows_without_one() -> None:
    retentions = messaging_retentions(
        outbox_sent_hours=1, inbox_hours=2, idempotency_keys_hours=3, dead_letters_replayed_hours=4
    )
    assert [(r.table, r.column.name, r.max_age_seconds) for r in retentions] == [
        ("outbox", "sent_at", 3600),
        ("inbox", "received_at", 7200),
        ("idempotency_keys", "created_at", 10800),
        ("dead_letters", "replayed_at", 14400),
    ]
    # "column < cutoff" is never true of NULL: unsent outbox rows and open dead letters.
    sql = str(retentions[0].batch_delete())
    assert "WHERE sent_at < now() - make_interval(secs => :max_age)" in sql
    assert "FOR UPDATE SKIP LOCKED" in sql
