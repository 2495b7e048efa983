"""Alembic plumbing every service's migrations share."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where migrations run (the migration Job, `make run`'s prepare),
# not by a service's start: readiness reads the revision files itself (SchemaCheck).


def alembic_config(service_dir: Path, database_url: str) -> Config:
    from alembic.config import Config

    config = Config(str(service_dir / "alembic.ini"))
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_head(service_dir: Path, database_url: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(service_dir, database_url), "head")


async def schema_at_head(service_dir: Path, database_url: str) -> bool:
    """Whether the database is at this code's head already (nothing to migrate), found
    without Alembic: `make run` on a warm checkout skips loading it and each service's
    migration environment (a second or more of its start)."""
    heads = SchemaCheck(service_dir / "migrations").heads
    engine = create_async_engine(database_url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            if await conn.scalar(text("SELECT to_regclass('alembic_version')")) is None:
                return False
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
            return frozenset(rows.scalars()) == heads
    finally:
        await engine.dispose()


def run_env(target_metadata: list[MetaData]) -> None:
    """The body of a service's ``migrations/env.py`` (online mode, async engine)."""
    from alembic import context

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
        revisions = read_revisions(migrations_dir / "versions")
        below = {down for downs in revisions.values() for down in downs}
        self.heads = frozenset(revisions) - below
        self.known = frozenset(revisions)

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


def read_revisions(versions_dir: Path) -> dict[str, tuple[str, ...]]:
    """Each revision of ``versions_dir`` and the revisions it follows (``down_revision``).

    Read from the files' top-level assignments without importing them, as Alembic would
    (its ``ScriptDirectory`` imports every revision module, and Alembic itself takes a
    noticeable part of a second to import): a service's start checks its schema with
    what this returns. ``tests/unit/test_schema_check.py`` holds it to Alembic's answer.
    """
    revisions: dict[str, tuple[str, ...]] = {}
    for path in sorted(versions_dir.glob("*.py")):
        if path.name.startswith("_"):
            continue
        values: dict[str, object] = {}
        for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
            target, value = _assignment(node)
            if target in ("revision", "down_revision") and value is not None:
                values[target] = ast.literal_eval(value)
        revision, down = values.get("revision"), values.get("down_revision")
        if not isinstance(revision, str):
            raise ValueError(f"{path}: no revision = '...' assignment")
        downs = (down,) if isinstance(down, str) else tuple(down or ())  # type: ignore[arg-type]
        revisions[revision] = tuple(str(d) for d in downs)
    return revisions


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None
