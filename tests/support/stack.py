"""Per-test isolation on shared real servers: own databases (from migrated templates), own
topic prefix. Nothing here fakes PostgreSQL or Kafka."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from synergia_devstack.ports import free_port
from synergia_devstack.postgres import create_database, drop_database
from synergia_devstack.services import SERVICES
from synergia_devstack.stack import service_dir
from synergia_shared.bus import ensure_topics
from synergia_shared.db_urls import asyncpg_dsn
from synergia_shared.http.auth import issue_token
from synergia_shared.migrations import upgrade_head
from synergia_shared.settings import DEV_JWT_SECRET

TEMPLATE_PREFIX = "synergia_template_"


def sqlalchemy_url(server_url: str, database: str) -> str:
    base = server_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


def migrate_templates(server_url: str) -> None:
    """Migrate one template database per service, once per test session."""
    for service in SERVICES:
        name = f"{TEMPLATE_PREFIX}{service}"
        asyncio.run(drop_database(server_url, name))
        asyncio.run(create_database(server_url, name))
        upgrade_head(service_dir(service), sqlalchemy_url(server_url, name))


@dataclass
class TestStack:
    server_url: str  # asyncpg form, database "postgres"
    kafka: str
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    # Where matching and funding fetch actors' shared contacts: the registry process of
    # an end-to-end test listens here (in-process apps get a client of their own).
    registry_port: int = field(default_factory=free_port)

    __test__ = False  # not a test class

    @property
    def topic_prefix(self) -> str:
        return f"t{self.tag}."

    def database(self, service: str) -> str:
        return f"t{self.tag}_{service}"

    def database_url(self, service: str) -> str:
        return sqlalchemy_url(self.server_url, self.database(service))

    def dsn(self, service: str) -> str:
        return asyncpg_dsn(self.database_url(service))

    def env(self, service: str, **extra: str) -> dict[str, str]:
        """Environment for a service process on this stack."""
        prefix = service.upper()
        return {
            f"{prefix}_DATABASE_URL": self.database_url(service),
            f"{prefix}_KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            f"{prefix}_KAFKA_TOPIC_PREFIX": self.topic_prefix,
            f"{prefix}_ENVIRONMENT": "test",
            f"{prefix}_RELAY_POLL_INTERVAL_SECONDS": "0.5",
            f"{prefix}_CONSUMER_FETCH_MAX_WAIT_MS": "20",
            f"{prefix}_CONSUMER_BACKOFF_INITIAL_SECONDS": "0.05",
            f"{prefix}_CONSUMER_BACKOFF_MAX_SECONDS": "0.5",
            # The embedded broker forgets its topics when a drill restarts it.
            f"{prefix}_RELAY_CHECK_TOPICS": "true",
            f"{prefix}_REGISTRY_URL": f"http://127.0.0.1:{self.registry_port}",
            # ... and its log: checked as often as its topics.
            f"{prefix}_RELAY_LOG_CHECK_INTERVAL_SECONDS": "1",
            **extra,
        }

    def settings_kwargs(self, service: str) -> dict[str, object]:
        """Settings for an app run in the test process. Its consumers get a short session:
        Tansu holds a new group's first join for half of it, and most such apps live for
        one short test. Service processes (``env``) keep the default, which the drills'
        rebalances need (a restarted broker, a killed consumer)."""
        settings: dict[str, object] = {
            k.removeprefix(f"{service.upper()}_").lower(): v for k, v in self.env(service).items()
        }
        return {
            **settings,
            "consumer_session_timeout_ms": 2000,
            "consumer_heartbeat_interval_ms": 500,
        }

    async def setup(self) -> None:
        for service in SERVICES:
            await create_database(
                self.server_url, self.database(service), template=f"{TEMPLATE_PREFIX}{service}"
            )
        await ensure_topics(self.kafka, self.topic_prefix, partitions=3)

    async def teardown(self) -> None:
        for service in SERVICES:
            await drop_database(self.server_url, self.database(service))


def token(role: str = "admin", **claims: str) -> str:
    return issue_token(
        DEV_JWT_SECRET, subject=claims.pop("subject", f"test-{role}"), roles=[role], **claims
    )  # type: ignore[arg-type]


def auth(role: str = "admin", **claims: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, **claims)}"}


@asynccontextmanager
async def running_app(app: FastAPI, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app with its lifespan (engine, relay, consumers) and a client talking to it."""
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


@asynccontextmanager
async def serving(app: FastAPI, port: int) -> AsyncIterator[None]:
    """Serve an app already started (:func:`running_app`) over HTTP on ``port`` too, for
    another service that calls it (matching and funding fetch shared contacts)."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None)
    )
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task
