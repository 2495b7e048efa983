"""The floor of a service's start: a bare FastAPI app whose ``/readyz`` is one query.

Started exactly like a service (``python -m uvicorn … --factory``, one worker); its
lifespan opens an asyncpg connection pool on ``BENCH_STARTUP_FLOOR_DSN`` and nothing
else. What a service takes beyond it is its own start: importing its modules, building
its routes and settings, and its lifespan (engine, relay, consumers, checks).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Request


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(
            os.environ["BENCH_STARTUP_FLOOR_DSN"], min_size=1, max_size=2
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(title="bench startup floor", lifespan=lifespan)

    @app.get("/readyz")
    async def readyz(request: Request) -> dict[str, str]:
        await request.app.state.pool.fetchval("SELECT 1")
        return {"status": "ready"}

    return app
