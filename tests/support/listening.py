"""An app served by uvicorn on a free port of this machine, in the test's event loop: for
what talks to the services over real HTTP (the commands), as a user's terminal does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from synergia_devstack.ports import free_port


@asynccontextmanager
async def listening(app: FastAPI, timeout: float = 30.0) -> AsyncIterator[str]:
    """Serve ``app`` (lifespan included: relay, consumers) until the block ends; yields
    its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(timeout):
            while not server.started:
                if serving.done():
                    serving.result()  # raises why it stopped
                    raise RuntimeError("the server stopped before it started")
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
