"""Drill: the broker goes away while the registry keeps taking writes."""

from __future__ import annotations

import asyncio
from typing import Any

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
