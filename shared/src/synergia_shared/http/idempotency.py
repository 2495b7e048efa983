"""Idempotency-Key for creates: a retried POST gets the first answer, not a second effect."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header, Request, Response
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "AsyncSession",
    "IdempotencyKey",
    "IdempotentCreate",
    "StoredResponse",
    "request_fingerprint",
    "run_once",
]

from synergia_shared.db import SessionFactory, unit_of_work
from synergia_shared.http.problems import ProblemException
from synergia_shared.messaging.tables import idempotency_keys

MAX_KEY_LENGTH = 255

# The header of every write that can be retried safely: its length declared as checked.
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Any unique string (a UUID, say): a retry with the same key returns the "
        "first answer instead of acting twice; the same key with another request is a 422.",
    ),
]


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: bytes
    headers: dict[str, str]


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), body])).hexdigest()


def check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ProblemException(
            422,
            "validation-error",
            "Request validation failed",
            f"header.Idempotency-Key: must be 1 to {MAX_KEY_LENGTH} characters",
            errors=[{"loc": ["header", "Idempotency-Key"], "msg": "invalid length"}],
        )


async def find(
    session: AsyncSession, principal: str, key: str, fingerprint: str
) -> StoredResponse | None:
    """The stored answer for this key, or ``None``; 422 if the key came with another request."""
    row = (
        await session.execute(
            select(idempotency_keys).where(
                idempotency_keys.c.principal == principal, idempotency_keys.c.key == key
            )
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise ProblemException(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            "header.Idempotency-Key: this key was used with a different request",
            errors=[{"loc": ["header", "Idempotency-Key"], "msg": "used with a different request"}],
        )
    return StoredResponse(row.status_code, row.response_body, dict(row.response_headers))


async def save(
    session: AsyncSession, principal: str, key: str, fingerprint: str, response: StoredResponse
) -> bool:
    """Store the answer in the caller's transaction; ``False`` if a concurrent twin won."""
    inserted = await session.scalar(
        pg_insert(idempotency_keys)
        .values(
            principal=principal,
            key=key,
            request_hash=fingerprint,
            status_code=response.status_code,
            response_body=response.body,
            response_headers=response.headers,
        )
        .on_conflict_do_nothing()
        .returning(idempotency_keys.c.key)
    )
    return inserted is not None


class _TwinWon(Exception):
    pass


async def run_once(
    sessions: SessionFactory,
    *,
    principal: str,
    key: str | None,
    fingerprint: str,
    create: Callable[[AsyncSession], Awaitable[StoredResponse]],
) -> tuple[StoredResponse, bool]:
    """Run ``create`` in one transaction, at most once per (principal, key).

    Returns the response and whether it is a replay of an earlier one. The key is
    stored in the same transaction as the effect, so a crash leaves neither.
    """
    if key is None:
        async with unit_of_work(sessions) as session:
            return await create(session), False
    check_key(key)
    try:
        async with unit_of_work(sessions) as session:
            stored = await find(session, principal, key, fingerprint)
            if stored is not None:
                return stored, True
            response = await create(session)
            if not await save(session, principal, key, fingerprint, response):
                raise _TwinWon  # roll our effect back; the twin's answer stands
            return response, False
    except _TwinWon:
        async with unit_of_work(sessions) as session:
            stored = await find(session, principal, key, fingerprint)
        assert stored is not None
        return stored, True


class IdempotentCreate:
    """The HTTP side of :func:`run_once` for one request: a replayed answer says so in a
    header. Routes take it as their transaction kind (``http.transactions.Idempotent``)."""

    __slots__ = ("_request", "_sessions")

    def __init__(self, request: Request, sessions: SessionFactory) -> None:
        self._request = request
        self._sessions = sessions

    async def respond(
        self,
        principal: str,
        key: str | None,
        create: Callable[[AsyncSession], Awaitable[StoredResponse]],
    ) -> Response:
        """Run ``create`` at most once per (principal, key) and answer what it stored.

        Without an ``Idempotency-Key`` nothing is looked up or stored (and the body is
        not hashed): ``create`` runs in one transaction and its answer is sent.
        """
        if key is None:
            async with unit_of_work(self._sessions) as session:
                stored = await create(session)
            return Response(
                stored.body, stored.status_code, stored.headers, media_type="application/json"
            )
        request = self._request
        stored, replayed = await run_once(
            self._sessions,
            principal=principal,
            key=key,
            fingerprint=request_fingerprint(request.method, request.url.path, await request.body()),
            create=create,
        )
        headers = dict(stored.headers)
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(stored.body, stored.status_code, headers, media_type="application/json")
