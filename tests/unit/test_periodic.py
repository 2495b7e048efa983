"""The sweeps' common loop: a failed round is tried again, stopping waits for the round
in hand only as long as it is told to."""

from __future__ import annotations

import asyncio

from synergia_shared.periodic import PeriodicTask


class Flaky(PeriodicTask):
    name = "flaky"

    def __init__(self) -> None:
        super().__init__(interval=0.01)
        self.rounds = 0

    async def run_round(self) -> None:
        self.rounds += 1
        if self.rounds == 1:
            raise ConnectionError("the database is away")


class Stuck(PeriodicTask):
    name = "stuck"

    def __init__(self) -> None:
        super().__init__(interval=60)
        self.started = asyncio.Event()
        self.cancelled = False

    async def run_round(self) -> None:
        self.started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled = True
            raise


async def test_a_failed_round_is_tried_again_at_the_next() -> None:
    task = Flaky()
    task.start()
    try:
        async with asyncio.timeout(10):
            while task.rounds < 3:
                await asyncio.sleep(0.01)
    finally:
        await task.stop()
    assert task.rounds >= 3


async def test_a_round_that_outlasts_the_stop_timeout_is_cancelled() -> None:
    task = Stuck()
    task.start()
    await task.started.wait()
    await task.stop(timeout=0.05)
    assert task.cancelled


async def test_stopping_a_task_never_started_is_harmless() -> None:
    await Flaky().stop()
