"""Telling "the database is unreachable" apart from every other database error.

A request that fails because PostgreSQL is down, restarting or out of connections is
not the client's fault nor a bug: it is answered 503 with ``Retry-After``, and a
consumer waits for the database instead of spending its retries and parking the event.
Everything else (a constraint, a bad statement, a cancelled query) stays what it is.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc as sa_exc

# How long a client is asked to wait before retrying: PostgreSQL restarted by its
# supervisor (or failed over) is usually back within seconds.
RETRY_AFTER_SECONDS = 5

# SQLSTATE class 08 (connection exception) and the operator's interventions that end or
# refuse sessions: shutdown, crash, "the database system is starting up"; and no free
# connection slot. Not 57014 (query_canceled): a statement timeout is not an outage.
_UNAVAILABLE_POSTGRES_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)

# OSErrors about files, not the network: those are bugs or deployment faults (500).
_LOCAL_OS_ERRORS = (
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
)


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the database cannot be reached now."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if _says_unavailable(current):
            return True
        todo.extend((current.__cause__, current.__context__))
        if isinstance(current, sa_exc.DBAPIError) and isinstance(current.orig, BaseException):
            todo.append(current.orig)
    return False


def _says_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(exc, _UNAVAILABLE_POSTGRES_ERRORS):
        return True
    if isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc):
        return True
    # Connecting to a server that is down: refused, reset, unreachable (asyncio raises
    # a bare OSError when every address of a host refused).
    return isinstance(exc, OSError) and not isinstance(exc, _LOCAL_OS_ERRORS)
