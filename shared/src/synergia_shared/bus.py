"""Kafka plumbing: producers and topic administration."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import OffsetOutOfRangeError, TopicAlreadyExistsError

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
        self._reader: AIOKafkaConsumer | None = None
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

    async def _offsets_reader(self, timeout: float) -> AIOKafkaConsumer:
        async with self._lock:
            if self._reader is None:
                reader = AIOKafkaConsumer(
                    bootstrap_servers=self.bootstrap_servers,
                    client_id=f"{self._client_id}-offsets",
                    group_id=None,
                    request_timeout_ms=int(timeout * 1000),
                    # Out of range is an answer here (fetched_ends), never a silent reset.
                    auto_offset_reset="none",
                    max_partition_fetch_bytes=64 * 1024,
                    # fetched_ends wants a fetch's high watermark, not records: a broker
                    # that holds a fetch for its full wait (the embedded Tansu) would
                    # otherwise hold each check for aiokafka's default 500 ms.
                    fetch_max_wait_ms=10,
                )
                try:
                    await asyncio.wait_for(reader.start(), timeout)
                except BaseException:
                    await reader.stop()
                    raise
                self._reader = reader
            return self._reader

    async def end_offsets(
        self, partitions: Iterable[tuple[str, int]], timeout: float = 10.0
    ) -> dict[tuple[str, int], int]:
        """Each partition's end (the offset its next record will get) as the broker's
        ListOffsets answers it, on fresh metadata.

        A topic or partition the broker does not have is left out (asking for it would
        wait until it appears). The embedded Tansu answers the base offset of the
        partition's last record batch + 1, which is below the end when that batch holds
        several records: see :meth:`fetched_ends`. Raises if the broker does not answer
        within ``timeout``.
        """
        reader = await self._offsets_reader(timeout)
        try:
            cluster = await asyncio.wait_for(reader._client.fetch_all_metadata(), timeout)
            present = [
                TopicPartition(topic, partition)
                for topic, partition in partitions
                if partition in (cluster.partitions_for_topic(topic) or ())
            ]
            if not present:
                return {}
            ends = await asyncio.wait_for(reader.end_offsets(present), timeout)
        except BaseException:
            await self._close_reader()  # a fresh connection next time
            raise
        return {(tp.topic, tp.partition): int(end) for tp, end in ends.items()}

    async def fetched_ends(
        self, at: Mapping[tuple[str, int], int], timeout: float = 5.0
    ) -> dict[tuple[str, int], int]:
        """Each partition's end as a fetch from offset ``at[partition]`` reports it (the
        high watermark, right on every broker); 0 for a partition whose log does not
        reach that offset and says so (Kafka's OFFSET_OUT_OF_RANGE). Reads at most a
        few records per partition; a partition without an answer within ``timeout`` is
        left out."""
        reader = await self._offsets_reader(timeout)
        wanted = {TopicPartition(topic, part): offset for (topic, part), offset in at.items()}
        ends: dict[tuple[str, int], int] = {}
        deadline = time.monotonic() + timeout
        try:
            reader.assign(list(wanted))
            for tp, offset in wanted.items():
                reader.seek(tp, offset)
            while len(ends) < len(wanted) and time.monotonic() < deadline:
                try:
                    await reader.getmany(timeout_ms=200)
                except OffsetOutOfRangeError as exc:
                    for tp in exc.args[0] if exc.args else ():
                        ends[(tp.topic, tp.partition)] = 0
                    continue
                for tp in wanted:
                    highwater = reader.highwater(tp)
                    if highwater is not None:
                        ends.setdefault((tp.topic, tp.partition), int(highwater))
            reader.unsubscribe()
        except BaseException:
            await self._close_reader()
            raise
        return ends

    async def _close_reader(self) -> None:
        async with self._lock:
            if self._reader is not None:
                with contextlib.suppress(Exception):
                    await self._reader.stop()
                self._reader = None

    async def ping(self, timeout: float = 2.0) -> bool:
        """Whether the broker answers a metadata request now."""
        try:
            producer = await asyncio.wait_for(self.producer(), timeout)
            return bool(await asyncio.wait_for(producer.client.force_metadata_update(), timeout))
        except Exception:
            return False

    async def close(self) -> None:
        await self._close_reader()
        async with self._lock:
            if self._producer is not None:
                await self._producer.stop()
                self._producer = None
