"""Background work that runs in rounds for an app's lifespan (the sweeps).

A round that fails (the database away for a while) is logged and tried again at the next
one. Stopping lets the round in hand finish, bounded by a timeout, and cancels it after
that: a round works in transactions, so a cancelled one rolls back and leaves nothing
half done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

logger = logging.getLogger(__name__)


class PeriodicTask(ABC):
    """Calls :meth:`run_round` every ``interval`` seconds until stopped."""

    name = "periodic task"

    def __init__(self, *, interval: float) -> None:
        self._interval = interval
        self.stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @abstractmethod
    async def run_round(self) -> None:
        """One round; long rounds look at :attr:`stopping` between their transactions."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self, timeout: float = 10.0) -> None:
        """Let the round in hand commit (bounded by ``timeout``), then stop."""
        self.stopping.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                await self.run_round()
            except Exception:
                logger.exception("%s failed; the next round tries again", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), self._interval)
