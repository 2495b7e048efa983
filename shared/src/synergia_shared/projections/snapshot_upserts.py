"""The multi-row upsert of a projection's snapshots (matching's actor_profiles, funding's
beneficiaries): each row inserted, or overwriting a strictly older stored snapshot.

The batch's rows go as ONE JSON parameter, read back by ``jsonb_to_recordset`` into the
table's column types: the same statement (compiled and prepared once) whatever the
batch size. A parameter per value (25 per row for actor_profiles) cost more to bind,
render and prepare than the database took to write the rows.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, Text, bindparam, cast, column, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no JSON form here")


def json_rows(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as one JSON document (ISO dates, UUID strings)."""
    return json.dumps(list(rows), default=_plain)


@functools.cache
def _statement(table: Table, key: str, columns: tuple[str, ...]) -> Any:
    rows = (
        func.jsonb_to_recordset(cast(bindparam("rows", type_=Text), JSONB))
        .table_valued(*(column(name, table.c[name].type) for name in columns))
        .render_derived(name="snapshot", with_types=True)
    )
    statement = pg_insert(table).from_select(
        list(columns), select(*(rows.c[name] for name in columns))
    )
    stored = table.c.source_sequence
    return statement.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_={
            **{k: statement.excluded[k] for k in columns if k != key},
            "updated_at": func.now(),
        },
        where=or_(stored.is_(None), stored < statement.excluded.source_sequence),
    ).returning(table.c[key])


async def upsert_newer(
    session: AsyncSession, table: Table, key: str, rows: Sequence[dict[str, Any]]
) -> set[Any]:
    """Insert each row, or overwrite the stored one if it is strictly older
    (``source_sequence``; a row without one is older than any): a late or replayed
    snapshot changes nothing. Each ``key`` once (PostgreSQL refuses to update a row
    twice in one statement: ``batches.latest_per_aggregate``). The keys of the rows
    written."""
    if not rows:
        return set()
    result = await session.execute(
        _statement(table, key, tuple(sorted(rows[0]))), {"rows": json_rows(rows)}
    )
    return set(result.scalars())
