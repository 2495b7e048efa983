"""Bringing up the whole system: servers (embedded or given), databases, topics, services."""

from __future__ import annotations

import asyncio
import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url
from synergia_shared.bus import ensure_topics
from synergia_shared.db_urls import asyncpg_dsn, database_url_for
from synergia_shared.migrations import schema_at_head, upgrade_head
from synergia_shared.settings import LOCAL_ORIGINS_REGEX

from synergia_devstack.broker import EmbeddedBroker
from synergia_devstack.postgres import EmbeddedPostgres, create_database
from synergia_devstack.services import SERVICES

# The consumers' fetch wait on the embedded broker (see dev_defaults).
DEV_FETCH_MAX_WAIT_MS = 20


@dataclass
class Servers:
    """Where PostgreSQL and Kafka are, and which of them this process started."""

    database_urls: dict[str, str]  # service -> SQLAlchemy URL of its own database
    kafka_bootstrap_servers: str
    postgres: EmbeddedPostgres | None = None
    broker: EmbeddedBroker | None = None
    started: list[str] = field(default_factory=list)

    @property
    def server_url(self) -> str:
        """The server's maintenance database (``postgres``), in asyncpg form."""
        url = make_url(asyncpg_dsn(self.database_urls["registry"]))
        return url.set(database="postgres").render_as_string(hide_password=False)

    def stop(self) -> None:
        if self.broker is not None:
            self.broker.stop()
        if self.postgres is not None:
            self.postgres.stop()


def start_servers(data_dir: Path, *, durable: bool = True, log_dir: Path | None = None) -> Servers:
    """Use DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS when set, else start embedded servers."""
    postgres = broker = None
    started = []
    server_url = os.environ.get("DATABASE_URL")
    try:
        if not server_url and not all(
            os.environ.get(f"{s.upper()}_DATABASE_URL") for s in SERVICES
        ):
            postgres = EmbeddedPostgres(data_dir / "postgres", durable=durable)
            postgres.start()
            server_url = postgres.url
            started.append(
                f"PostgreSQL 18 (embedded) on 127.0.0.1:{postgres.port}, data in "
                f"{postgres.data_dir}"
            )
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if not bootstrap:
            broker = EmbeddedBroker(log_path=(log_dir / "broker.log") if log_dir else None)
            broker.start()
            bootstrap = broker.bootstrap_servers
            started.append(f"Kafka-compatible broker (embedded Tansu, in memory) on {bootstrap}")
    except BaseException:
        if broker:
            broker.stop()
        if postgres:
            postgres.stop()
        raise
    urls = {
        s: os.environ.get(f"{s.upper()}_DATABASE_URL") or database_url_for(server_url or "", s)
        for s in SERVICES
    }
    return Servers(urls, bootstrap, postgres, broker, started)


def service_dir(service: str) -> Path:
    module = importlib.import_module(f"synergia_{service}.migrate")
    return Path(module.SERVICE_DIR)


async def _create_databases(servers: Servers) -> None:
    for url in servers.database_urls.values():
        name = make_url(url).database
        assert name, f"no database name in {url}"
        await create_database(servers.server_url, name)


async def _behind_head(servers: Servers) -> list[str]:
    """The services whose database is not at their code's head (on a warm start: none,
    and Alembic is not even imported)."""
    return [
        service
        for service, url in servers.database_urls.items()
        if not await schema_at_head(service_dir(service), url)
    ]


def prepare(servers: Servers, topic_prefix: str = "") -> None:
    """Databases exist and are migrated; every topic and DLQ exists."""
    asyncio.run(_create_databases(servers))
    for service in asyncio.run(_behind_head(servers)):
        upgrade_head(service_dir(service), servers.database_urls[service])
    asyncio.run(ensure_topics(servers.kafka_bootstrap_servers, topic_prefix))


def service_env(
    service: str, servers: Servers, port: int, *, registry_url: str | None = None, **extra: str
) -> dict[str, str]:
    """A service's environment; ``registry_url`` is where matching and funding fetch
    actors' shared contacts (with the development key outside production)."""
    prefix = service.upper()
    fetching = {f"{prefix}_REGISTRY_URL": registry_url} if registry_url else {}
    return {
        **fetching,
        f"{prefix}_DATABASE_URL": servers.database_urls[service],
        f"{prefix}_KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap_servers,
        f"{prefix}_PORT": str(port),
        **dev_defaults(service, embedded_broker=servers.broker is not None),
        **extra,
    }


def dev_defaults(service: str, *, embedded_broker: bool) -> dict[str, str]:
    """The settings `make run` (and the e2e drills) give a service beyond its production
    defaults, for the broker they run on; the propagation bench measures with these."""
    prefix = service.upper()
    return {
        # Tansu holds a fetch for the whole wait even when records arrive; Kafka answers
        # as soon as they do. The wait is the consumer's delivery latency here.
        f"{prefix}_CONSUMER_FETCH_MAX_WAIT_MS": str(DEV_FETCH_MAX_WAIT_MS),
        # The embedded broker keeps its topics in memory only; a Kafka given in the
        # environment keeps them, and needs no check.
        f"{prefix}_RELAY_CHECK_TOPICS": "true" if embedded_broker else "false",
        # The embedded broker's log goes with it when it dies (the supervisor restarts it
        # empty): the relay notices within a second and republishes.
        f"{prefix}_RELAY_LOG_CHECK_INTERVAL_SECONDS": "1",
        # A frontend's dev server (any port of localhost) may call the services.
        f"{prefix}_CORS_ALLOW_ORIGIN_REGEX": os.environ.get(
            "CORS_ALLOW_ORIGIN_REGEX", LOCAL_ORIGINS_REGEX
        ),
    }
