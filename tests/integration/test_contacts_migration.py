"""The migrations that take contact persons out of stored events written before contacts
left the event log: the registry's outbox (sent or not) and parked events."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from alembic import command
from synergia_devstack.postgres import create_database, drop_database
from synergia_devstack.stack import service_dir
from synergia_shared.db_urls import asyncpg_dsn
from synergia_shared.migrations import alembic_config

from tests.support.stack import TestStack, sqlalchemy_url

PEOPLE = {"name": "Greta Lindqvist", "email": "greta@nordlys.example.se"}


def old_event(actor_id: str) -> bytes:
    """An actor.registered.v1 as the registry wrote it before: with the shared contact."""
    return json.dumps(
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "/synergia/registry",
            "type": "eu.synergia.registry.actor.registered.v1",
            "subject": actor_id,
            "data": {
                "actor_id": actor_id,
                "legal_name": "Nordlys AB",
                "shared_contacts": [{**PEOPLE, "role": "CTO"}],
                "version": 1,
            },
            "sequence": 1,
        },
        separators=(",", ":"),
    ).encode()


@pytest.fixture
async def old_database(stack: TestStack) -> AsyncIterator[Any]:
    """A database of ``service`` migrated to ``revision``, then to head when asked."""
    made: list[str] = []

    async def at(service: str, revision: str) -> tuple[str, Any]:
        name = f"t{stack.tag}_old_{service}"
        await create_database(stack.server_url, name)
        made.append(name)
        url = sqlalchemy_url(stack.server_url, name)
        config = alembic_config(service_dir(service), url)
        await asyncio.to_thread(command.upgrade, config, revision)

        async def to_head() -> None:
            await asyncio.to_thread(command.upgrade, config, "head")

        return asyncpg_dsn(url), to_head

    yield at
    for name in made:
        await drop_database(stack.server_url, name)


async def test_the_registry_outbox_and_parked_events_lose_their_contacts(
    old_database: Any,
) -> None:
    dsn, to_head = await old_database("registry", "0005")
    actor_id = str(uuid.uuid4())
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, topic, "
            "payload, sent_at) VALUES ($1, 'actor', $2, "
            "'eu.synergia.registry.actor.registered.v1', 'registry.actor', $3, now())",
            uuid.uuid4(),
            actor_id,
            old_event(actor_id),
        )
        await conn.execute(
            "INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, topic, "
            "payload) VALUES ($1, 'actor', $2, 'eu.synergia.registry.actor.deactivated.v1', "
            "'registry.actor', $3)",
            uuid.uuid4(),
            actor_id,
            b'{"data":{"reason":"not json contacts"}}',
        )
        await to_head()
        rows = await conn.fetch("SELECT event_type, payload, sent_at FROM outbox ORDER BY id")
    finally:
        await conn.close()
    registered = json.loads(rows[0]["payload"])
    assert registered["data"]["shared_contacts"] == []
    assert registered["data"]["shared_contacts_count"] == 1, "their number stays"
    assert registered["data"]["legal_name"] == "Nordlys AB", "the rest stays"
    assert rows[0]["sent_at"] is not None
    assert rows[1]["payload"] == b'{"data":{"reason":"not json contacts"}}', "others untouched"
    for value in PEOPLE.values():
        assert value.encode() not in rows[0]["payload"]


@pytest.mark.parametrize(("service", "revision"), [("matching", "0005"), ("funding", "0008")])
async def test_parked_events_and_their_errors_lose_the_contacts(
    old_database: Any, service: str, revision: str
) -> None:
    dsn, to_head = await old_database(service, revision)
    actor_id = str(uuid.uuid4())
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            'INSERT INTO dead_letters (id, consumer, topic, partition, "offset", key, payload, '
            "error, attempts) VALUES ($1, 'c', 'registry.actor', 0, 7, $2, $3, $4, 5)",
            uuid.uuid4(),
            actor_id.encode(),
            old_event(actor_id),
            f"ValidationError: input_value='{PEOPLE['email']}' for {PEOPLE['name']}",
        )
        await conn.execute(
            'INSERT INTO dead_letters (id, consumer, topic, partition, "offset", payload, '
            "error, attempts) VALUES ($1, 'c', 'registry.actor', 0, 8, $2, 'not JSON', 1)",
            uuid.uuid4(),
            b"\xff\xfe garbage",
        )
        await to_head()
        rows = await conn.fetch('SELECT payload, error FROM dead_letters ORDER BY "offset"')
    finally:
        await conn.close()
    assert json.loads(rows[0]["payload"])["data"]["shared_contacts"] == []
    assert rows[0]["error"] == "ValidationError: input_value='[erased]' for [erased]"
    assert rows[1]["payload"] == b"\xff\xfe garbage", "a poison payload is left as it is"
