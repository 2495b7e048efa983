"""Alembic plumbing every service's migrations share."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine


def alembic_config(service_dir: Path, database_url: str) -> Config:
    config = Config(str(service_dir / "alembic.ini"))
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_head(service_dir: Path, database_url: str) -> None:
    command.upgrade(alembic_config(service_dir, database_url), "head")


def run_env(target_metadata: list[MetaData]) -> None:
    """The body of a service's ``migrations/env.py`` (online mode, async engine)."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run())


AT_HEAD = "at head"


class SchemaCheck:
    """Readiness's view of the migrations: is the database's schema the one this code
    was written for?

    Behind (a revision this code knows, before its head; or never migrated): not ready,
    the code would query columns that are not there. Ahead (a revision this code does
    not know): ready, since migrations only add what older code can ignore
    (expand, then contract), which is what lets old pods serve during a rolling deploy.
    """

    def __init__(self, migrations_dir: Path) -> None:
        script = ScriptDirectory(str(migrations_dir))
        self.heads = frozenset(script.get_heads())
        self.known = frozenset(revision.revision for revision in script.walk_revisions())

    async def verdict(self, session: AsyncSession) -> tuple[bool, str]:
        """``(ready, what)``: whether the schema lets this code serve, and why not."""
        if await session.scalar(text("SELECT to_regclass('alembic_version')")) is None:
            return False, "not migrated: the database has no alembic_version"
        current = frozenset(
            (await session.execute(text("SELECT version_num FROM alembic_version"))).scalars()
        )
        if current == self.heads:
            return True, AT_HEAD
        if current and not current <= self.known:
            return True, f"ahead: {', '.join(sorted(current))} (migrated by newer code)"
        return False, (
            f"behind: the database is at {', '.join(sorted(current)) or 'no revision'}, "
            f"this code needs {', '.join(sorted(self.heads))}"
        )
