"""Async engine, sessions, and the kinds of database access: the unit of work, read-only
sessions, report snapshots, and hot-path reads (routes declare theirs: http.transactions)."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
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
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import await_, greenlet_spawn

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
        # A failed statement's exception (logged, stored as a dead letter's error) must
        # not carry its parameters: they can be personal data (a contact's name, e-mail).
        hide_parameters=True,
        connect_args={"server_settings": {"application_name": settings.service_name}},
    )


SessionFactory = async_sessionmaker[AsyncSession]


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


async def _discard(session: AsyncSession) -> None:
    """Close ``session``, which rolls back what it did, as leaving ``async with session``
    does: in a task of its own that a cancellation cannot abandon halfway."""
    async with session:
        pass


@asynccontextmanager
async def _committed(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """``session``'s work as one transaction: committed when the block ends, rolled back
    if it raises.

    Equivalent to ``async with session, session.begin()``, with less machinery per call:
    the transaction begins with the first statement (autobegin; nothing reaches the
    database before it), and a successful block closes the session without the task
    that ``async with`` spends on it.
    """
    try:
        yield session
    except BaseException:
        await _discard(session)
        raise
    # Not shielded, like AsyncSessionTransaction's commit: a cancellation during COMMIT
    # fails the request; close() still runs (finally) and returns the connection.
    try:
        await session.commit()
    finally:
        await session.close()


def unit_of_work(sessions: SessionFactory) -> AbstractAsyncContextManager[AsyncSession]:
    """One transaction: everything done on the session commits together or not at all.

    The outbox rides in the same transaction, so a state change and the events it
    causes are never separated.
    """
    return _committed(sessions())


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


# The engines read_only() and snapshot() bind their sessions to: the factory's engine with
# other execution options. They share its pool; the options are set on checkout and
# reset on checkin (for asyncpg, attributes of the connection: no round trip either way).
_AUTOCOMMIT = "autocommit"
_SNAPSHOT = "snapshot"
_BIND_OPTIONS: dict[str, dict[str, Any]] = {
    _AUTOCOMMIT: {"isolation_level": "AUTOCOMMIT"},
    # asyncpg opens the transaction with one BEGIN ISOLATION LEVEL REPEATABLE READ READ
    # ONLY: no SET TRANSACTION round trip after it.
    _SNAPSHOT: {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True},
}
_binds: weakref.WeakKeyDictionary[SessionFactory, dict[str, AsyncEngine]] = (
    weakref.WeakKeyDictionary()
)


def _bind(sessions: SessionFactory, kind: str) -> AsyncEngine:
    binds = _binds.setdefault(sessions, {})
    bind = binds.get(kind)
    if bind is None:
        bind = _engine_of(sessions).execution_options(**_BIND_OPTIONS[kind])
        if kind == _AUTOCOMMIT:
            # This engine's own listener: sessions on the factory's engine do not see it.
            event.listen(bind.sync_engine, "before_cursor_execute", _refuse_writes)
        binds[kind] = bind
    return bind


@asynccontextmanager
async def read_only(sessions: SessionFactory) -> AsyncIterator[AsyncSession]:
    """A session for reads, without BEGIN and COMMIT round trips around them.

    Each statement runs on its own (autocommit), so a read costs one round trip
    instead of three. For a single SELECT this is exactly what a transaction around it
    would give; several SELECTs each see the data as of their own start, which is also
    what PostgreSQL's default READ COMMITTED gives inside a transaction, but they are
    not one snapshot (that is :func:`snapshot`) and take no locks across statements (no
    ``FOR UPDATE``: that needs :func:`unit_of_work`). INSERT, UPDATE and DELETE
    statements (SQLAlchemy's, and so flushes of ORM changes) are refused before they
    reach the database; SQL written as text is not inspected.
    """
    session = sessions(bind=_bind(sessions, _AUTOCOMMIT))
    try:
        yield session
    except BaseException:
        await _discard(session)
        raise
    # Nothing to roll back: closing returns the connection without a round trip.
    await session.close()


def snapshot(sessions: SessionFactory) -> AbstractAsyncContextManager[AsyncSession]:
    """One read-only transaction that sees the database as of its first statement.

    For a report whose figures must describe the same state (totals, shares and flags
    of one ledger) even while writers commit between its queries: REPEATABLE READ, so
    every statement reads the snapshot the first one took, and READ ONLY, so PostgreSQL
    refuses any write in it. Costs the BEGIN and COMMIT round trips :func:`read_only`
    saves; a view of a single SELECT does not need it.
    """
    return _committed(sessions(bind=_bind(sessions, _SNAPSHOT)))


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


class RowReader:
    """Runs precompiled SELECTs for one row each, outside any session and transaction.

    The hot-path read: no session and no transaction (a single SELECT in autocommit is
    its own snapshot, as in :func:`read_only`), one round trip, straight through asyncpg
    with the codecs SQLAlchemy's dialect installed on the connection (JSON decoded).
    What it can do is all it offers: nothing here opens a transaction or writes.

    It crosses SQLAlchemy's greenlet bridge once per read: the pooled connection is
    checked out, the statement awaited (``await_``, as SQLAlchemy's own asyncpg adapter
    awaits every statement) and the connection returned to the pool in one
    ``greenlet_spawn``. The pool may do I/O through the asyncpg adapter while checking
    out or in (open or close a connection), which only works inside that bridge. Two
    crossings (``AsyncEngine.raw_connection``, then ``greenlet_spawn(close)``) cost
    ~8 µs more CPU per read; the public way, an ``AsyncConnection`` around the pooled
    one, costs 20 to 40 µs more. ``Pool._invalidate`` remains, see :meth:`_invalidate`.
    """

    __slots__ = ("_engine",)

    def __init__(self, sessions: SessionFactory) -> None:
        self._engine = _engine_of(sessions)

    async def fetch_row(self, statement: PreparedRead, /, **values: Any) -> asyncpg.Record | None:
        """The first row of ``statement`` (``None`` if none), on a connection of the
        engine's pool. Rows are ``asyncpg.Record`` objects: read them by column name.
        Anything that needs a lock or several statements belongs in :func:`unit_of_work`.
        """
        row: asyncpg.Record | None = await greenlet_spawn(
            self._fetch_row, statement.sql, statement.args(values)
        )
        return row

    def _fetch_row(self, sql: str, args: Sequence[Any]) -> asyncpg.Record | None:
        """:meth:`fetch_row` inside the bridge: check out, await the row, check in."""
        pooled = self._engine.sync_engine.raw_connection()
        driver: asyncpg.Connection = pooled.driver_connection
        try:
            row: asyncpg.Record | None = await_(driver.fetchrow(sql, *args))
        except (OSError, asyncpg.InterfaceError, asyncpg.PostgresConnectionError) as exc:
            self._invalidate(pooled, exc)
            raise
        except asyncpg.InternalClientError as exc:
            # The server ended the session under the read (a restart: its termination
            # notice met the statement) and the protocol is in no state to go on. The
            # connection is as dead as a closed one, and the read may be retried.
            self._invalidate(pooled, exc)
            raise ConnectionResetError(f"the database connection broke mid-read: {exc}") from exc
        except asyncpg.PostgresError as exc:
            if is_database_unavailable(exc):  # shut down under it, or refusing sessions
                self._invalidate(pooled, exc)
            raise
        finally:
            pooled.close()
        return row

    def _invalidate(self, pooled: PoolProxiedConnection, exc: BaseException) -> None:
        """The connection is gone or unusable: hand neither it nor any connection opened
        before it to the next request (the server likely restarted: they are all dead).

        SQLAlchemy does so itself when a statement it runs finds its connection closed,
        by calling ``Pool._invalidate`` (``Connection._handle_dbapi_exception``); these
        reads bypass it, and no public API marks a pool's older connections stale
        (``Pool.dispose`` leaves the checked-out ones in use, ``Engine.dispose`` swaps
        the pool under running requests). Without it every pooled connection would fail
        a request of its own after an outage.
        """
        self._engine.sync_engine.pool._invalidate(pooled, exc)


def _engine_of(sessions: SessionFactory) -> AsyncEngine:
    engine = sessions.kw["bind"]
    if not isinstance(engine, AsyncEngine):
        raise TypeError("the session factory must be bound to an AsyncEngine")
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
