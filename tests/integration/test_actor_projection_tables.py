"""The actor projection's tables are built by shared code on each service's metadata;
each must still be the table its own service's migrations create: same columns, types
and nullability, nothing missing on either side."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData, Table
from sqlalchemy.ext.asyncio import create_async_engine
from synergia_funding.beneficiaries.models import ACTOR_TABLES as FUNDING_TABLES
from synergia_funding.db import metadata as funding_metadata
from synergia_matching.db import metadata as matching_metadata
from synergia_matching.profiles.models import ACTOR_TABLES as MATCHING_TABLES
from synergia_matching.projection_rebuild.models import projection_rebuild
from synergia_shared.projections.actor_tables import ActorTables

from tests.support.stack import TestStack


def _tables(tables: ActorTables) -> list[Table]:
    return [tables.projection, tables.marks, tables.fetches, tables.owners]


CASES = {
    "matching": (matching_metadata, [*_tables(MATCHING_TABLES), projection_rebuild]),
    "funding": (funding_metadata, _tables(FUNDING_TABLES)),
}


def _differences(conn: Connection, metadata: MetaData, names: set[str]) -> list[Any]:
    def ours(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
        if kind == "table":
            return name in names
        if kind == "column":
            return obj.table.name in names
        return False  # indexes and constraints: the migrations' own business

    context = MigrationContext.configure(conn, opts={"include_object": ours, "compare_type": True})
    return list(compare_metadata(context, metadata))


@pytest.mark.parametrize("service", list(CASES))
async def test_the_tables_are_as_the_services_migrations_define_them(
    stack: TestStack, service: str
) -> None:
    metadata, tables = CASES[service]
    assert {t.metadata for t in tables} == {metadata}, "built on the service's own metadata"
    engine = create_async_engine(stack.database_url(service))
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(_differences, metadata, {t.name for t in tables})
    finally:
        await engine.dispose()
    assert found == [], f"{service}'s tables differ from its migrated database: {found}"
