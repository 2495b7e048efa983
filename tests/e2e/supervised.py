"""`synergia-dev run` (what `make run` calls) as a subprocess, and a client that keeps
writing through its restarts: what the supervisor drills need."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from synergia_devstack.ports import free_port

from tests.e2e.conftest import cpu_seconds, eventually

SERVICE_NAMES = ("registry", "matching", "funding")


class Run:
    """One `synergia-dev run` on the given ports and data directory; its output (stdout
    and stderr) is collected line by line in ``lines``."""

    def __init__(self, data_dir: Path, ports: dict[str, int], **env: str) -> None:
        self.ports = ports
        self.data_dir = data_dir
        environment = {
            k: v
            for k, v in os.environ.items()
            if not k.endswith("DATABASE_URL") and not k.endswith("KAFKA_BOOTSTRAP_SERVERS")
        }
        environment.update({f"{s.upper()}_PORT": str(p) for s, p in ports.items()})
        # A drill machine is small and shared: a smaller PostgreSQL, quicker restarts.
        environment.setdefault("SYNERGIA_PG_SHARED_BUFFERS", "128MB")
        environment.setdefault("SYNERGIA_RESTART_BACKOFF_INITIAL_SECONDS", "0.5")
        environment.update(env)
        self.environment = environment
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "synergia_devstack.cli", "run", "--data-dir", str(data_dir)],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def said(self, pattern: str) -> list[str]:
        """The supervisor's own lines (not the services' JSON logs) matching ``pattern``."""
        return [ln for ln in list(self.lines) if not ln.startswith("{") and re.search(pattern, ln)]

    async def wait_for_line(self, pattern: str, what: str) -> str:
        """Until the output has a line matching ``pattern``; progress is new output or
        the process tree working. Fails at once if the run exits first."""

        async def probe() -> tuple[str | None, int, int]:
            found = self.said(pattern)
            if not found and self.proc.poll() is not None:
                tail = "\n".join(self.said("."))[-3000:]
                raise AssertionError(f"run exited ({self.proc.returncode}) before {what}:\n{tail}")
            return (found[0] if found else None), len(self.lines), cpu_seconds(self.proc.pid)

        found, _, _ = await eventually(probe, lambda r: r[0] is not None, what=what)
        assert found is not None
        return found

    async def wait_serving(self) -> None:
        await self.wait_for_line(r"^Ctrl-C stops everything", "the system to serve")

    @property
    def token(self) -> str:
        return self.output.split("Development admin token (12 h):\n", 1)[1].split()[0]

    def pid(self, name: str) -> int:
        """The pid the supervisor printed for ``name`` when it started."""
        found = self.said(rf"^  {name} +pid \d+$")
        assert found, f"no pid for {name} in the output"
        return int(found[0].split()[-1])

    @property
    def postgres_port(self) -> int:
        found = self.said(r"^started PostgreSQL .* on 127\.0\.0\.1:(\d+)")
        assert found, "no PostgreSQL line in the output"
        match = re.search(r"127\.0\.0\.1:(\d+)", found[-1])
        assert match is not None
        return int(match.group(1))

    def dsn(self, service: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.postgres_port}/synergia_{service}"

    async def interrupt(self) -> int:
        """Ctrl-C, and wait (on progress) until the run has stopped; its exit code."""
        self.proc.send_signal(signal.SIGINT)

        async def probe() -> tuple[int | None, int, int]:
            return self.proc.poll(), len(self.lines), cpu_seconds(self.proc.pid)

        code, _, _ = await eventually(probe, lambda r: r[0] is not None, what="run to stop")
        assert code is not None
        self._reader.join(10)
        return code

    def kill(self) -> None:
        """Clean-up only: the run and what it started, by their own pids."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.send_signal(signal.SIGINT)  # the second one: no drain
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def free_ports() -> dict[str, int]:
    return {name: free_port() for name in SERVICE_NAMES}


@dataclass
class Writer:
    """Creates ``total`` actors, ``concurrency`` at a time, like a careful client: each
    with its own Idempotency-Key, sent again (same key) after a 503 or when nothing
    answers (the system is restarting), until it gets its 201."""

    registry_url: str
    token: str
    total: int
    concurrency: int = 8
    name_prefix: str = "Drill"
    created: dict[int, str] = field(default_factory=dict)  # item -> actor id
    statuses: Counter[int] = field(default_factory=Counter)  # every HTTP answer
    unanswered: int = 0  # connection errors and timeouts
    unexpected: list[str] = field(default_factory=list)

    async def run(self) -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(self.total):
            queue.put_nowait(i)
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(
            base_url=self.registry_url, headers=headers, timeout=30.0
        ) as http:
            await asyncio.gather(*(self._worker(http, queue) for _ in range(self.concurrency)))

    async def _worker(self, http: httpx.AsyncClient, queue: asyncio.Queue[int]) -> None:
        while not queue.empty():
            await self._create(http, queue.get_nowait())

    async def _create(self, http: httpx.AsyncClient, item: int) -> None:
        key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.name_prefix}/{item}"))
        body = {"legal_name": f"{self.name_prefix} {item:05d}", "kind": "sme", "country": "DE"}
        while True:
            try:
                response = await http.post(
                    "/v1/actors", json=body, headers={"Idempotency-Key": key}
                )
            except httpx.HTTPError:
                self.unanswered += 1
                await asyncio.sleep(0.5)
                continue
            self.statuses[response.status_code] += 1
            if response.status_code == 201:
                self.created[item] = response.json()["id"]
                return
            if response.status_code == 503:
                assert "retry-after" in response.headers, response.text
                await asyncio.sleep(min(float(response.headers["retry-after"]), 1.0))
                continue
            self.unexpected.append(f"{response.status_code} {response.text[:300]}")
            await asyncio.sleep(0.5)  # counted; the drill fails on it, but goes on


@dataclass(frozen=True)
class Counts:
    """Where the actors are: registered, projected by matching and funding (rows,
    distinct actors, inbox rows), and events parked."""

    registry: int
    matching: tuple[int, int, int]
    funding: tuple[int, int, int]
    parked: int


async def _one(dsn: str, sql: str) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def counts(run: Run) -> Counts:
    projections = {}
    parked = 0
    for service, table, consumer in (
        ("matching", "actor_profiles", "matching.actor-projection"),
        ("funding", "beneficiaries", "funding.beneficiary-projection"),
    ):
        dsn = run.dsn(service)
        conn = await asyncpg.connect(dsn)
        try:
            rows, distinct = await conn.fetchrow(
                f"SELECT count(*), count(DISTINCT actor_id) FROM {table}"
            )
            inbox = await conn.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", consumer)
            parked += await conn.fetchval("SELECT count(*) FROM dead_letters")
        finally:
            await conn.close()
        projections[service] = (rows, distinct, inbox)
    registered = await _one(run.dsn("registry"), "SELECT count(*) FROM actors")
    return Counts(registered, projections["matching"], projections["funding"], parked)


async def projected_ids(run: Run) -> dict[str, set[str]]:
    found = {}
    for service, table in (("matching", "actor_profiles"), ("funding", "beneficiaries")):
        conn = await asyncpg.connect(run.dsn(service))
        try:
            found[service] = {str(r[0]) for r in await conn.fetch(f"SELECT actor_id FROM {table}")}
        finally:
            await conn.close()
    return found


async def wait_for_counts(run: Run, expected: int) -> Counts:
    """Until both projections hold ``expected`` actors, as long as the counts move."""

    async def probe() -> Counts:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            return await counts(run)
        return Counts(-1, (-1, -1, -1), (-1, -1, -1), -1)

    return await eventually(
        probe,
        lambda c: c.matching[2] >= expected and c.funding[2] >= expected,
        what=f"{expected} actors in matching and funding",
        interval=0.5,
    )
