"""Server processes for the benchmarks: the real services, and the bare baseline app.

Both are started the same way (``python -m uvicorn … --factory``, one worker, no access
log), on free ports, and stopped by their own process object: :func:`running`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from synergia_devstack.services import ServiceProcess

from bench.loadgen import cpu_seconds

REPO_ROOT = Path(__file__).resolve().parents[1]


class AppProcess(ServiceProcess):
    """A :class:`ServiceProcess` run from the repository root, with CPU accounting.

    ``label`` names it in the log tail printed when a bench fails (the name by default;
    the name also picks the app, so two processes of one service differ by label only).
    """

    def __init__(
        self,
        name: str,
        port: int,
        env: Mapping[str, str],
        *,
        app: str | None = None,
        log_path: Path | None = None,
        label: str | None = None,
    ) -> None:
        super().__init__(name, port, env, log_path=log_path, app=app, cwd=REPO_ROOT)
        self.label = label or name

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far (Linux /proc)."""
        return cpu_seconds(self.proc.pid) if self.proc is not None else 0.0

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@contextlib.asynccontextmanager
async def running(*procs: AppProcess) -> AsyncIterator[None]:
    """Start every process, then wait until each is ready; stop each one on the way out.

    If starting or the block fails, each process's log tail is printed first: the
    reason is usually there, and the log file goes with the bench's temporary directory.
    """
    with contextlib.ExitStack() as stops:
        # Callbacks run last-in first-out: registered reversed, they stop the processes
        # in the order given, and each even if stopping an earlier one failed.
        for proc in reversed(procs):
            stops.callback(proc.stop)
        try:
            for proc in procs:
                proc.start()
            for proc in procs:
                await asyncio.to_thread(proc.wait_ready)
            yield
        except Exception:
            for proc in procs:
                print(f"--- {proc.label} log tail ---\n{proc.log_tail()}")
            raise
