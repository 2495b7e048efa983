"""The transaction kinds a route declares (synergia_shared.http.transactions), on a real
PostgreSQL: a Write commits before the answer leaves and rolls back when the handler
raises; a ReadOnly session cannot write; a Snapshot is one read-only repeatable-read
transaction; Rows, Idempotent and OwnTransactions reach the same database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Response
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from synergia_shared.db import PreparedRead, SessionFactory, create_session_factory, read_only
from synergia_shared.http.idempotency import AsyncSession, IdempotencyKey, StoredResponse
from synergia_shared.http.problems import ProblemException, install_problem_handlers
from synergia_shared.http.transactions import (
    Idempotent,
    OwnTransactions,
    ReadOnly,
    Rows,
    Snapshot,
    Write,
)

from tests.support.stack import TestStack

things = Table("things", MetaData(), Column("id", Integer, primary_key=True))
BY_ID = PreparedRead.of(select(things.c.id).where(things.c.id == bindparam("id")))


def build_app(sessions: SessionFactory) -> FastAPI:
    app = FastAPI()
    app.state.sessions = sessions
    install_problem_handlers(app)

    @app.post("/things/{thing_id}", status_code=201)
    async def add(thing_id: int, session: Write) -> dict[str, int]:
        await session.execute(insert(things).values(id=thing_id))
        return {"id": thing_id}

    @app.post("/refused/{thing_id}")
    async def add_then_refuse(thing_id: int, session: Write) -> None:
        await session.execute(insert(things).values(id=thing_id))
        raise ProblemException(409, "conflict", "Conflict", "refused after writing")

    @app.post("/twins/{thing_id}")
    async def add_twin(thing_id: int, session: Write) -> dict[str, str]:
        # The unique constraint on twins is deferred: a duplicate fails at COMMIT only.
        await session.execute(text("INSERT INTO twins VALUES (:id)"), {"id": thing_id})
        return {"handler": "returned"}

    @app.get("/things")
    async def list_things(session: ReadOnly) -> list[int]:
        return list((await session.scalars(select(things.c.id).order_by(things.c.id))).all())

    @app.get("/things:write")
    async def write_in_a_read(session: ReadOnly) -> None:
        await session.execute(insert(things).values(id=99))

    @app.get("/snapshot")
    async def settings(session: Snapshot) -> list[str]:
        row = (
            await session.execute(
                text(
                    "SELECT current_setting('transaction_isolation'), "
                    "current_setting('transaction_read_only')"
                )
            )
        ).one()
        return [str(value) for value in row]

    @app.get("/things/{thing_id}")
    async def one(thing_id: int, rows: Rows) -> dict[str, int | None]:
        row = await rows.fetch_row(BY_ID, id=thing_id)
        return {"id": None if row is None else row["id"]}

    @app.post("/once/{thing_id}", status_code=201)
    async def add_once(
        thing_id: int, once: Idempotent, idempotency_key: IdempotencyKey = None
    ) -> Response:
        async def create(session: AsyncSession) -> StoredResponse:
            await session.execute(insert(things).values(id=thing_id))
            return StoredResponse(201, b'{"id": %d}' % thing_id, {})

        return await once.respond("tester", idempotency_key, create)

    @app.get("/factory")
    async def factory(sessions: OwnTransactions) -> bool:
        return sessions is app.state.sessions

    return app


@pytest.fixture
async def sessions(stack: TestStack) -> AsyncIterator[SessionFactory]:
    engine = create_async_engine(stack.database_url("funding"), pool_size=2, max_overflow=0)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE things (id int PRIMARY KEY)"))
        await conn.execute(
            text("CREATE TABLE twins (id int, UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)")
        )
        await conn.execute(text("INSERT INTO things VALUES (1)"))
        await conn.execute(text("INSERT INTO twins VALUES (1)"))
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def client(sessions: SessionFactory) -> AsyncIterator[httpx.AsyncClient]:
    # The catch-all problem handler answers a 500 and re-raises, for the server's log.
    transport = httpx.ASGITransport(app=build_app(sessions), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kinds") as client:
        yield client


async def ids_in(sessions: SessionFactory) -> list[int]:
    async with read_only(sessions) as session:
        return list((await session.scalars(select(things.c.id).order_by(things.c.id))).all())


async def test_a_write_is_committed_when_its_answer_arrives(
    client: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    response = await client.post("/things/2")
    assert response.status_code == 201
    assert await ids_in(sessions) == [1, 2]


async def test_a_write_whose_handler_raises_leaves_nothing(
    client: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    response = await client.post("/refused/3")
    assert response.status_code == 409
    assert response.json()["detail"] == "refused after writing"
    assert await ids_in(sessions) == [1]


async def test_a_write_whose_commit_fails_is_not_answered_as_a_success(
    client: httpx.AsyncClient,
) -> None:
    # Were the transaction to end after the answer was sent (FastAPI's default for a
    # dependency with yield), the client would read the handler's 200 here.
    response = await client.post("/twins/1")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_read_only_session_refuses_writes(
    client: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    assert (await client.get("/things")).json() == [1]
    assert (await client.get("/things:write")).status_code == 500
    assert await ids_in(sessions) == [1]


async def test_a_snapshot_is_read_only_and_repeatable_read(client: httpx.AsyncClient) -> None:
    assert (await client.get("/snapshot")).json() == ["repeatable read", "on"]


async def test_rows_idempotent_and_own_transactions_reach_the_same_database(
    client: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    assert (await client.get("/things/1")).json() == {"id": 1}
    assert (await client.get("/things/2")).json() == {"id": None}
    first = await client.post("/once/5", headers={"Idempotency-Key": "the-key"})
    again = await client.post("/once/5", headers={"Idempotency-Key": "the-key"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await ids_in(sessions) == [1, 5]
    assert (await client.get("/factory")).json() is True
