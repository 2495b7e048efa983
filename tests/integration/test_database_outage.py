"""PostgreSQL goes down under running services and comes back.

While it is down, every request that needs it is answered 503 with ``Retry-After``
(never 500), and the relay and the consumers wait instead of dying; once it is back,
the same processes serve writes again and deliver them, without a restart.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from synergia_devstack.postgres import EmbeddedPostgres
from synergia_matching.app import create_app as create_matching
from synergia_matching.settings import MatchingSettings
from synergia_registry.app import create_app as create_registry
from synergia_registry.settings import RegistrySettings

from tests.support.actors import projected, register
from tests.support.stack import TestStack, auth, migrate_templates, running_app

ACTOR = {
    "legal_name": "Outage Robotics GmbH",
    "kind": "sme",
    "country": "DE",
    "financials": [
        {"year": 2024, "headcount": "6", "turnover": "900000", "balance_sheet": "700000"}
    ],
}


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL server of this test's own, which it may stop and start again."""
    postgres = EmbeddedPostgres(tmp_path / "postgres", durable=False)
    postgres.start()
    try:
        yield postgres
    finally:
        postgres.stop()


@pytest.fixture
async def outage_stack(own_postgres: EmbeddedPostgres, migrated: tuple[str, str]) -> TestStack:
    await asyncio.to_thread(migrate_templates, own_postgres.url)
    stack = TestStack(own_postgres.url, migrated[1])
    await stack.setup()
    return stack  # the server goes with the test: no teardown of its databases needed


def _is_database_unavailable(response: httpx.Response) -> bool:
    return (
        response.status_code == 503
        and response.headers.get("content-type") == "application/problem+json"
        and response.json()["type"].endswith("/database-unavailable")
        and int(response.headers["retry-after"]) > 0
    )


async def test_requests_answer_503_while_postgres_is_down_and_succeed_once_it_is_back(
    outage_stack: TestStack, own_postgres: EmbeddedPostgres
) -> None:
    registry_app = create_registry(RegistrySettings(**outage_stack.settings_kwargs("registry")))  # type: ignore[arg-type]
    matching_app = create_matching(MatchingSettings(**outage_stack.settings_kwargs("matching")))  # type: ignore[arg-type]
    async with (
        running_app(registry_app, "http://registry") as registry,
        running_app(matching_app, "http://matching") as matching,
    ):
        before = await register(registry, "Before Outage Oy", "FI")
        await projected(matching, before, timeout=60)

        own_postgres.stop()  # by its pid: the server is gone, its connections closed

        key = {"Idempotency-Key": str(uuid.uuid4())}
        for _ in range(3):  # not only the pooled connection's first use
            write = await registry.post("/v1/actors", json=ACTOR, headers={**auth(), **key})
            assert _is_database_unavailable(write), write.text
        assert "nothing was changed" in write.json()["detail"]
        for response in (
            await registry.get(f"/v1/actors/{before}", headers=auth()),  # the hot path
            await registry.get("/v1/actors", headers=auth()),
            await matching.get(f"/v1/profiles/{before}", headers=auth()),
        ):
            assert _is_database_unavailable(response), response.text
        ready = await registry.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == "down"

        own_postgres.start()  # same port, same data

        # The very first requests after the restart succeed: the pool dropped the
        # connections the outage killed, nobody restarted the service.
        write = await registry.post("/v1/actors", json=ACTOR, headers={**auth(), **key})
        assert write.status_code == 201, write.text
        after = write.json()["id"]
        read = await registry.get(f"/v1/actors/{before}", headers=auth())
        assert read.status_code == 200, read.text
        assert (await registry.get("/readyz")).status_code == 200

        # The relay and matching's consumer outlived the outage: the write arrives.
        await projected(matching, after, timeout=60)
        assert registry_app.state.relay.status.running
        assert all(r.status.running for r in matching_app.state.consumer_runners)
