"""Session-wide real servers; each test gets its own databases and topics on them.

`make test` starts embedded PostgreSQL and the broker (or takes the ones in the
environment) and passes them in SYNERGIA_TEST_*; run bare, pytest starts its own.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.stack import TestStack, migrate_templates


@pytest.fixture(scope="session")
def servers() -> Iterator[tuple[str, str]]:
    db = os.environ.get("SYNERGIA_TEST_DATABASE_URL")
    kafka = os.environ.get("SYNERGIA_TEST_KAFKA_BOOTSTRAP_SERVERS")
    if db and kafka:
        yield db, kafka
        return
    from synergia_devstack.broker import EmbeddedBroker
    from synergia_devstack.postgres import EmbeddedPostgres

    with tempfile.TemporaryDirectory(prefix="synergia-pytest-") as tmp:
        postgres = EmbeddedPostgres(Path(tmp) / "postgres", durable=False)
        broker = EmbeddedBroker()
        try:
            postgres.start()
            broker.start()
            yield postgres.url, broker.bootstrap_servers
        finally:
            broker.stop()
            postgres.stop()


@pytest.fixture(scope="session")
def migrated(servers: tuple[str, str]) -> tuple[str, str]:
    migrate_templates(servers[0])
    return servers


@pytest.fixture
async def stack(migrated: tuple[str, str]) -> AsyncIterator[TestStack]:
    test_stack = TestStack(*migrated)
    await test_stack.setup()
    try:
        yield test_stack
    finally:
        await test_stack.teardown()
