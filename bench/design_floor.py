"""The design's floor of a bulk path: the same rows stored where the service keeps them,
by SQL alone.

A bench's baseline (a COPY into a scratch table, a raw insert) says what moving the rows
into the server costs; the design's floor says what storing them costs as the service's
schema asks: its own tables with their indexes, constraints and generated columns, and
one outbox row per event with a payload as large as the event's. The input is COPYed
into a scratch table of the given columns, then a few INSERT ... SELECT statements write
the service's rows from it, all in one transaction, timed together. What separates a
path from its floor is the service's own work (parsing, rules, building events, HTTP, the
relay); what separates the floor from the baseline is the schema's.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg

from bench.stack import dsn

# The outbox row of one event per row of ``source`` (a table or a subquery aliased ``s``):
# the payload a plain JSON envelope of the row, about as large as the service's event.
_OUTBOX = """INSERT INTO outbox (event_id, aggregate_type, aggregate_id, event_type, topic,
        payload)
    SELECT gen_random_uuid(), '{aggregate_type}', {aggregate_id}, '{event_type}', '{topic}',
        convert_to(json_build_object('id', gen_random_uuid(), 'type', '{event_type}',
            'source', '{event_source}', 'specversion', '1.0', 'subject', {aggregate_id},
            'data', {data})::text, 'UTF8')
    FROM {source}"""


def outbox_insert(
    source: str,
    *,
    aggregate_type: str,
    aggregate_id: str,
    event_type: str,
    topic: str,
    event_source: str,
    data: str = "row_to_json(s)",
) -> str:
    """An INSERT of one outbox row per row of ``source`` (SQL: a table or a subquery,
    aliased ``s``); ``aggregate_id`` and ``data`` are SQL expressions over ``s``."""
    return _OUTBOX.format(
        source=source,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        event_type=event_type,
        topic=topic,
        event_source=event_source,
        data=data,
    )


async def floor_seconds(
    database_url: str,
    *,
    scratch: str,
    columns: Sequence[tuple[str, str]],
    statements: Sequence[str],
    files: Sequence[Path] = (),
    records: Sequence[tuple[Any, ...]] = (),
    delimiter: str = ";",
) -> float:
    """Load ``files`` (CSV with a header) or ``records`` into ``scratch`` (``columns``:
    name and type), then run ``statements``: one transaction, timed from the first COPY
    to the last statement. ``database_url``: a fresh database of the service's schema."""
    conn = await asyncpg.connect(dsn(database_url))
    try:
        defined = ", ".join(f'"{name}" {kind}' for name, kind in columns)
        await conn.execute(f"CREATE TABLE {scratch} ({defined})")
        started = time.perf_counter()
        async with conn.transaction():
            for path in files:
                await conn.copy_to_table(
                    scratch,
                    source=path,
                    format="csv",
                    delimiter=delimiter,
                    header=True,
                    encoding="UTF8",
                )
            if records:
                await conn.copy_records_to_table(
                    scratch, records=records, columns=[name for name, _ in columns]
                )
            for statement in statements:
                await conn.execute(statement)
        return time.perf_counter() - started
    finally:
        await conn.close()


def floor_line(what: str, rate: float, unit: str, against: Sequence[tuple[str, float]]) -> str:
    """The line a bench prints under its table: the floor's rate (``what`` it stores,
    in ``unit`` per second), then each ``(what over what, ratio)`` of ``against``."""
    said = "; ".join(f"{label} {value:.4f}x" for label, value in against)
    return f"the design's floor ({what}, SQL only): {rate:,.0f} {unit}/s; {said}"
