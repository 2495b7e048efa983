"""The queries of a projection's shared-contact fetches (matching's profiles, funding's
beneficiaries): the pending fetches table, and storing what the registry gave.

A snapshot that says the actor has shared contacts asks for them in the consumer's own
transaction (a row in ``shared_contact_fetches``); the fetcher claims due rows, asks the
registry, and stores the answer under the actor's lock, where an erasure is applied too.
``generation`` grows with every request, so a fetch that was asked for again while it ran
leaves its row for another round instead of deleting it.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    Uuid,
    any_,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_shared.projections.actor_lifecycle import (
    NO_MARKS,
    LifecycleMarks,
    fetched_contacts_apply,
)

EMPTY_JSON_LIST = text("'[]'::jsonb")
FETCHES_TABLE = "shared_contact_fetches"


def contact_fetches_table(metadata: MetaData) -> Table:
    """The pending fetches: one row per actor whose shared contacts are to be fetched."""
    return Table(
        FETCHES_TABLE,
        metadata,
        Column("actor_id", Uuid, primary_key=True),
        Column("generation", BigInteger, nullable=False, server_default="1"),
        Column("requested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("due_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text, nullable=True),
        Index("ix_shared_contact_fetches_due", "due_at"),
    )


@dataclass(frozen=True)
class ContactTables:
    """One service's tables: the projection holding ``shared_contacts`` (jsonb) and
    ``shared_contacts_version`` per ``actor_id``, its lifecycle marks, its fetches."""

    holders: Table
    marks: Table
    fetches: Table


@dataclass(frozen=True)
class Claimed:
    actor_id: uuid.UUID
    generation: int
    attempts: int


async def lock_actor(session: AsyncSession, actor_id: uuid.UUID) -> None:
    """The per-actor lock the projections' consumers take (same key): a fetch is stored
    either before an erasure is applied or after it, never across it."""
    key = func.hashtextextended(str(actor_id), 0)
    await session.execute(select(func.pg_advisory_xact_lock(key)))


async def lock_actors(session: AsyncSession, actor_ids: Iterable[uuid.UUID]) -> None:
    """:func:`lock_actor` for several actors in one statement, in ascending key order,
    so two transactions locking overlapping sets cannot wait for each other."""
    ids = sorted({str(a) for a in actor_ids})
    if ids:
        await session.execute(
            text(
                "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT "
                "hashtextextended(a, 0) AS k FROM unnest(CAST(:ids AS text[])) AS a "
                "ORDER BY k) AS ordered"
            ),
            {"ids": ids},
        )


async def request_fetch(session: AsyncSession, tables: ContactTables, actor_id: uuid.UUID) -> None:
    """Ask for the actor's shared contacts to be fetched, now (again, if asked before)."""
    await request_fetches(session, tables, [actor_id])


@functools.cache
def _request_fetches(fetches: Table) -> Any:
    """One array parameter for the whole batch: the same statement (compiled and
    prepared once) whatever its size; a VALUES row per actor would be compiled anew."""
    statement = pg_insert(fetches).from_select(
        ["actor_id"], select(func.unnest(bindparam("ids", type_=ARRAY(Uuid))))
    )
    return statement.on_conflict_do_update(
        index_elements=[fetches.c.actor_id],
        set_={
            "generation": fetches.c.generation + 1,
            "requested_at": func.now(),
            "due_at": func.now(),
            "attempts": 0,
            "last_error": None,
        },
    )


async def request_fetches(
    session: AsyncSession, tables: ContactTables, actor_ids: Collection[uuid.UUID]
) -> None:
    """:func:`request_fetch` for several actors (each once) in one statement."""
    if actor_ids:
        await session.execute(_request_fetches(tables.fetches), {"ids": list(actor_ids)})


async def cancel_fetch(session: AsyncSession, tables: ContactTables, actor_id: uuid.UUID) -> None:
    await session.execute(delete(tables.fetches).where(tables.fetches.c.actor_id == actor_id))


async def drop_contacts(
    session: AsyncSession, tables: ContactTables, actor_id: uuid.UUID, sequence: int
) -> None:
    """Drop the stored contacts read before ``sequence`` (an erasure, or a snapshot
    without shared contacts) and the pending fetch: nothing of them is left to arrive.

    What is held then counts as read at ``sequence - 1``: an answer read before the
    change is no newer, so never stored; one read at ``sequence`` (after an erasure of
    one person, the contacts that remain) is."""
    holders = tables.holders
    stored = holders.c.shared_contacts_version
    await session.execute(
        update(holders)
        .where(
            holders.c.actor_id == actor_id,
            or_(stored.is_(None), stored < sequence),
            func.jsonb_array_length(holders.c.shared_contacts) > 0,
        )
        .values(
            shared_contacts=EMPTY_JSON_LIST,
            shared_contacts_version=sequence - 1,
            updated_at=func.now(),
        )
    )
    await cancel_fetch(session, tables, actor_id)


async def drop_contacts_of(
    session: AsyncSession, tables: ContactTables, changes: Sequence[tuple[uuid.UUID, int]]
) -> None:
    """:func:`drop_contacts` for several ``(actor, sequence)``, each actor once, in two
    statements."""
    if not changes:
        return
    ids = [a for a, _ in changes]
    holders = tables.holders
    stored = holders.c.shared_contacts_version
    # One array per column, zipped by unnest in the select list: one statement, one plan.
    dropped = select(
        func.unnest(bindparam("ids", ids, type_=ARRAY(Uuid))).label("actor_id"),
        func.unnest(bindparam("sequences", [s for _, s in changes], type_=ARRAY(Integer))).label(
            "sequence"
        ),
    ).subquery("dropped")
    await session.execute(
        update(holders)
        .where(
            holders.c.actor_id == dropped.c.actor_id,
            or_(stored.is_(None), stored < dropped.c.sequence),
            func.jsonb_array_length(holders.c.shared_contacts) > 0,
        )
        .values(
            shared_contacts=EMPTY_JSON_LIST,
            shared_contacts_version=dropped.c.sequence - 1,
            updated_at=func.now(),
        )
    )
    await session.execute(
        delete(tables.fetches).where(
            tables.fetches.c.actor_id == any_(bindparam("ids", ids, type_=ARRAY(Uuid)))
        )
    )


async def claim_due(
    session: AsyncSession, tables: ContactTables, limit: int, lease: timedelta
) -> list[Claimed]:
    """Up to ``limit`` due fetches, made due again only after ``lease`` (so another replica
    does not take them meanwhile, and a crashed fetcher's are taken up after it)."""
    fetches = tables.fetches
    due = (
        select(fetches.c.actor_id)
        .where(fetches.c.due_at <= func.now())
        .order_by(fetches.c.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    rows = await session.execute(
        update(fetches)
        .where(fetches.c.actor_id.in_(due))
        .values(due_at=func.now() + lease)
        .returning(fetches.c.actor_id, fetches.c.generation, fetches.c.attempts)
    )
    return [Claimed(r.actor_id, r.generation, r.attempts) for r in rows]


async def _marks(session: AsyncSession, tables: ContactTables, actor_id: uuid.UUID) -> Any:
    marks = tables.marks
    row = (
        await session.execute(
            select(marks.c.contacts_erased_at_sequence).where(marks.c.actor_id == actor_id)
        )
    ).first()
    return NO_MARKS if row is None else LifecycleMarks(None, row.contacts_erased_at_sequence)


async def store_fetched(
    session: AsyncSession,
    tables: ContactTables,
    claimed: Claimed,
    *,
    version: int,
    contacts: list[dict[str, Any]],
) -> bool:
    """Store what the registry gave at ``version``, unless an erasure seen since (or
    newer contacts) make it stale; the fetch is done either way. ``True`` if stored."""
    await lock_actor(session, claimed.actor_id)
    holders = tables.holders
    row = (
        await session.execute(
            select(holders.c.shared_contacts_version).where(holders.c.actor_id == claimed.actor_id)
        )
    ).first()
    stored = False
    marks = await _marks(session, tables, claimed.actor_id)
    if row is not None and fetched_contacts_apply(version, row.shared_contacts_version, marks):
        await session.execute(
            update(holders)
            .where(holders.c.actor_id == claimed.actor_id)
            .values(
                shared_contacts=contacts, shared_contacts_version=version, updated_at=func.now()
            )
        )
        stored = True
    await finish(session, tables, claimed)
    return stored


async def finish(session: AsyncSession, tables: ContactTables, claimed: Claimed) -> None:
    """The fetch is done, unless it was asked for again meanwhile."""
    fetches = tables.fetches
    await session.execute(
        delete(fetches).where(
            fetches.c.actor_id == claimed.actor_id, fetches.c.generation == claimed.generation
        )
    )


async def failed(
    session: AsyncSession, tables: ContactTables, claimed: Claimed, delay: float, error: str
) -> None:
    """Try again after ``delay`` seconds, unless it was asked for again meanwhile (then
    it is due already)."""
    fetches = tables.fetches
    await session.execute(
        update(fetches)
        .where(fetches.c.actor_id == claimed.actor_id, fetches.c.generation == claimed.generation)
        .values(
            attempts=fetches.c.attempts + 1,
            due_at=func.now() + timedelta(seconds=delay),
            last_error=error[:1000],
        )
    )


async def pending(session: AsyncSession, tables: ContactTables) -> int:
    return int(await session.scalar(select(func.count()).select_from(tables.fetches)) or 0)
