"""The database access a route declares: each kind opens what the route needs, no more.

A route names its kind in its signature (``session: ReadOnly``), so the kind is part of
the route's declaration, visible where the route is, and the handler's body holds no
session plumbing:

- :data:`ReadOnly`: statements in autocommit, writes refused (:func:`db.read_only`). The
  kind of every GET.
- :data:`Snapshot`: one REPEATABLE READ, READ ONLY transaction (:func:`db.snapshot`), for
  a report whose figures must describe the same state.
- :data:`Write`: one unit of work (:func:`db.unit_of_work`), committed after the handler
  returns and before the response is sent, rolled back if the handler raises; a failed
  commit answers as any database error does (503 while PostgreSQL is away).
- :data:`Rows`: single precompiled SELECTs outside any session (:class:`db.RowReader`):
  the hot path, where a session's machinery is most of the cost. :func:`authorised_rows`
  gives them with the principal a role check let through, as one dependency.
- :data:`Idempotent`: a create made safe to retry by an ``Idempotency-Key``
  (:mod:`idempotency`), which opens its transactions itself: the effect and the stored
  answer commit together, and a twin that lost the race reads the winner's answer in a
  second transaction.
- :data:`OwnTransactions`: the session factory, for a use case that commits in several
  transactions of its own (an import by chunks, a computation kept out of its locks).

The session kinds end with the handler (``scope="function"``), not after the response
is sent, which is FastAPI's default for dependencies with ``yield``: an answer never
leaves before its transaction committed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_shared.db import RowReader, SessionFactory, read_only, snapshot, unit_of_work
from synergia_shared.http.auth import Principal, Role, require_then
from synergia_shared.http.idempotency import IdempotentCreate

__all__ = [
    "AuthorisedRows",
    "Idempotent",
    "OwnTransactions",
    "ReadOnly",
    "Rows",
    "Snapshot",
    "Write",
    "authorised_rows",
]


def _sessions(request: Request) -> SessionFactory:
    sessions: SessionFactory = request.app.state.sessions
    return sessions


# The dependencies are coroutines (or async generators): FastAPI runs a plain function in
# a worker thread, a hop that would cost more than the work.


async def _read_only(request: Request) -> AsyncIterator[AsyncSession]:
    async with read_only(_sessions(request)) as session:
        yield session


async def _snapshot(request: Request) -> AsyncIterator[AsyncSession]:
    async with snapshot(_sessions(request)) as session:
        yield session


async def _write(request: Request) -> AsyncIterator[AsyncSession]:
    async with unit_of_work(_sessions(request)) as session:
        yield session


async def _rows(request: Request) -> RowReader:
    return RowReader(_sessions(request))


@dataclass(frozen=True, slots=True)
class AuthorisedRows:
    """Who asks, let through by a role check, and :data:`Rows` to answer from."""

    principal: Principal
    rows: RowReader


def _with_rows(principal: Principal, request: Request) -> AuthorisedRows:
    return AuthorisedRows(principal, RowReader(_sessions(request)))


def authorised_rows(*roles: Role) -> Callable[..., Awaitable[AuthorisedRows]]:
    """A principal holding one of ``roles`` and :data:`Rows`, as one dependency (see
    ``auth.require_then``): for the hottest reads (``GET /v1/actors/{id}``)."""
    return require_then(_with_rows, *roles)


async def _idempotent(request: Request) -> IdempotentCreate:
    return IdempotentCreate(request, _sessions(request))


async def _own_transactions(request: Request) -> SessionFactory:
    return _sessions(request)


ReadOnly = Annotated[AsyncSession, Depends(_read_only, scope="function")]
Snapshot = Annotated[AsyncSession, Depends(_snapshot, scope="function")]
Write = Annotated[AsyncSession, Depends(_write, scope="function")]
Rows = Annotated[RowReader, Depends(_rows)]
Idempotent = Annotated[IdempotentCreate, Depends(_idempotent)]
OwnTransactions = Annotated[SessionFactory, Depends(_own_transactions)]
