"""End-to-end fixtures: the three services as real uvicorn processes on free ports.

Each test gets its own databases and topic prefix (``stack``), and a ``services``
launcher whose processes are stopped by their own process objects when the test ends,
whether it passed or not. Helpers here talk HTTP, Kafka and SQL like an operator would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import psutil
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from aiokafka.partitioner import DefaultPartitioner
from synergia_devstack.broker import EmbeddedBroker
from synergia_devstack.ports import free_port
from synergia_devstack.services import SERVICES, ServiceProcess

from tests.support.stack import TestStack, auth

T = TypeVar("T")

ACTOR_TOPIC = "registry.actor"
MATCHING_CONSUMER = "matching.actor-projection"
FUNDING_CONSUMER = "funding.beneficiary-projection"


@dataclass
class Services:
    """Starts service processes for one test and remembers them for the cleanup."""

    stack: TestStack
    log_dir: Path
    processes: list[ServiceProcess] = field(default_factory=list)

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    async def start(
        self, name: str, *, kafka: str | None = None, **extra_env: str
    ) -> ServiceProcess:
        """Start ``name`` (optionally against another broker) and wait until it is ready.

        ``extra_env`` is given without the service prefix: ``RELAY_ENABLED="false"``.
        """
        env = self.stack.env(name, **{f"{name.upper()}_{k}": v for k, v in extra_env.items()})
        if kafka is not None:
            env[f"{name.upper()}_KAFKA_BOOTSTRAP_SERVERS"] = kafka
        # The registry on the port the others fetch shared contacts from (its first one).
        first_registry = name == "registry" and not any(p.name == name for p in self.processes)
        port = self.stack.registry_port if first_registry else free_port()
        proc = ServiceProcess(
            name, port=port, env=env, log_path=self.log_path(name), graceful_timeout=5
        )
        self.processes.append(proc)
        proc.start()
        await wait_until_ready(proc)
        return proc

    async def start_all(self, *, kafka: str | None = None) -> list[ServiceProcess]:
        """Registry, matching and funding, started side by side."""
        return list(await asyncio.gather(*(self.start(name, kafka=kafka) for name in SERVICES)))

    async def restart(self, proc: ServiceProcess, **env_changes: str) -> None:
        """Start a stopped or killed process again, same port, same log file."""
        assert proc.proc is None, "stop or kill it first"
        proc.env.update({f"{proc.name.upper()}_{k}": v for k, v in env_changes.items()})
        proc.start()
        await wait_until_ready(proc)

    def stop_all(self) -> None:
        """SIGTERM each process (SIGKILL after its grace period); every one is tried."""
        for proc in reversed(self.processes):
            try:
                proc.stop()
            except Exception:
                with contextlib.suppress(Exception):
                    proc.kill()


@pytest.fixture
async def services(stack: TestStack, tmp_path: Path) -> AsyncIterator[Services]:
    launcher = Services(stack, tmp_path)
    try:
        yield launcher
    finally:
        await asyncio.to_thread(launcher.stop_all)


@pytest.fixture
def dedicated_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A broker of this test's own, on a fixed free port, so it can be stopped and restarted."""
    broker = EmbeddedBroker(port=free_port(), log_path=tmp_path / "broker.log")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


# --- waiting -------------------------------------------------------------------------


# Waits go on as long as what they watch moves (a count grows, readiness changes, a
# starting process works), so a busy machine makes a drill slower, not red. They fail
# after STALL_SECONDS without any change, or CAP_SECONDS in all, saying what they saw.
STALL_SECONDS = float(os.environ.get("SYNERGIA_E2E_STALL_SECONDS") or 120)
CAP_SECONDS = float(os.environ.get("SYNERGIA_E2E_CAP_SECONDS") or 900)


async def eventually(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    what: str,
    timeout: float = 0.0,
    interval: float = 0.2,
    progress: Callable[[T], object] = lambda result: result,
) -> T:
    """Poll ``probe`` until ``done(result)``, as long as there is progress.

    Progress is a change of ``progress(result)`` (by default the result itself). The
    wait fails once nothing changed for ``max(timeout, STALL_SECONDS)`` seconds, or
    after ``CAP_SECONDS``, with the last result in the message.
    """
    stall = max(timeout, STALL_SECONDS)
    started = last_change = time.monotonic()
    seen: object = _NOTHING
    while True:
        result = await probe()
        if done(result):
            return result
        now = time.monotonic()
        marker = progress(result)
        if marker != seen:
            seen, last_change = marker, now
        if now - last_change > stall:
            raise AssertionError(f"no progress for {stall:.0f}s waiting for {what}: {result!r}")
        if now - started > CAP_SECONDS:
            raise AssertionError(f"gave up after {CAP_SECONDS:.0f}s waiting for {what}: {result!r}")
        await asyncio.sleep(interval)


_NOTHING = object()


def cpu_seconds(pid: int | None) -> int:
    """Whole CPU seconds a process and its children used: a starting process that
    works (imports, migrates, recovers) makes progress even before it answers."""
    if pid is None:
        return 0
    try:
        process = psutil.Process(pid)
        total = 0.0
        for p in [process, *process.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = p.cpu_times()
                total += times.user + times.system
        return int(total)
    except psutil.Error:
        return 0


async def wait_until_ready(proc: ServiceProcess) -> None:
    """Until ``/readyz`` answers 200; progress is its answer changing or the process
    working. A process that exits fails at once."""

    async def probe() -> tuple[str, int]:
        if proc.proc is not None and proc.proc.poll() is not None:
            raise AssertionError(f"{proc.name} exited with {proc.proc.returncode} while starting")
        try:
            async with httpx.AsyncClient(timeout=5.0) as http:
                response = await http.get(f"{proc.base_url}/readyz")
            answer = f"{response.status_code} {response.text}"
        except httpx.HTTPError as exc:
            answer = f"no answer: {type(exc).__name__}"
        return answer, cpu_seconds(proc.pid)

    await eventually(
        probe, lambda r: r[0].startswith("200 "), what=f"{proc.name} to be ready", interval=0.2
    )


# --- HTTP ----------------------------------------------------------------------------


def client(proc: ServiceProcess) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=proc.base_url, timeout=30.0)


def actor_body(legal_name: str, country: str = "DE", kind: str = "sme") -> dict[str, str]:
    return {"legal_name": legal_name, "kind": kind, "country": country}


async def create_actor(
    registry: httpx.AsyncClient,
    legal_name: str,
    *,
    country: str = "DE",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await registry.post(
        "/v1/actors",
        json=actor_body(legal_name, country),
        headers={**auth("sme"), **(headers or {})},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_actors(
    registry: httpx.AsyncClient,
    count: int,
    *,
    name_prefix: str,
    concurrency: int = 20,
    created: list[str] | None = None,
    hold_from: int | None = None,
    release: asyncio.Event | None = None,
) -> list[str]:
    """Register ``count`` actors, ``concurrency`` at a time; every one must end in a 201.

    Each create carries its own Idempotency-Key and is sent again with it when no answer
    came back (a keep-alive connection the server closed just as it was reused, on a
    loaded machine), as a real client does: the drills count what arrived, exactly once.
    Ids are appended to ``created`` as they come back, so a test can watch progress.
    Creates from index ``hold_from`` on wait for ``release``: a drill that kills a process
    mid-load is sure some of the load comes after the kill, however fast the machine.
    """
    ids: list[str] = created if created is not None else []
    semaphore = asyncio.Semaphore(concurrency)
    run = uuid.uuid4().hex

    async def one(i: int) -> None:
        headers = {**auth("sme"), "Idempotency-Key": f"{run}-{i}"}
        body = actor_body(f"{name_prefix} {i:05d}")
        if release is not None and hold_from is not None and i >= hold_from:
            await release.wait()
        async with semaphore:
            for attempt in range(5):
                try:
                    response = await registry.post("/v1/actors", json=body, headers=headers)
                except httpx.TransportError:
                    await asyncio.sleep(0.2 * 2**attempt)
                    continue
                break
            else:
                raise AssertionError(f"no answer to create {i} in 5 attempts")
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])

    await asyncio.gather(*(one(i) for i in range(count)))
    return ids


# --- SQL -----------------------------------------------------------------------------


async def fetchval(dsn: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def execute(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@dataclass(frozen=True)
class Tally:
    """What one projection holds: rows, distinct ids, inbox rows, parked events."""

    rows: int
    distinct_ids: int
    inbox: int
    dead_letters: int


async def tally(stack: TestStack, service: str) -> Tally:
    table, consumer = {
        "matching": ("actor_profiles", MATCHING_CONSUMER),
        "funding": ("beneficiaries", FUNDING_CONSUMER),
    }[service]
    conn = await asyncpg.connect(stack.dsn(service))
    try:
        rows, distinct_ids = await conn.fetchrow(
            f"SELECT count(*), count(DISTINCT actor_id) FROM {table}"
        )
        inbox = await conn.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", consumer)
        parked = await conn.fetchval("SELECT count(*) FROM dead_letters")
    finally:
        await conn.close()
    return Tally(rows, distinct_ids, inbox, parked)


async def projected_ids(stack: TestStack, service: str) -> set[str]:
    table = {"matching": "actor_profiles", "funding": "beneficiaries"}[service]
    rows = await fetch(stack.dsn(service), f"SELECT actor_id FROM {table}")
    return {str(r["actor_id"]) for r in rows}


async def wait_for_projections(
    stack: TestStack, expected: int, *, timeout: float, services: tuple[str, ...] = ()
) -> dict[str, Tally]:
    """Wait until each projection holds ``expected`` actors (as long as they grow, see
    :func:`eventually`); return what they hold."""
    result = {}
    for service in services or ("matching", "funding"):

        async def probe(service: str = service) -> Tally:
            return await tally(stack, service)

        result[service] = await eventually(
            probe,
            lambda t: t.rows >= expected and t.inbox >= expected,
            timeout=timeout,
            what=f"{expected} actors in {service}",
        )
    return result


def assert_exactly_once(tallies: dict[str, Tally], expected: int) -> None:
    for service, t in tallies.items():
        assert t == Tally(expected, expected, expected, 0), f"{service}: {t}"


# --- Kafka and logs ------------------------------------------------------------------


@contextlib.asynccontextmanager
async def raw_producer(bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


def log_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON log lines a service process wrote (other lines are skipped)."""
    entries = []
    for line in path.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict):
                entries.append(entry)
    return entries


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[ConsumerRecord[Any, Any]]], bool],
    timeout: float,
) -> list[ConsumerRecord[Any, Any]]:
    """Read ``topic`` from the beginning (no consumer group) until ``until(records)``;
    fails once no record came for ``max(timeout, STALL_SECONDS)`` seconds."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[ConsumerRecord[Any, Any]] = []
    stall = max(timeout, STALL_SECONDS)
    last_record = time.monotonic()
    try:
        while not until(records):
            if time.monotonic() - last_record > stall:
                raise AssertionError(
                    f"no record for {stall:.0f}s reading {topic}: {len(records)} records"
                )
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                records.extend(batch)
                last_record = time.monotonic()
    finally:
        await consumer.stop()
    return records


def partition_for(key: bytes, partitions: int = 3) -> int:
    """The partition a keyed message goes to (the producers' default partitioner)."""
    chosen: int = DefaultPartitioner()(key, list(range(partitions)), list(range(partitions)))
    return chosen


CONTENT_TYPE_HEADERS = [("content-type", b"application/cloudevents+json")]
