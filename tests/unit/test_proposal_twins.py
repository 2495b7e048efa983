"""Twins of one Idempotency-Key run one at a time in a process; other keys do not wait."""

from __future__ import annotations

import asyncio

import pytest
from synergia_matching.proposals.twins import one_at_a_time


async def test_twins_of_a_key_run_one_after_the_other_and_other_keys_do_not_wait() -> None:
    inside: list[str] = []
    most_inside = 0
    release = asyncio.Event()

    async def request(key: str) -> None:
        nonlocal most_inside
        async with one_at_a_time(("sub", key)):
            inside.append(key)
            most_inside = max(most_inside, inside.count("k"))
            if key == "k":
                await release.wait()
            inside.remove(key)

    twins = [asyncio.create_task(request("k")) for _ in range(3)]
    await asyncio.sleep(0)
    await asyncio.wait_for(request("other"), timeout=1)  # not held up by "k"
    release.set()
    await asyncio.wait_for(asyncio.gather(*twins), timeout=1)
    assert most_inside == 1


async def test_a_request_that_fails_lets_its_twin_go_on() -> None:
    ran: list[int] = []

    async def request(n: int, fail: bool) -> None:
        async with one_at_a_time(("sub", "k")):
            await asyncio.sleep(0.01)
            ran.append(n)
            if fail:
                raise RuntimeError("solver crashed")

    first = asyncio.create_task(request(1, fail=True))
    await asyncio.sleep(0)
    twin = asyncio.create_task(request(2, fail=False))
    with pytest.raises(RuntimeError):
        await first
    await asyncio.wait_for(twin, timeout=1)
    assert ran == [1, 2]
