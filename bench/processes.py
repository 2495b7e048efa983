"""Server processes for the benchmarks: the real services, and the bare baseline app.

Both are started the same way (``python -m uvicorn … --factory``, one worker, no access
log), on free ports, and stopped by their own process object.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from synergia_devstack.processes import die_with_parent
from synergia_devstack.services import ServiceProcess

from bench.loadgen import cpu_seconds

REPO_ROOT = Path(__file__).resolve().parents[1]


class AppProcess(ServiceProcess):
    """A :class:`ServiceProcess` whose uvicorn serves ``app`` (``module:factory``)."""

    def __init__(
        self,
        name: str,
        port: int,
        env: Mapping[str, str],
        *,
        app: str | None = None,
        log_path: Path | None = None,
    ) -> None:
        super().__init__(name, port, env, log_path=log_path)
        self.app = app or f"synergia_{name}.app:create_app"

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
                cwd=REPO_ROOT,
                stdout=out,
                stderr=out,
                preexec_fn=die_with_parent(),
            )
        finally:
            if out is not None:
                out.close()

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far (Linux /proc)."""
        return cpu_seconds(self.proc.pid) if self.proc is not None else 0.0

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
