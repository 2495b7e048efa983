"""Every query on the beneficiaries projection and its lifecycle marks."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ARRAY, Row, Uuid, any_, bindparam, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.projections import contact_fetches, snapshot_upserts
from synergia_shared.projections.actor_lifecycle import ContactsAction, LifecycleMarks

from synergia_funding.beneficiaries.models import (
    CONTACT_TABLES,
    actor_lifecycle_marks,
    beneficiaries,
)


def _uuids(ids: Iterable[uuid.UUID]) -> Any:
    """One array parameter: an IN list would be a new statement for every batch size."""
    return bindparam("ids", list(ids), type_=ARRAY(Uuid))


async def lock_actor(session: AsyncSession, actor_id: uuid.UUID) -> None:
    """Serialise the events of one actor until the transaction ends.

    The Kafka consumer and a dead-letter replay (applied in an admin request) may handle
    events of the same actor at once; without the lock an erasure could miss a row
    that a concurrent registration is inserting, and the contacts would stay.
    """
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


async def marks_of(
    session: AsyncSession, actor_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, LifecycleMarks]:
    """The marks of those of ``actor_ids`` that have any, in one statement."""
    if not actor_ids:
        return {}
    rows = await session.execute(
        select(
            actor_lifecycle_marks.c.actor_id,
            actor_lifecycle_marks.c.deactivated_at_sequence,
            actor_lifecycle_marks.c.contacts_erased_at_sequence,
        ).where(actor_lifecycle_marks.c.actor_id == any_(_uuids(actor_ids)))
    )
    return {
        r.actor_id: LifecycleMarks(r.deactivated_at_sequence, r.contacts_erased_at_sequence)
        for r in rows
    }


async def upsert_snapshots(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert each profile, or overwrite it with a strictly newer snapshot: an older or
    equal ``source_sequence`` arriving late (a replayed parked event, say) changes
    nothing; the inbox dedups by event id only, this guard makes order irrelevant.
    Each actor once, all in one statement; the actors whose snapshot was applied."""
    return await snapshot_upserts.upsert_newer(session, beneficiaries, "actor_id", rows)


async def _mark(session: AsyncSession, actor_id: uuid.UUID, column: str, sequence: int) -> None:
    statement = pg_insert(actor_lifecycle_marks).values(actor_id=actor_id, **{column: sequence})
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[actor_lifecycle_marks.c.actor_id],
            set_={
                column: func.greatest(actor_lifecycle_marks.c[column], statement.excluded[column]),
                "updated_at": func.now(),
            },
        )
    )


def _snapshot_older_than(actor_id: uuid.UUID, sequence: int) -> Any:
    stored = beneficiaries.c.source_sequence
    return (beneficiaries.c.actor_id == actor_id) & or_(stored.is_(None), stored < sequence)


async def deactivate(session: AsyncSession, actor_id: uuid.UUID, sequence: int) -> None:
    """Remember the deactivation and apply it to a snapshot older than it."""
    await _mark(session, actor_id, "deactivated_at_sequence", sequence)
    await session.execute(
        update(beneficiaries)
        .where(_snapshot_older_than(actor_id, sequence), beneficiaries.c.active)
        .values(active=False, updated_at=func.now())
    )


async def erase_contacts(
    session: AsyncSession, actor_id: uuid.UUID, sequence: int, *, remaining: int = 0
) -> None:
    """Remember the erasure, drop the contacts read before it and the pending fetch; if
    the actor still has shared contacts (one person was erased), fetch those again."""
    await _mark(session, actor_id, "contacts_erased_at_sequence", sequence)
    await contact_fetches.drop_contacts(session, CONTACT_TABLES, actor_id, sequence)
    if remaining > 0:
        await contact_fetches.request_fetch(session, CONTACT_TABLES, actor_id)


async def snapshots_contacts(
    session: AsyncSession, actions: Mapping[uuid.UUID, tuple[int, ContactsAction]]
) -> None:
    """After applied snapshots (``actor_lifecycle.contacts_after_snapshot``; actor → its
    sequence and what to do): ask for their shared contacts, or drop any held from
    before them; in a few statements."""
    fetch = [a for a, (_, what) in actions.items() if what == "fetch"]
    drop = [(a, sequence) for a, (sequence, what) in actions.items() if what == "drop"]
    await contact_fetches.request_fetches(session, CONTACT_TABLES, fetch)
    await contact_fetches.drop_contacts_of(session, CONTACT_TABLES, drop)


async def get(session: AsyncSession, actor_id: uuid.UUID) -> Row[Any] | None:
    return (
        await session.execute(select(beneficiaries).where(beneficiaries.c.actor_id == actor_id))
    ).first()
