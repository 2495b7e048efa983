"""Drill: the broker goes away while the registry keeps taking writes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from synergia_devstack.broker import EmbeddedBroker
from synergia_shared.bus import ensure_topics

from tests.e2e.conftest import (
    Services,
    assert_exactly_once,
    client,
    create_actors,
    eventually,
    fetchval,
    log_lines,
    projected_ids,
    wait_for_projections,
)
from tests.e2e.supervised import Run, Writer, free_ports
from tests.e2e.test_drill_supervisor import (
    assert_nothing_lost_nor_doubled,
    created_at_least,
    finished,
    writing,
)
from tests.support.stack import TestStack

pytestmark = pytest.mark.drill


READY = {"database": "up", "migrations": "at head"}


async def _readyz(registry: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    response = await registry.get("/readyz")
    return response.status_code, response.json()


async def _status(registry: httpx.AsyncClient) -> dict[str, Any]:
    response = await registry.get("/status")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_writes_during_a_broker_outage_are_delivered_when_it_is_back(
    stack: TestStack, dedicated_broker: EmbeddedBroker, services: Services
) -> None:
    # (The broker fixture comes first so that it is torn down after the services.)
    bootstrap = dedicated_broker.bootstrap_servers
    await ensure_topics(bootstrap, stack.topic_prefix, partitions=3)
    registry, _, funding = await services.start_all(kafka=bootstrap)

    async with client(registry) as reg:
        before = await create_actors(reg, 60, name_prefix="Before Outage")
        # Everything written so far is consumed before the broker goes: the in-memory
        # broker forgets its topics on restart, so only the outage's events are at stake.
        await wait_for_projections(stack, len(before), timeout=30)

        dedicated_broker.stop()

        during = await create_actors(reg, 15, name_prefix="During Outage")
        await eventually(
            lambda: _status(reg),
            lambda body: body["broker"] == "down",
            timeout=20,
            what="registry to report the broker down",
        )
        # Still ready: it serves requests, and writes wait in the outbox.
        assert await _readyz(reg) == (200, {"status": "ready", "checks": READY})
        unsent = await fetchval(
            stack.dsn("registry"), "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
        )
        assert unsent == len(during), "the outage's events wait in the outbox"

        # A consumer service stopped during the outage shuts down cleanly...
        await asyncio.to_thread(funding.stop)
        funding_log = [e["msg"] for e in log_lines(services.log_path("funding"))]
        assert "funding stopped" in funding_log
        assert "Application shutdown failed. Exiting." not in funding_log

        # The operator brings the broker back (same address, empty) and recreates the
        # topics, as devstack does on start.
        dedicated_broker.start()
        await ensure_topics(bootstrap, stack.topic_prefix, partitions=3)

        await eventually(
            lambda: _status(reg),
            lambda body: body["broker"] == "up",
            timeout=30,
            what="registry to see the broker again",
        )
        # ... and, started again, catches up like the others.
        await services.restart(funding)

    await eventually(
        lambda: fetchval(
            stack.dsn("registry"), "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
        ),
        lambda n: n == 0,
        timeout=60,
        what="the outbox backlog to drain",
    )
    expected = len(before) + len(during)
    tallies = await wait_for_projections(stack, expected, timeout=60)
    assert_exactly_once(tallies, expected)
    for service in ("matching", "funding"):
        assert await projected_ids(stack, service) == set(before) | set(during)


# --- the broker SIGKILLed under load, on `make run` itself ---------------------------

N = 250  # as the other supervisor drills: load in flight at every moment, a small machine


async def _relayed(run: Run) -> int:
    """Events the registry's relay had acknowledged by the broker (the ones at stake)."""
    conn = await asyncpg.connect(run.dsn("registry"))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL"))
    finally:
        await conn.close()


def _logged(run: Run, service: str, text: str) -> list[dict[str, Any]]:
    """The JSON log lines of ``service`` in the run's output whose message has ``text``."""
    found = []
    for line in list(run.lines):
        if not line.startswith("{"):
            continue
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if entry.get("service") == service and text in str(entry.get("msg", "")):
                found.append(entry)
    return found


async def test_a_broker_killed_under_load_is_restarted_and_the_system_heals(
    tmp_path: Path,
) -> None:
    """The embedded broker is in memory: SIGKILLed, it takes with it what the relays had
    handed it and the consumers had not read yet, and the consumer groups' offsets. The
    supervisor restarts it (same port, topics recreated); the relays notice that the log
    ends below what it had acknowledged and republish from the outbox; the consumers
    read the new log from its start and the inbox skips what they had applied."""
    ports = free_ports()
    run = Run(tmp_path / "data", ports)
    try:
        await run.wait_serving()
        writer = Writer(f"http://127.0.0.1:{ports['registry']}", run.token, N, name_prefix="Broker")
        async with writing(writer) as task:
            await created_at_least(writer, N // 3)
            await eventually(
                lambda: _relayed(run), lambda n: n > 0, what="the relay to hand events over"
            )
            os.kill(run.pid("broker"), signal.SIGKILL)
            killed_at = len(writer.created)
            await run.wait_for_line(
                r"^broker exited with -9 \(SIGKILL\); restarting it in", "the restart notice"
            )
            await run.wait_for_line(r"^broker restarted \(pid \d+\)$", "the broker restarted")
            await finished(writer, task)
        assert killed_at < N, "the kill came after the load; it proves nothing"
        # Writes never noticed: every one answered 201 at its first try.
        assert writer.unexpected == []
        assert dict(writer.statuses) == {201: N}, writer.statuses
        assert writer.unanswered == 0
        assert run.proc.poll() is None, "the supervisor kept the system running"

        found = await assert_nothing_lost_nor_doubled(run, writer)
        print(
            f"\nbroker drill: created {found.registry}, in matching {found.matching[1]}, "
            f"in funding {found.funding[1]}, lost 0, doubled 0, parked {found.parked} "
            f"(the broker SIGKILLed after {killed_at} creates)"
        )
        assert _logged(run, "registry", "republishing"), "the registry's relay healed the log"
        assert await run.interrupt() == 0
    finally:
        run.kill()
