"""Synergia services as separate uvicorn processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from synergia_devstack.processes import die_with_parent, stop_process

SERVICES = ("registry", "matching", "funding")
DEFAULT_PORTS = {"registry": 8001, "matching": 8002, "funding": 8003}


class ServiceProcess:
    def __init__(
        self,
        name: str,
        port: int,
        env: Mapping[str, str],
        *,
        host: str = "127.0.0.1",
        log_path: Path | None = None,
        graceful_timeout: int = 10,
        app: str | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.app = app or f"synergia_{name}.app:create_app"  # module:factory
        self.cwd = cwd
        self.port = port
        self.host = host
        self.env = dict(env)
        self.log_path = log_path
        self.graceful_timeout = graceful_timeout
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def exit_code(self) -> int | None:
        """``None`` while it runs (or when stopped by us); its exit code once it died."""
        return self.proc.poll() if self.proc is not None else None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        out = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    self.app,
                    "--factory",
                    "--host",
                    self.host,
                    "--port",
                    str(self.port),
                    "--no-access-log",
                    "--timeout-graceful-shutdown",
                    str(self.graceful_timeout),
                ],
                env={**os.environ, **self.env},
                cwd=self.cwd,
                stdout=out,
                stderr=out,
                preexec_fn=die_with_parent(),
            )
        finally:
            if out is not None:
                out.close()

    def wait_ready(self, timeout: float = 300.0) -> None:
        """Until ``/readyz`` answers 200; generous, a busy machine starts slowly (a
        process that exits fails at once)."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}")
            try:
                response = httpx.get(f"{self.base_url}/readyz", timeout=3)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready after {timeout:.0f}s: {last}")

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout=self.graceful_timeout + 10)
            self.proc = None

    def kill(self) -> None:
        """SIGKILL: the drill for a process dying at the worst moment."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None
