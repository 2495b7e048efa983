"""The kinds of database access: unit_of_work commits or rolls back; read_only sessions
run in autocommit and refuse writes; a snapshot is one read-only repeatable-read
transaction; a RowReader reads one row outside any session.

The order of commit and close is checked with a stand-in session; what reaches
PostgreSQL, on a real one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import NullPool
from synergia_shared.db import (
    PreparedRead,
    ReadOnlyViolation,
    RowReader,
    SessionFactory,
    create_session_factory,
    read_only,
    snapshot,
    unit_of_work,
)
from synergia_shared.db_outage import is_database_unavailable

from tests.support.stack import TestStack

things = Table("things", MetaData(), Column("id", Integer, primary_key=True))


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "orm_things"
    id: Mapped[int] = mapped_column(primary_key=True)


class FakeSession:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    async def commit(self) -> None:
        self.calls.append("commit")

    async def close(self) -> None:
        self.calls.append("close")

    async def __aenter__(self) -> FakeSession:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.calls.append("close (rolls back)")


def fake_sessions(calls: list[str]) -> SessionFactory:
    return lambda: FakeSession(calls)  # type: ignore[return-value]


async def test_the_unit_of_work_commits_then_closes() -> None:
    calls: list[str] = []
    async with unit_of_work(fake_sessions(calls)) as session:
        assert isinstance(session, FakeSession)
        calls.append("work")
    assert calls == ["work", "commit", "close"]


async def test_the_unit_of_work_rolls_back_on_an_error_and_never_commits() -> None:
    calls: list[str] = []

    async def failing_work() -> None:
        async with unit_of_work(fake_sessions(calls)):
            calls.append("work")
            raise ValueError("nope")

    with pytest.raises(ValueError, match="nope"):
        await failing_work()
    assert calls == ["work", "close (rolls back)"]


async def test_a_failed_commit_still_closes() -> None:
    calls: list[str] = []

    class FailingCommit(FakeSession):
        async def commit(self) -> None:
            raise RuntimeError("commit failed")

    with pytest.raises(RuntimeError, match="commit failed"):
        async with unit_of_work(lambda: FailingCommit(calls)):  # type: ignore[arg-type,return-value]
            pass
    assert calls == ["close"]


@pytest.fixture
async def sessions(stack: TestStack) -> AsyncIterator[SessionFactory]:
    engine = create_async_engine(stack.database_url("funding"), pool_size=2, max_overflow=0)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE things (id int PRIMARY KEY)"))
        await conn.execute(text("CREATE TABLE orm_things (id int PRIMARY KEY)"))
        await conn.execute(text("INSERT INTO things VALUES (1)"))
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def ids_in(sessions: SessionFactory) -> list[int]:
    async with read_only(sessions) as session:
        return list((await session.scalars(select(things.c.id).order_by(things.c.id))).all())


XID = text("SELECT txid_current()")


async def test_a_unit_of_work_is_one_transaction(sessions: SessionFactory) -> None:
    async with unit_of_work(sessions) as session:
        first = await session.scalar(XID)
        await session.execute(insert(things).values(id=2))
        assert await session.scalar(XID) == first
    assert await ids_in(sessions) == [1, 2]


async def test_a_failed_unit_of_work_leaves_nothing(sessions: SessionFactory) -> None:
    async def failing() -> None:
        async with unit_of_work(sessions) as session:
            await session.execute(insert(things).values(id=3))
            raise ValueError("nope")

    with pytest.raises(ValueError, match="nope"):
        await failing()
    assert await ids_in(sessions) == [1]


async def test_read_only_statements_each_run_on_their_own(sessions: SessionFactory) -> None:
    async with read_only(sessions) as session:
        assert await session.scalar(select(things.c.id)) == 1
        # No transaction around them: every statement gets a transaction of its own.
        assert await session.scalar(XID) != await session.scalar(XID)
    # The connection went back to the pool as it came: the next unit is one transaction.
    async with unit_of_work(sessions) as session:
        assert await session.scalar(XID) == await session.scalar(XID)


async def test_read_only_binds_are_made_once_on_the_same_pool(sessions: SessionFactory) -> None:
    async with read_only(sessions) as first, read_only(sessions) as second:
        assert first.bind is second.bind
        assert first.bind.get_execution_options()["isolation_level"] == "AUTOCOMMIT"
        assert first.bind.sync_engine.pool is sessions.kw["bind"].sync_engine.pool


@pytest.mark.parametrize(
    "statement",
    [
        insert(things).values(id=9),
        update(things).values(id=9),
        delete(things),
        insert(things).values(id=9).returning(things.c.id),
    ],
    ids=["insert", "update", "delete", "insert-returning"],
)
async def test_read_only_sessions_refuse_writes(sessions: SessionFactory, statement: Any) -> None:
    async def write() -> None:
        async with read_only(sessions) as session:
            await session.execute(statement)

    with pytest.raises(ReadOnlyViolation):
        await write()
    assert await ids_in(sessions) == [1]


async def test_read_only_sessions_refuse_to_flush_changes(sessions: SessionFactory) -> None:
    async def flush_a_change() -> None:
        async with read_only(sessions) as session:
            session.add(Thing(id=1))
            await session.flush()

    with pytest.raises(ReadOnlyViolation):
        await flush_a_change()
    async with read_only(sessions) as session:
        assert await session.scalar(select(func.count()).select_from(Thing)) == 0


SETTINGS = text(
    "SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')"
)


async def test_a_snapshot_is_one_read_only_repeatable_read_transaction(
    sessions: SessionFactory,
) -> None:
    async with snapshot(sessions) as session:
        assert tuple((await session.execute(SETTINGS)).one()) == ("repeatable read", "on")
        assert await session.scalar(XID) == await session.scalar(XID)
    # The connection went back to the pool as it came: the next units read and write,
    # whichever of the pool's (two at most) connections they get.
    for _ in range(2):
        async with unit_of_work(sessions) as session:
            assert tuple((await session.execute(SETTINGS)).one()) == ("read committed", "off")


async def test_a_snapshot_does_not_see_what_commits_after_its_first_statement(
    sessions: SessionFactory,
) -> None:
    async with snapshot(sessions) as session:
        assert await ids_in_session(session) == [1]
        async with unit_of_work(sessions) as writer:
            await writer.execute(insert(things).values(id=2))
        assert await ids_in_session(session) == [1]
    assert await ids_in(sessions) == [1, 2]


async def test_postgresql_refuses_writes_in_a_snapshot(sessions: SessionFactory) -> None:
    async def write() -> None:
        async with snapshot(sessions) as session:
            await session.execute(insert(things).values(id=4))

    with pytest.raises(DBAPIError, match="read-only transaction"):
        await write()
    assert await ids_in(sessions) == [1]


async def ids_in_session(session: AsyncSession) -> list[int]:
    return list((await session.scalars(select(things.c.id).order_by(things.c.id))).all())


async def test_a_row_reader_answers_the_first_row_or_none(sessions: SessionFactory) -> None:
    by_id = PreparedRead.of(select(things.c.id).where(things.c.id == bindparam("id")))
    rows = RowReader(sessions)
    found = await rows.fetch_row(by_id, id=1)
    assert found is not None
    assert found["id"] == 1
    assert await rows.fetch_row(by_id, id=2) is None
    with pytest.raises(TypeError, match="takes \\['id'\\]"):
        await rows.fetch_row(by_id, key=1)


async def test_a_cancelled_row_read_gives_its_connection_back(sessions: SessionFactory) -> None:
    """A read cancelled while PostgreSQL works on it (the client went away) returns its
    connection to the pool, which serves the next read."""
    slow = PreparedRead.of(select(func.pg_sleep(bindparam("seconds", type_=Integer))))
    by_id = PreparedRead.of(select(things.c.id).where(things.c.id == bindparam("id")))
    rows = RowReader(sessions)
    pool = sessions.kw["bind"].sync_engine.pool
    read = asyncio.create_task(rows.fetch_row(slow, seconds=30))
    while pool.checkedout() == 0:
        await asyncio.sleep(0.01)
    read.cancel()
    with pytest.raises(asyncio.CancelledError):
        await read
    assert pool.checkedout() == 0
    found = await asyncio.wait_for(rows.fetch_row(by_id, id=1), timeout=10)
    assert found is not None
    assert found["id"] == 1


async def test_a_row_reader_drops_the_pool_s_connections_once_one_is_found_dead(
    sessions: SessionFactory,
) -> None:
    by_id = PreparedRead.of(select(things.c.id).where(things.c.id == bindparam("id")))
    rows = RowReader(sessions)
    await asyncio.gather(rows.fetch_row(by_id, id=1), rows.fetch_row(by_id, id=1))
    assert sessions.kw["bind"].sync_engine.pool.checkedin() == 2
    # Every backend of the pool is killed, as a restart of PostgreSQL would.
    async with create_async_engine(sessions.kw["bind"].url, poolclass=NullPool).connect() as killer:
        await killer.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    with pytest.raises((OSError, asyncpg.InterfaceError, asyncpg.PostgresError)):
        await rows.fetch_row(by_id, id=1)
    # The next reads get fresh connections: none fails on a connection the kill closed.
    for _ in range(3):
        found = await rows.fetch_row(by_id, id=1)
        assert found is not None
        assert found["id"] == 1


async def test_a_row_reader_takes_a_protocol_broken_by_a_server_exit_as_a_dead_connection(
    sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # asyncpg raises InternalClientError ("cannot switch to state 12; another operation
    # is in progress") when a backend's termination notice meets the statement: seen in
    # the kill test above, rarely. That read fails as unavailable (a 503 to a client),
    # and the connection is not handed out again.
    backend = PreparedRead.of(select(func.pg_backend_pid().label("pid")))
    rows = RowReader(sessions)
    before = await rows.fetch_row(backend)
    assert sessions.kw["bind"].sync_engine.pool.checkedin() == 1

    async def broken(self: asyncpg.Connection, *args: object) -> None:
        raise asyncpg.InternalClientError("cannot switch to state 12; another operation (2)")

    with monkeypatch.context() as patched:
        patched.setattr(asyncpg.Connection, "fetchrow", broken)
        with pytest.raises(ConnectionResetError) as failed:
            await rows.fetch_row(backend)
    assert is_database_unavailable(failed.value)
    after = await rows.fetch_row(backend)
    assert before is not None
    assert after is not None
    assert after["pid"] != before["pid"], "the broken connection was not used again"
