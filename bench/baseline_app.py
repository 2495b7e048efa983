"""The baseline: a bare FastAPI + asyncpg app reading and inserting one ``actors`` row.

Same table (a copy of the registry's schema), same PostgreSQL server, served by uvicorn
as a separate process exactly like the registry, with a pool of the registry's size
(``BENCH_BASELINE_POOL_SIZE`` connections kept open, at most ``BENCH_BASELINE_POOL_MAX``).
No auth, no ORM, no outbox, no middleware: the floor the registry's per-request work is
measured against. It still validates the POST body with pydantic as strictly as the
registry's own model does in form (unknown fields refused, names stripped and bounded,
the kind from a fixed set, a two-letter country), so parsing is not counted as overhead.

What it reads is the actor row itself. The registry's GET reads the actor's whole
profile in its one query (offers, needs, financials, owners, contacts and cluster
memberships as JSON aggregates of their tables); for the seeded actors, which have none,
that costs PostgreSQL about twice as much per query and the server a few µs more to
decode, which the ratios include.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, StringConstraints

COLUMNS = "id, legal_name, short_name, kind, country, version, created_at, updated_at"

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


def _row_json(row: Any) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "legal_name": row["legal_name"],
        "short_name": row["short_name"],
        "kind": row["kind"],
        "country": row["country"],
        "version": row["version"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
    }


def create_app() -> FastAPI:
    dsn = os.environ["BENCH_BASELINE_DSN"]
    pool_size = int(os.environ.get("BENCH_BASELINE_POOL_SIZE", "20"))
    pool_max = max(pool_size, int(os.environ.get("BENCH_BASELINE_POOL_MAX", str(pool_size))))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_max)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(title="bench baseline", lifespan=lifespan)

    @app.get("/readyz")
    async def readyz(request: Request) -> dict[str, str]:
        await request.app.state.pool.fetchval("SELECT 1")
        return {"status": "ready"}

    @app.get("/v1/actors/{actor_id}")
    async def get_actor(request: Request, actor_id: uuid.UUID) -> JSONResponse:
        row = await request.app.state.pool.fetchrow(
            f"SELECT {COLUMNS} FROM actors WHERE id = $1", actor_id
        )
        if row is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        return JSONResponse(_row_json(row))

    @app.post("/v1/actors", status_code=201)
    async def create_actor(request: Request, body: ActorIn) -> JSONResponse:
        row = await request.app.state.pool.fetchrow(
            "INSERT INTO actors (id, legal_name, short_name, kind, country) "
            f"VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}",
            uuid.uuid4(),
            body.legal_name,
            body.short_name,
            body.kind,
            body.country,
        )
        return JSONResponse(_row_json(row), status_code=201)

    return app
