"""Async engine, sessions, the unit of work, read-only sessions, and hot-path reads."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import ClauseElement, Connection, MetaData, event
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.engine.interfaces import ExecutionContext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.util import greenlet_spawn

from synergia_shared.db_outage import is_database_unavailable
from synergia_shared.settings import ServiceSettings

# Explicit constraint names so Alembic migrations are deterministic.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        # Overflow connections are closed as soon as they are checked in, so under a
        # sustained load above pool_size every request past it opens a new connection
        # (and PostgreSQL forks a backend for it). The default is therefore 0: requests
        # beyond the pool wait for a connection (at most pool_timeout).
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # No pre-ping: it costs a BEGIN/ROLLBACK round trip per checkout (a fifth of a GET).
        # Connections are recycled instead. When PostgreSQL restarts, the first statement
        # to find its connection closed invalidates the whole pool (SQLAlchemy does so
        # on a disconnect; fetch_row too), so the requests after it connect afresh: an
        # outage fails the requests during it (503, see db_outage), not those after.
        pool_recycle=settings.db_pool_recycle_seconds,
        connect_args={"server_settings": {"application_name": settings.service_name}},
    )


SessionFactory = async_sessionmaker[AsyncSession]


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


@asynccontextmanager
async def unit_of_work(sessions: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One transaction: everything done on the session commits together or not at all.

    The outbox rides in the same transaction, so a state change and the events it
    causes are never separated.

    Equivalent to ``async with sessions() as s, s.begin()``, with less machinery per
    call: the transaction begins with the first statement (autobegin; nothing reaches
    the database before it), and commit and close share one trip through SQLAlchemy's
    greenlet bridge. On an exception the session is closed, which rolls back, in a
    task of its own that a cancellation cannot abandon halfway (as ``AsyncSession``
    does on exit).
    """
    session = sessions()
    try:
        yield session
    except BaseException:
        await session.__aexit__(None, None, None)
        raise
    # Not shielded, like AsyncSessionTransaction's commit: a cancellation during COMMIT
    # fails the request; close() still runs (finally) and returns the connection.
    await greenlet_spawn(_commit_and_close, session.sync_session)


class ReadOnlyViolation(RuntimeError):
    """A write was attempted in a :func:`read_only` session."""


def _refuse_writes(
    conn: Connection,
    cursor: Any,
    statement: str,
    parameters: Any,
    context: ExecutionContext | None,
    executemany: bool,
) -> None:
    if isinstance(context, DefaultExecutionContext) and (
        context.isinsert or context.isupdate or context.isdelete
    ):
        raise ReadOnlyViolation(
            "read_only() sessions run each statement in autocommit: writes belong in "
            "unit_of_work(), where they commit together with their outbox events"
        )


_autocommit_binds: weakref.WeakKeyDictionary[SessionFactory, AsyncEngine] = (
    weakref.WeakKeyDictionary()
)


def _autocommit_bind(sessions: SessionFactory) -> AsyncEngine:
    bind = _autocommit_binds.get(sessions)
    if bind is None:
        engine = sessions.kw["bind"]
        if not isinstance(engine, AsyncEngine):
            raise TypeError("read_only() needs a session factory bound to an AsyncEngine")
        # Shares the engine's pool; the isolation level is set on checkout and reset on
        # checkin (for asyncpg, a flag: no round trip either way). The write guard is
        # this engine's own listener: sessions on the engine itself do not see it.
        bind = engine.execution_options(isolation_level="AUTOCOMMIT")
        event.listen(bind.sync_engine, "before_cursor_execute", _refuse_writes)
        _autocommit_binds[sessions] = bind
    return bind


@asynccontextmanager
async def read_only(sessions: SessionFactory) -> AsyncIterator[AsyncSession]:
    """A session for reads, without BEGIN and COMMIT round trips around them.

    Each statement runs on its own (autocommit), so a read costs one round trip
    instead of three. For a single SELECT this is exactly what a transaction around it
    would give; several SELECTs each see the data as of their own start, which is also
    what PostgreSQL's default READ COMMITTED gives inside a transaction, but they are
    not one snapshot and take no locks across statements (no ``FOR UPDATE``: that needs
    :func:`unit_of_work`). INSERT, UPDATE and DELETE statements (SQLAlchemy's, and so
    flushes of ORM changes) are refused before they reach the database; SQL written as
    text is not inspected.
    """
    session = sessions(bind=_autocommit_bind(sessions))
    try:
        yield session
    except BaseException:
        await session.__aexit__(None, None, None)
        raise
    # Nothing to roll back: closing returns the connection without a round trip.
    await greenlet_spawn(session.sync_session.close)


# --- hot-path reads ---------------------------------------------------------------------

_ASYNCPG = PGDialect_asyncpg()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class PreparedRead:
    """A SELECT compiled once to asyncpg's SQL (``$1``, ``$2``, …) for :func:`fetch_row`.

    Built from a SQLAlchemy statement, so the SQL still lives in one place (the
    repository); what is skipped per call is SQLAlchemy's per-statement work: cache-key
    generation, the execution context, the session and result machinery (about 150 µs).
    Parameters are named as in the statement's bind parameters.
    """

    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, statement: ClauseElement) -> PreparedRead:
        compiled = statement.compile(dialect=_ASYNCPG)
        sql = str(compiled)
        if "__[POSTCOMPILE" in sql:
            raise ValueError("expanding parameters (IN lists) cannot be precompiled; use ANY")
        return cls(sql, tuple(getattr(compiled, "positiontup", None) or ()))

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        if set(values) != set(self.names):
            raise TypeError(f"this statement takes {sorted(self.names)}, got {sorted(values)}")
        return [values[name] for name in self.names]


async def fetch_row(
    sessions: SessionFactory, statement: PreparedRead, /, **values: Any
) -> asyncpg.Record | None:
    """Run one precompiled SELECT on a connection of the engine's pool; its first row.

    The hot-path read: no session and no transaction (a single SELECT in autocommit is
    its own snapshot, as in :func:`read_only`), one round trip, straight through asyncpg
    with the codecs SQLAlchemy's dialect installed on the connection (JSON decoded).
    Rows are ``asyncpg.Record`` objects: read them by column name. Reads only; anything that
    needs a lock or several statements belongs in :func:`unit_of_work`.
    """
    pool = _engine_of(sessions).sync_engine.pool
    connection = await greenlet_spawn(pool.connect)
    driver: asyncpg.Connection = connection.driver_connection
    try:
        row: asyncpg.Record | None = await driver.fetchrow(statement.sql, *statement.args(values))
    except (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError) as exc:
        # The connection is gone or unusable: do not hand it to the next request, nor
        # any connection opened before it (the server likely restarted: they are all
        # dead), as SQLAlchemy does itself when a statement finds its connection closed.
        await greenlet_spawn(pool._invalidate, connection, exc)
        raise
    except asyncpg.PostgresError as exc:
        if is_database_unavailable(exc):  # shut down under it, or refusing sessions
            await greenlet_spawn(pool._invalidate, connection, exc)
        raise
    finally:
        await greenlet_spawn(connection.close)
    return row


def _engine_of(sessions: SessionFactory) -> AsyncEngine:
    engine = sessions.kw["bind"]
    if not isinstance(engine, AsyncEngine):
        raise TypeError("fetch_row() needs a session factory bound to an AsyncEngine")
    return engine


async def copy_records(
    session: AsyncSession, table: str, columns: Sequence[str], records: Iterable[Sequence[Any]]
) -> None:
    """Write ``records`` (tuples in ``columns`` order) into ``table`` with one COPY, in the
    session's transaction: the bulk write of thousands of rows, which a multi-row INSERT
    does several times slower (parameters processed in Python, rows bound one by one).

    The session must have begun its transaction (a statement ran on it): COPY runs on the
    same connection, and outside a transaction it would commit on its own. A constraint
    violation raises SQLAlchemy's ``IntegrityError``, as an INSERT would, so savepoints
    and retries written for inserts work unchanged.
    """
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    if not driver.is_in_transaction():
        raise RuntimeError("copy_records needs the session's transaction to have begun")
    try:
        await driver.copy_records_to_table(table, records=records, columns=list(columns))
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(f"COPY {table}", None, exc) from exc
