"""Retention sweeps of the messaging tables, on real PostgreSQL: old rows go, young,
unsent and open rows stay; several sweepers share the work, each row deleted once,
without deadlocks; a row a writer holds is skipped, never waited for."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import create_async_engine
from synergia_registry.app import create_app
from synergia_registry.settings import RegistrySettings
from synergia_shared.db import SessionFactory, create_session_factory
from synergia_shared.messaging.retention import messaging_retentions, sweep, sweep_table

from tests.support.stack import TestStack, auth, running_app

DEFAULTS = messaging_retentions(
    outbox_sent_hours=168,
    inbox_hours=720,
    idempotency_keys_hours=24,
    dead_letters_replayed_hours=720,
)
INBOX = next(r for r in DEFAULTS if r.table == "inbox")


@pytest.fixture
async def db(stack: TestStack) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        yield conn
    finally:
        await conn.close()


async def sessions_for(stack: TestStack) -> SessionFactory:
    """A session factory on an engine of its own: one replica."""
    return create_session_factory(create_async_engine(stack.database_url("registry")))


def deleted_so_far(table: str) -> float:
    return REGISTRY.get_sample_value("synergia_retention_deleted_total", {"table": table}) or 0.0


async def add_outbox(db: asyncpg.Connection, name: str, sent: str | None, created: str) -> None:
    sent_at = "NULL" if sent is None else f"now() - interval '{sent}'"
    await db.execute(
        "INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, topic, payload,"
        " created_at, sent_at) VALUES ($1, 'actor', $2, 'test.v1', 'registry.actor', '\\x7b7d',"
        f" now() - interval '{created}', {sent_at})",
        uuid.uuid4(),
        name,
    )


async def add_inbox(db: asyncpg.Connection, name: str, age: str) -> None:
    await db.execute(
        "INSERT INTO inbox (consumer, event_id, event_type, received_at) "
        f"VALUES ($1, $2, 'test.v1', now() - interval '{age}')",
        name,
        uuid.uuid4(),
    )


async def add_key(db: asyncpg.Connection, key: str, age: str) -> None:
    await db.execute(
        "INSERT INTO idempotency_keys (principal, key, request_hash, status_code, response_body,"
        f" response_headers, created_at) VALUES ('p', $1, 'h', 201, '\\x7b7d', '{{}}',"
        f" now() - interval '{age}')",
        key,
    )


async def add_dead_letter(
    db: asyncpg.Connection, name: str, parked: str, replayed: str | None
) -> None:
    replayed_at = "NULL" if replayed is None else f"now() - interval '{replayed}'"
    await db.execute(
        'INSERT INTO dead_letters (id, consumer, topic, partition, "offset", payload, error,'
        f" attempts, parked_at, replayed_at) VALUES ($1, $2, 'registry.actor', 0, 0, '\\x7b7d',"
        f" 'e', 1, now() - interval '{parked}', {replayed_at})",
        uuid.uuid4(),
        name,
    )


async def names(db: asyncpg.Connection, sql: str) -> set[str]:
    return {row[0] for row in await db.fetch(sql)}


async def test_old_rows_go_and_young_unsent_and_open_rows_stay(
    stack: TestStack, db: asyncpg.Connection
) -> None:
    await add_outbox(db, "sent 8 days ago", "8 days", "8 days")
    await add_outbox(db, "sent 6 days ago", "6 days", "6 days")
    await add_outbox(db, "unsent for 30 days", None, "30 days")
    await add_inbox(db, "received 31 days ago", "31 days")
    await add_inbox(db, "received 29 days ago", "29 days")
    await add_key(db, "25 hours old", "25 hours")
    await add_key(db, "23 hours old", "23 hours")
    await add_dead_letter(db, "replayed 31 days ago", "60 days", "31 days")
    await add_dead_letter(db, "replayed yesterday", "60 days", "1 day")
    await add_dead_letter(db, "open for 100 days", "100 days", None)
    before = {r.table: deleted_so_far(r.table) for r in DEFAULTS}

    deleted = await sweep(await sessions_for(stack), DEFAULTS, batch_size=1)

    assert deleted == {"outbox": 1, "inbox": 1, "idempotency_keys": 1, "dead_letters": 1}
    assert {t: deleted_so_far(t) - before[t] for t in before} == deleted
    assert await names(db, "SELECT aggregate_id FROM outbox") == {
        "sent 6 days ago",
        "unsent for 30 days",
    }
    assert await names(db, "SELECT consumer FROM inbox") == {"received 29 days ago"}
    assert await names(db, "SELECT key FROM idempotency_keys") == {"23 hours old"}
    assert await names(db, "SELECT consumer FROM dead_letters") == {
        "replayed yesterday",
        "open for 100 days",
    }
    # A second round finds nothing more to do.
    assert set((await sweep(await sessions_for(stack), DEFAULTS, batch_size=1)).values()) == {0}


async def test_two_sweepers_at_once_delete_each_row_once_without_deadlock(
    stack: TestStack, db: asyncpg.Connection
) -> None:
    rows = 3000
    await db.execute(
        "INSERT INTO inbox (consumer, event_id, event_type, received_at) "
        "SELECT 'old', gen_random_uuid(), 'test.v1', now() - interval '40 days' "
        "FROM generate_series(1, $1)",
        rows,
    )
    await add_inbox(db, "young", "1 day")
    before = deleted_so_far("inbox")

    replicas = [await sessions_for(stack) for _ in range(2)]
    async with asyncio.timeout(60):  # a deadlock would hang one of them (or fail it)
        counts = await asyncio.gather(
            *(sweep_table(sessions, INBOX, batch_size=50) for sessions in replicas)
        )

    assert sum(counts) == rows  # every old row deleted, none counted twice
    assert deleted_so_far("inbox") - before == rows
    # A replica stops at a short batch: the rows it skipped were the other's, which
    # deleted them; none is left behind.
    assert await names(db, "SELECT consumer FROM inbox") == {"young"}


async def test_a_row_a_writer_holds_is_skipped_not_waited_for(
    stack: TestStack, db: asyncpg.Connection
) -> None:
    keys = next(r for r in DEFAULTS if r.table == "idempotency_keys")
    await add_key(db, "held", "2 days")
    await add_key(db, "free", "2 days")
    writer = await asyncpg.connect(stack.dsn("registry"))
    try:
        transaction = writer.transaction()
        await transaction.start()
        await writer.execute("SELECT 1 FROM idempotency_keys WHERE key = 'held' FOR UPDATE")
        async with asyncio.timeout(10):  # would wait forever on the writer's lock
            assert await sweep_table(await sessions_for(stack), keys, batch_size=10) == 1
        await transaction.commit()
    finally:
        await writer.close()
    assert await names(db, "SELECT key FROM idempotency_keys") == {"held"}
    assert await sweep_table(await sessions_for(stack), keys, batch_size=10) == 1
    assert await names(db, "SELECT key FROM idempotency_keys") == set()


async def test_each_service_sweeps_in_the_background_and_counts_it(stack: TestStack) -> None:
    settings = RegistrySettings(  # type: ignore[arg-type]
        **{
            **stack.settings_kwargs("registry"),
            "consumers_enabled": False,
            "retention_idempotency_keys_hours": 1 / 3600,  # one second
            "retention_sweep_interval_seconds": 0.2,
        }
    )
    async with running_app(create_app(settings), "http://registry") as registry:
        created = await registry.post(
            "/v1/actors",
            json={"legal_name": "Short Memory Oy", "kind": "sme", "country": "FI"},
            headers={**auth(), "Idempotency-Key": "remember-me-briefly"},
        )
        assert created.status_code == 201, created.text
        conn = await asyncpg.connect(stack.dsn("registry"))
        try:
            async with asyncio.timeout(30):
                while await conn.fetchval("SELECT count(*) FROM idempotency_keys"):
                    await asyncio.sleep(0.1)
        finally:
            await conn.close()
        metrics = (await registry.get("/metrics")).text
    assert 'synergia_retention_deleted_total{table="idempotency_keys"}' in metrics
    assert 'synergia_retention_last_sweep_timestamp_seconds{table="outbox"}' in metrics
