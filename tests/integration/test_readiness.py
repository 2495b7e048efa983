"""Readiness means "can serve requests": the database answers and its schema is the
code's. The broker, the relay and the consumers are reported by /status and the
metrics, and a broker outage does not take the API out of rotation."""

from __future__ import annotations

import asyncpg
from synergia_devstack.ports import free_port
from synergia_registry.app import create_app
from synergia_registry.settings import RegistrySettings

from tests.support.stack import TestStack, auth, running_app


async def test_a_service_whose_broker_is_unreachable_is_ready_and_takes_writes(
    stack: TestStack,
) -> None:
    nowhere = f"127.0.0.1:{free_port()}"  # nothing listens there
    settings = RegistrySettings(  # type: ignore[arg-type]
        **{**stack.settings_kwargs("registry"), "kafka_bootstrap_servers": nowhere}
    )
    async with running_app(create_app(settings), "http://registry") as registry:
        ready = await registry.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {
            "status": "ready",
            "checks": {"database": "up", "migrations": "at head"},
        }
        write = await registry.post(
            "/v1/actors",
            json={"legal_name": "No Broker Needed SA", "kind": "sme", "country": "ES"},
            headers=auth(),
        )
        assert write.status_code == 201, write.text

        status = (await registry.get("/status")).json()
        assert status["database"] == "up"
        assert status["broker"] == "down"
        assert status["relay"]["running"]
        consumer = status["consumers"]["registry.accepted-teams"]
        assert consumer["running"] is False
        assert consumer["max_poll_interval_ms"] == settings.consumer_max_poll_interval_ms
        metrics = (await registry.get("/metrics")).text
        assert "synergia_broker_up 0.0" in metrics
        assert 'synergia_consumer_running{consumer="registry.accepted-teams"} 0.0' in metrics

    unsent = await _fetchval(
        stack.dsn("registry"), "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
    )
    assert unsent == 1, "the write waits in the outbox"


async def test_a_database_behind_the_code_is_not_ready_one_ahead_is(stack: TestStack) -> None:
    settings = RegistrySettings(  # type: ignore[arg-type]
        **{**stack.settings_kwargs("registry"), "relay_enabled": False, "consumers_enabled": False}
    )
    async with running_app(create_app(settings), "http://registry") as registry:
        await _execute(stack.dsn("registry"), "UPDATE alembic_version SET version_num = '0001'")
        behind = await registry.get("/readyz")
        assert behind.status_code == 503
        assert behind.json()["checks"]["database"] == "up"
        assert behind.json()["checks"]["migrations"].startswith(
            "behind: the database is at 0001, this code needs "
        )

        # Migrated by a newer release during a rolling deploy: this one still serves.
        await _execute(stack.dsn("registry"), "UPDATE alembic_version SET version_num = '9999'")
        ahead = await registry.get("/readyz")
        assert ahead.status_code == 200, ahead.text
        assert ahead.json()["checks"]["migrations"].startswith("ahead: 9999")

        await _execute(stack.dsn("registry"), "DROP TABLE alembic_version")
        never = await registry.get("/readyz")
        assert never.status_code == 503
        assert never.json()["checks"]["migrations"].startswith("not migrated")


async def _fetchval(dsn: str, sql: str) -> object:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def _execute(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
