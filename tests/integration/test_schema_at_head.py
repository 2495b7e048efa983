"""`make run` migrates only a database that is behind its code (a warm start loads no Alembic)."""

from __future__ import annotations

import asyncio
import uuid

from synergia_devstack.postgres import create_database, drop_database
from synergia_devstack.stack import service_dir
from synergia_shared.migrations import schema_at_head, upgrade_head

from tests.support.stack import TestStack, sqlalchemy_url


async def test_a_database_is_at_head_only_once_migrated(stack: TestStack) -> None:
    directory = service_dir("matching")
    assert await schema_at_head(directory, stack.database_url("matching"))
    name = f"t{uuid.uuid4().hex[:12]}_fresh"
    await create_database(stack.server_url, name)
    url = sqlalchemy_url(stack.server_url, name)
    try:
        assert not await schema_at_head(directory, url), "never migrated"
        # Alembic runs its own event loop: from a thread.
        await asyncio.to_thread(upgrade_head, directory, url)
        assert await schema_at_head(directory, url)
    finally:
        await drop_database(stack.server_url, name)
