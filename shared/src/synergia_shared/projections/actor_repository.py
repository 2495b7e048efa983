"""Every query of an actor projection (matching's ``actor_profiles``, funding's
``beneficiaries``) on its lifecycle marks and ownership links, against the service's own
tables (``actor_tables.ActorTables``).

The Kafka consumer and a dead-letter replay (applied in an admin request) may handle
events of the same actor at once: the consumer locks its actors first
(``contact_fetches.lock_actors``); without the lock an erasure could miss a row that a
concurrent registration is inserting, and the contacts would stay.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ARRAY, Row, Uuid, any_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_shared.projections import contact_fetches, snapshot_upserts
from synergia_shared.projections.actor_lifecycle import ContactsAction, LifecycleMarks
from synergia_shared.projections.actor_tables import ActorTables


def _uuids(ids: Iterable[uuid.UUID]) -> Any:
    """One array parameter: an IN list would be a new statement for every batch size."""
    return bindparam("ids", list(ids), type_=ARRAY(Uuid))


async def marks_of(
    session: AsyncSession, tables: ActorTables, actor_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, LifecycleMarks]:
    """The marks of those of ``actor_ids`` that have any, in one statement."""
    if not actor_ids:
        return {}
    marks = tables.marks
    rows = await session.execute(
        select(
            marks.c.actor_id, marks.c.deactivated_at_sequence, marks.c.contacts_erased_at_sequence
        ).where(marks.c.actor_id == any_(_uuids(actor_ids)))
    )
    return {
        r.actor_id: LifecycleMarks(r.deactivated_at_sequence, r.contacts_erased_at_sequence)
        for r in rows
    }


async def upsert_snapshots(
    session: AsyncSession, tables: ActorTables, rows: Sequence[dict[str, Any]]
) -> set[uuid.UUID]:
    """Insert each profile, or overwrite it with a strictly newer snapshot: an older or
    equal ``source_sequence`` arriving late (a replayed parked event, say) changes
    nothing; the inbox dedups by event id only, this guard makes order irrelevant.
    Each actor once, all in one statement; the actors whose snapshot was applied."""
    return await snapshot_upserts.upsert_newer(session, tables.projection, "actor_id", rows)


async def _mark(
    session: AsyncSession, tables: ActorTables, actor_id: uuid.UUID, column: str, sequence: int
) -> None:
    """Raise the actor's ``column`` mark to ``sequence`` (never lower it)."""
    marks = tables.marks
    statement = pg_insert(marks).values(actor_id=actor_id, **{column: sequence})
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[marks.c.actor_id],
            set_={
                column: func.greatest(marks.c[column], statement.excluded[column]),
                "updated_at": func.now(),
            },
        )
    )


async def deactivate(
    session: AsyncSession, tables: ActorTables, actor_id: uuid.UUID, sequence: int
) -> None:
    """Remember the deactivation and apply it to a snapshot older than it."""
    await _mark(session, tables, actor_id, "deactivated_at_sequence", sequence)
    projection = tables.projection
    stored = projection.c.source_sequence
    await session.execute(
        update(projection)
        .where(
            projection.c.actor_id == actor_id,
            or_(stored.is_(None), stored < sequence),
            projection.c.active,
        )
        .values(active=False, updated_at=func.now())
    )


async def erase_contacts(
    session: AsyncSession,
    tables: ActorTables,
    actor_id: uuid.UUID,
    sequence: int,
    *,
    remaining: int = 0,
) -> None:
    """Remember the erasure, drop the contacts read before it and the pending fetch; if
    the actor still has shared contacts (one person was erased), fetch those again."""
    await _mark(session, tables, actor_id, "contacts_erased_at_sequence", sequence)
    await contact_fetches.drop_contacts(session, tables.contacts, actor_id, sequence)
    if remaining > 0:
        await contact_fetches.request_fetch(session, tables.contacts, actor_id)


async def snapshots_contacts(
    session: AsyncSession,
    tables: ActorTables,
    actions: Mapping[uuid.UUID, tuple[int, ContactsAction]],
) -> None:
    """After applied snapshots (``actor_lifecycle.contacts_after_snapshot``; actor → its
    sequence and what to do): ask for their shared contacts, or drop any held from
    before them; in a few statements."""
    fetch = [a for a, (_, what) in actions.items() if what == "fetch"]
    drop = [(a, sequence) for a, (sequence, what) in actions.items() if what == "drop"]
    await contact_fetches.request_fetches(session, tables.contacts, fetch)
    await contact_fetches.drop_contacts_of(session, tables.contacts, drop)


async def replace_ownership_links_of(
    session: AsyncSession,
    tables: ActorTables,
    links: Mapping[uuid.UUID, Sequence[dict[str, Any]]],
    *,
    first_snapshots: Collection[uuid.UUID] = (),
) -> None:
    """The owners of applied snapshots replace the ones held before, in two statements.
    Of ``first_snapshots`` (applied at sequence 1) nothing can be held: skipped by the
    delete."""
    owners = tables.owners
    replaced = [a for a in links if a not in first_snapshots]
    if replaced:
        await session.execute(delete(owners).where(owners.c.actor_id == any_(_uuids(replaced))))
    rows = [{**link, "actor_id": a} for a, owned in links.items() for link in owned]
    if rows:
        await session.execute(insert(owners), rows)


async def get(session: AsyncSession, tables: ActorTables, actor_id: uuid.UUID) -> Row[Any] | None:
    """The actor's projected row, if its snapshot has arrived."""
    projection = tables.projection
    return (
        await session.execute(select(projection).where(projection.c.actor_id == actor_id))
    ).first()
