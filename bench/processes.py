"""Server processes for the benchmarks: the real services, and the bare baseline app.

Both are started the same way (``python -m uvicorn … --factory``, one worker, no access
log), on free ports, and stopped by their own process object.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from synergia_devstack.services import ServiceProcess

from bench.loadgen import cpu_seconds

REPO_ROOT = Path(__file__).resolve().parents[1]


class AppProcess(ServiceProcess):
    """A :class:`ServiceProcess` run from the repository root, with CPU accounting."""

    def __init__(
        self,
        name: str,
        port: int,
        env: Mapping[str, str],
        *,
        app: str | None = None,
        log_path: Path | None = None,
    ) -> None:
        super().__init__(name, port, env, log_path=log_path, app=app, cwd=REPO_ROOT)

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far (Linux /proc)."""
        return cpu_seconds(self.proc.pid) if self.proc is not None else 0.0

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
