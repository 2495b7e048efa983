"""The baseline: a bare FastAPI + asyncpg app doing the registry's single-row read and insert.

Same tables (a copy of the registry's schema), same PostgreSQL server, served by uvicorn
as a separate process exactly like the registry, with a pool of the registry's size
(``BENCH_BASELINE_POOL_SIZE`` connections kept open, at most ``BENCH_BASELINE_POOL_MAX``).
No auth, no ORM, no outbox, no middleware: the floor the registry's per-request work is
measured against. It still validates the POST body with pydantic as strictly as the
registry's own model does in form (unknown fields refused, names stripped and bounded,
the kind from a fixed set, a two-letter country), so parsing is not counted as overhead.

What it reads is what the registry reads. The registry's read of an actor IS its
full-profile query (the actor's columns plus offers, needs, financials, owners, contacts
and current cluster memberships as JSON aggregates of their tables), so the GET runs
exactly the registry's SQL text: the benchmark harness compiles the registry's statement
once (``repository.actor_by_id_read``, asyncpg's ``$1`` form) and passes it in
``BENCH_BASELINE_GET_SQL``. Per request the bare GET does one ``pool.fetchrow`` and builds
a JSON dict of the row (the aggregates decoded from JSON, as the registry's connections
decode them), nothing else.

The bare POST is one ``INSERT … RETURNING`` of the actor row, autocommitted, with the
columns the registry's create writes (the profile fields with their defaults, the text
search reads) and returning the columns the registry's create returns. What the registry
does on top, and what this measures, is its overhead: auth, the profile's normalisation,
the SME assessment, the ``registered`` event in the outbox in the same transaction (so a
BEGIN and a COMMIT around two statements), and the Idempotency-Key handling.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, StringConstraints

# The columns the registry's create writes (service._columns, plus the SME assessment
# it stores with the row) and those it reads back (repository.VIEW_COLUMNS).
INSERT_COLUMNS = (
    "id",
    "legal_name",
    "short_name",
    "kind",
    "country",
    "pic",
    "vat_number",
    "website",
    "description",
    "nuts_code",
    "nuts_version",
    "nace_codes",
    "nace_revision",
    "ecosystems",
    "competences",
    "keywords",
    "sme_declared",
    "search_text",
    "sme_category",
    "sme_assessment",
)
RETURNING = (
    "id, legal_name, short_name, kind, country, version, created_at, updated_at, pic, "
    "vat_number, website, description, nuts_code, nuts_version, nace_codes, nace_revision, "
    "ecosystems, competences, keywords, sme_declared, sme_category, sme_assessment, active, "
    "deactivated_at"
)
INSERT_SQL = (
    f"INSERT INTO actors ({', '.join(INSERT_COLUMNS)}) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(INSERT_COLUMNS) + 1))}) "
    f"RETURNING {RETURNING}"
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Kind = Literal[
    "sme",
    "large_enterprise",
    "cluster_organisation",
    "sme_intermediary",
    "research_organisation",
    "university",
    "investor",
    "public_authority",
    "other",
]


class ActorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_name: Name
    short_name: Name | None = None
    kind: Kind
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]


def insert_values(actor_id: uuid.UUID, body: ActorIn) -> tuple[Any, ...]:
    """The values of :data:`INSERT_COLUMNS` for a new actor (the profile fields empty)."""
    return (
        actor_id,
        body.legal_name,
        body.short_name,
        body.kind,
        body.country.upper(),
        None,  # pic
        None,  # vat_number
        None,  # website
        "",  # description
        None,  # nuts_code
        None,  # nuts_version
        [],  # nace_codes
        None,  # nace_revision
        [],  # ecosystems
        [],  # competences
        [],  # keywords
        None,  # sme_declared
        "",  # search_text
        None,  # sme_category
        None,  # sme_assessment
    )


def _value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list) and value and isinstance(value[0], uuid.UUID):
        return [str(v) for v in value]
    return value


def row_json(row: asyncpg.Record) -> dict[str, Any]:
    return {name: _value(value) for name, value in row.items()}


async def init_connection(conn: asyncpg.Connection) -> None:
    # JSON in and out as Python values, as SQLAlchemy's asyncpg dialect sets up the
    # registry's connections.
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def open_pool() -> asyncpg.Pool:
    """The pool of ``BENCH_BASELINE_DSN``, sized like the registry's (see the module doc)."""
    pool_size = int(os.environ.get("BENCH_BASELINE_POOL_SIZE", "20"))
    pool_max = max(pool_size, int(os.environ.get("BENCH_BASELINE_POOL_MAX", str(pool_size))))
    return await asyncpg.create_pool(
        os.environ["BENCH_BASELINE_DSN"],
        min_size=pool_size,
        max_size=pool_max,
        init=init_connection,
    )


def add_readyz(app: FastAPI) -> None:
    """``/readyz`` once the pool answers, which is what the harness waits for."""

    @app.get("/readyz")
    async def readyz(request: Request) -> dict[str, str]:
        await request.app.state.pool.fetchval("SELECT 1")
        return {"status": "ready"}


def create_app() -> FastAPI:
    get_sql = os.environ["BENCH_BASELINE_GET_SQL"]  # the registry's statement, compiled

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await open_pool()
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(title="bench baseline", lifespan=lifespan)
    add_readyz(app)

    @app.get("/v1/actors/{actor_id}")
    async def get_actor(request: Request, actor_id: uuid.UUID) -> JSONResponse:
        row = await request.app.state.pool.fetchrow(get_sql, actor_id)
        if row is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        return JSONResponse(row_json(row))

    @app.post("/v1/actors", status_code=201)
    async def create_actor(request: Request, body: ActorIn) -> JSONResponse:
        row = await request.app.state.pool.fetchrow(INSERT_SQL, *insert_values(uuid.uuid4(), body))
        return JSONResponse(row_json(row), status_code=201)

    return app
