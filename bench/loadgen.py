"""Closed-loop HTTP load: a fixed number of requests from a fixed number of workers.

The client is a minimal HTTP/1.1 keep-alive client on asyncio streams, one connection
per worker. httpx was tried first: on this 2-core machine it spends ~2 ms of CPU per
request, so it, not the server, set the pace (~480 req/s for both sides), which hides
the difference being measured. This client costs a few tens of microseconds a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# One request to make: method, path, JSON body (or None).
RequestSpec = tuple[str, str, Any]


class HttpError(Exception):
    pass


class RawConnection:
    """One keep-alive HTTP/1.1 connection; responses must carry Content-Length."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        fixed = {"Host": f"{self.host}:{self.port}", **headers}
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        reused = self._writer is not None
        try:
            return await self._request(method, path, body)
        except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
            # The server closed an idle keep-alive connection before it got our request
            # (nothing came back): reconnect and send it once more.
            partial = getattr(exc, "partial", b"")
            if not reused or partial:
                raise
            await self.close()
            return await self._request(method, path, body)

    async def _request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        if self._writer is None or self._reader is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        payload = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\n".encode() + self._fixed
        if body is not None:
            head += b"Content-Type: application/json\r\n"
        head += b"Content-Length: %d\r\n\r\n" % len(payload)
        self._writer.write(head + payload)
        response_head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(response_head[9:12])
        length = None
        for line in response_head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
                break
        if length is None:
            raise HttpError(f"no Content-Length in {response_head!r}")
        return status, await self._reader.readexactly(length)

    async def close(self) -> None:
        if self._writer is not None:
            writer, self._writer, self._reader = self._writer, None, None
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


class ConnectionPool:
    """Connections handed out one request at a time (for open-loop, paced load)."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self._base_url = base_url
        self._headers = headers
        self._idle: list[RawConnection] = []
        self._all: list[RawConnection] = []

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        if self._idle:
            conn = self._idle.pop()
        else:
            conn = RawConnection(self._base_url, self._headers)
            self._all.append(conn)
        try:
            result = await conn.request(method, path, body)
        except BaseException:
            await conn.close()
            self._all.remove(conn)
            raise
        self._idle.append(conn)
        return result

    async def close(self) -> None:
        for conn in self._all:
            await conn.close()
        self._all.clear()
        self._idle.clear()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU-seconds the whole machine has spent not idle, summed over all cores."""
    import os

    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies: list[float] = field(repr=False)
    errors: int
    client_cpu_seconds: float
    server_cpu_seconds: float
    machine_cpu_seconds: float

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds


async def run_load(
    base_url: str,
    headers: dict[str, str],
    make_request: Callable[[int], RequestSpec],
    *,
    requests: int,
    warmup: int,
    concurrency: int,
    expect_status: int,
    server_cpu: Callable[[], float],
) -> LoadResult:
    """``warmup`` requests, then ``requests`` timed ones, ``concurrency`` in flight at a time."""
    connections = [RawConnection(base_url, headers) for _ in range(concurrency)]
    try:
        numbers = itertools.count()
        await _drive(connections, make_request, numbers, warmup, expect_status, [])
        latencies: list[float] = []
        cpu0, server0, machine0 = time.process_time(), server_cpu(), machine_busy_seconds()
        started = time.perf_counter()
        errors = await _drive(
            connections, make_request, numbers, requests, expect_status, latencies
        )
        seconds = time.perf_counter() - started
        cpu1, server1, machine1 = time.process_time(), server_cpu(), machine_busy_seconds()
    finally:
        for conn in connections:
            await conn.close()
    return LoadResult(
        requests, seconds, latencies, errors, cpu1 - cpu0, server1 - server0, machine1 - machine0
    )


async def _drive(
    connections: list[RawConnection],
    make_request: Callable[[int], RequestSpec],
    numbers: itertools.count[int],
    total: int,
    expect_status: int,
    latencies: list[float],
) -> int:
    remaining = total
    errors = 0

    async def worker(conn: RawConnection) -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            method, path, body = make_request(next(numbers))
            started = time.perf_counter()
            status, response = await conn.request(method, path, body)
            latencies.append(time.perf_counter() - started)
            if status != expect_status:
                errors += 1
                if errors == 1:
                    print(f"  unexpected {status}: {response[:300]!r}")

    await asyncio.gather(*(worker(conn) for conn in connections))
    return errors
