"""unit_of_work commits or rolls back; read_only sessions run in autocommit and refuse writes.

The order of commit and close is checked with a stand-in session; what reaches
PostgreSQL, on a real one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from synergia_shared.db import (
    ReadOnlyViolation,
    SessionFactory,
    create_session_factory,
    read_only,
    unit_of_work,
)

from tests.support.stack import TestStack

things = Table("things", MetaData(), Column("id", Integer, primary_key=True))


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "orm_things"
    id: Mapped[int] = mapped_column(primary_key=True)


class FakeSyncSession:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def commit(self) -> None:
        self.calls.append("commit")

    def close(self) -> None:
        self.calls.append("close")


class FakeSession:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls
        self.sync_session = FakeSyncSession(calls)

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

    class FailingCommit(FakeSyncSession):
        def commit(self) -> None:
            raise RuntimeError("commit failed")

    def sessions() -> FakeSession:
        session = FakeSession(calls)
        session.sync_session = FailingCommit(calls)
        return session

    with pytest.raises(RuntimeError, match="commit failed"):
        async with unit_of_work(sessions):  # type: ignore[arg-type]
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
