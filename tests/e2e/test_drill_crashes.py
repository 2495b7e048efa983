"""Drills: a process dies at the worst moment; nothing is lost, nothing applied twice."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.e2e.conftest import (
    MATCHING_CONSUMER,
    Services,
    assert_exactly_once,
    client,
    create_actors,
    eventually,
    fetch,
    fetchval,
    log_lines,
    projected_ids,
    wait_for_projections,
)
from tests.support.stack import TestStack

pytestmark = pytest.mark.drill


async def test_matching_killed_while_1000_actors_are_created_loses_and_doubles_nothing(
    stack: TestStack, services: Services
) -> None:
    registry, matching, _ = await services.start_all()
    total = 1000
    created: list[str] = []

    async def created_so_far() -> int:
        return len(created)

    # The second half waits for the kill, so writes go on while matching is away
    # however quickly the first half is accepted.
    killed = asyncio.Event()
    async with client(registry) as reg:
        creating = asyncio.create_task(
            create_actors(
                reg,
                total,
                name_prefix="Killed Mid-Stream",
                created=created,
                hold_from=total // 2,
                release=killed,
            )
        )
        try:
            # Let matching apply part of the stream, then pull the plug (SIGKILL: no
            # drain, no offset commit, whatever transaction is open is lost).
            await eventually(
                lambda: fetchval(
                    stack.dsn("matching"),
                    "SELECT count(*) FROM inbox WHERE consumer = $1",
                    MATCHING_CONSUMER,
                ),
                lambda n: n >= 150,
                timeout=60,
                what="matching to apply some events",
                interval=0.05,
            )
            matching.kill()
            created_at_kill = len(created)
            killed.set()
            # Registry keeps accepting actors while matching is away; then it comes back.
            await eventually(
                created_so_far,
                lambda n: n >= min(created_at_kill + 200, total),
                timeout=60,
                what="more actors created while matching is down",
            )
            await services.restart(matching)
            ids = await creating
        finally:
            if not creating.done():
                creating.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await creating

    assert created_at_kill < total, "the kill came after the writes; it proves nothing"
    assert len(set(ids)) == len(ids) == total

    tallies = await wait_for_projections(stack, total, timeout=90)
    assert_exactly_once(tallies, total)
    for service in ("matching", "funding"):
        assert await projected_ids(stack, service) == set(ids)
    unsent = await fetchval(
        stack.dsn("registry"), "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
    )
    assert unsent == 0
    # Across both matching processes no event's effect was applied twice; what was
    # redelivered after the kill was skipped by the inbox.
    applied = [
        e["event_id"]
        for e in log_lines(services.log_path("matching"))
        if e.get("msg") == "event applied"
    ]
    assert len(applied) == len(set(applied)) <= total


async def test_registry_dying_between_commit_and_publish_loses_nothing(
    stack: TestStack, services: Services
) -> None:
    # The relay is off: rows are committed to the outbox and never published, exactly
    # the state a registry killed after its commit and before its publish leaves behind.
    registry, _, _ = await asyncio.gather(
        services.start("registry", RELAY_ENABLED="false"),
        services.start("matching"),
        services.start("funding"),
    )
    total = 50
    async with client(registry) as reg:
        ids = await create_actors(reg, total, name_prefix="Committed Not Published")
    registry.kill()

    outbox = await fetch(stack.dsn("registry"), "SELECT aggregate_id, sent_at FROM outbox")
    assert sorted(r["aggregate_id"] for r in outbox) == sorted(ids)
    assert all(r["sent_at"] is None for r in outbox)
    # Nothing reached the consumers: the events exist only in registry's database.
    await asyncio.sleep(1.0)
    assert await projected_ids(stack, "matching") == set()
    assert await projected_ids(stack, "funding") == set()

    await services.restart(registry, RELAY_ENABLED="true")

    await eventually(
        lambda: fetchval(
            stack.dsn("registry"), "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
        ),
        lambda n: n == 0,
        timeout=30,
        what="the restarted relay to publish the backlog",
    )
    tallies = await wait_for_projections(stack, total, timeout=30)
    assert_exactly_once(tallies, total)
    for service in ("matching", "funding"):
        assert await projected_ids(stack, service) == set(ids)
