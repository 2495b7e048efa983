"""Requests that carry the same Idempotency-Key, in this process: one at a time.

A client that times out while the solver runs (up to its time limit) and sends the
request again would otherwise start a second solve, whose answer ``run_once`` then
throws away. Here the twin waits for the first request to end, then finds and replays
its stored answer. Twins on other replicas still solve; ``run_once`` keeps the answer
single.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager

_running: dict[Hashable, asyncio.Event] = {}


@asynccontextmanager
async def one_at_a_time(key: Hashable) -> AsyncIterator[None]:
    """Run the block as the only request with ``key`` in this process.

    Checking for the key and taking it happen with no await in between, so of several
    waiting twins exactly one goes on when the running one ends; the others wait for it.
    """
    while (running := _running.get(key)) is not None:
        await running.wait()
    done = _running[key] = asyncio.Event()
    try:
        yield
    finally:
        del _running[key]
        done.set()
