"""Kafka plumbing: producers and topic administration."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from synergia_shared.events.topics import all_topics_with_dlqs

logger = logging.getLogger(__name__)

DEFAULT_PARTITIONS = 6


def create_producer(bootstrap_servers: str, client_id: str) -> AIOKafkaProducer:
    # acks=all: a row is marked sent only when every in-sync replica has it. The
    # idempotent producer is not used: exactly-once effect comes from outbox + inbox.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=False,
        linger_ms=2,
        compression_type="gzip",
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
    )


async def ensure_topics(
    bootstrap_servers: str,
    topic_prefix: str = "",
    *,
    partitions: int = DEFAULT_PARTITIONS,
    replication_factor: int = 1,
) -> list[str]:
    """Create every topic of the catalogue and its DLQ; existing topics are left alone."""
    names = [f"{topic_prefix}{t}" for t in all_topics_with_dlqs()]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            # Another process may create them at the same time: that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(n, partitions, replication_factor) for n in missing]
                )
        return missing
    finally:
        await admin.close()


class Bus:
    """The service's connection to Kafka: one producer, (re)connected on demand.

    The service starts and serves HTTP while the broker is away; the relay and the
    consumers ask for the producer when they need it and simply retry later.
    """

    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def producer(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = create_producer(self.bootstrap_servers, self._client_id)
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def ping(self, timeout: float = 2.0) -> bool:
        """Whether the broker answers a metadata request now."""
        try:
            producer = await asyncio.wait_for(self.producer(), timeout)
            return bool(await asyncio.wait_for(producer.client.force_metadata_update(), timeout))
        except Exception:
            return False

    async def close(self) -> None:
        async with self._lock:
            if self._producer is not None:
                await self._producer.stop()
                self._producer = None
