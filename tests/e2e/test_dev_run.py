"""`synergia-dev run` (what `make run` calls): starts everything, serves, stops everything."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from tests.e2e.supervised import Run, free_ports


async def test_run_starts_the_system_accepts_its_token_and_stops_without_leftovers(
    tmp_path: Path,
) -> None:
    ports = free_ports()
    run = Run(tmp_path / "data", ports)
    children: list[psutil.Process] = []
    try:
        await run.wait_serving()
        for name, port in ports.items():
            assert f"http://127.0.0.1:{port}/docs" in run.output, name
        children = psutil.Process(run.proc.pid).children(recursive=True)
        assert len(children) >= 5, "postgres, broker and three services"
        for name in ("postgresql", "broker", *ports):
            assert psutil.Process(run.pid(name)) in children, f"{name}'s pid is printed"

        created = httpx.post(
            f"http://127.0.0.1:{ports['registry']}/v1/actors",
            json={
                "legal_name": "Nordic Wind Cluster",
                "kind": "cluster_organisation",
                "country": "DK",
            },
            headers={"Authorization": f"Bearer {run.token}"},
            timeout=30,
        )
        assert created.status_code == 201

        second = subprocess.run(
            [sys.executable, "-m", "synergia_devstack.cli", "run", "--data-dir", str(tmp_path)],
            env={**run.environment, "SYNERGIA_DRAIN_TIMEOUT_SECONDS": "1"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert second.returncode == 1
        assert "port(s) already taken" in second.stderr
        assert "Traceback" not in second.stderr + second.stdout

        assert await run.interrupt() == 0
        assert run.said(r"^drained in "), "Ctrl-C drains before it stops"
        time.sleep(0.5)
        alive = [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert alive == [], "every server stopped"
        assert (tmp_path / "data" / "postgres" / "PG_VERSION").exists(), "state kept in data dir"
    finally:
        run.kill()
        for child in children:
            if child.is_running():
                child.kill()
