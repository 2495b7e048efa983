"""Fresh databases (copied from migrated templates) and topics for one benchmark run."""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass, field

from synergia_devstack.postgres import create_database, drop_database
from synergia_devstack.stack import service_dir
from synergia_shared.bus import ensure_topics
from synergia_shared.db_urls import asyncpg_dsn
from synergia_shared.http.auth import issue_token
from synergia_shared.migrations import upgrade_head
from synergia_shared.settings import DEV_JWT_SECRET

TEMPLATE_SERVICES = ("registry", "matching", "funding")


def sqlalchemy_url(server_url: str, database: str) -> str:
    base = server_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


@dataclass
class BenchStack:
    server_url: str  # asyncpg form, database "postgres"
    kafka: str
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    created: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls) -> BenchStack:
        try:
            return cls(
                os.environ["SYNERGIA_TEST_DATABASE_URL"].replace(
                    "postgresql+asyncpg://", "postgresql://", 1
                ),
                os.environ["SYNERGIA_TEST_KAFKA_BOOTSTRAP_SERVERS"],
            )
        except KeyError as exc:
            raise SystemExit(
                f"{exc.args[0]} is not set: run the benchmarks with `make bench` "
                "(synergia-dev with-servers -- python -m bench)"
            ) from None

    def template(self, service: str) -> str:
        return f"bench_{self.tag}_template_{service}"

    def migrate_templates(self) -> None:
        """Migrate one template database per service (synchronous: Alembic runs its own loop)."""
        for service in TEMPLATE_SERVICES:
            name = self.template(service)
            asyncio.run(create_database(self.server_url, name))
            self.created.append(name)
            upgrade_head(service_dir(service), sqlalchemy_url(self.server_url, name))

    async def fresh_database(self, service: str, purpose: str) -> str:
        """A new database with ``service``'s schema; returns its SQLAlchemy URL."""
        name = f"bench_{self.tag}_{purpose}_{service}"
        await create_database(self.server_url, name, template=self.template(service))
        self.created.append(name)
        return sqlalchemy_url(self.server_url, name)

    async def topics(self, purpose: str) -> str:
        """A topic prefix of its own, with every topic and DLQ created; returns the prefix."""
        prefix = f"b{self.tag}{purpose}."
        await ensure_topics(self.kafka, prefix)
        return prefix

    async def drop_all(self) -> None:
        for name in reversed(self.created):
            await drop_database(self.server_url, name)
        self.created.clear()

    def service_env(self, service: str, database_url: str, topic_prefix: str) -> dict[str, str]:
        """Environment for a service process: production defaults, this run's db and topics."""
        prefix = service.upper()
        return {
            f"{prefix}_DATABASE_URL": database_url,
            f"{prefix}_KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            f"{prefix}_KAFKA_TOPIC_PREFIX": topic_prefix,
        }


def dsn(database_url: str) -> str:
    return asyncpg_dsn(database_url)


def bearer(role: str = "admin") -> dict[str, str]:
    token = issue_token(DEV_JWT_SECRET, subject=f"bench-{role}", roles=[role])
    return {"Authorization": f"Bearer {token}"}
