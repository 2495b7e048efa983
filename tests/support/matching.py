"""Matching test helpers: the projection's rows, to compare a rebuild with the live one."""

from __future__ import annotations

from typing import Any

import asyncpg
from synergia_matching.projection_rebuild.repository import PROJECTION_TABLES


async def dump(dsn: str) -> dict[str, list[dict[str, Any]]]:
    """Every projection row, without the local bookkeeping time."""
    conn = await asyncpg.connect(dsn)
    try:
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in PROJECTION_TABLES:
            keys = ", ".join(c.name for c in table.primary_key.columns)
            rows = await conn.fetch(f"SELECT * FROM {table.name} ORDER BY {keys}")
            tables[table.name] = [
                {k: v for k, v in dict(row).items() if k != "updated_at"} for row in rows
            ]
        return tables
    finally:
        await conn.close()
