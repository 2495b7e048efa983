"""`synergia-dev run` (what `make run` calls): starts everything, serves, stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
from synergia_devstack.ports import free_port


def _env(ports: dict[str, int]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("DATABASE_URL") and not k.endswith("KAFKA_BOOTSTRAP_SERVERS")
    }
    env.update({f"{s.upper()}_PORT": str(p) for s, p in ports.items()})
    return env


def _start(data_dir: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "synergia_devstack.cli", "run", "--data-dir", str(data_dir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_run_starts_the_system_accepts_its_token_and_stops_without_leftovers(
    tmp_path: Path,
) -> None:
    ports = {s: free_port() for s in ("registry", "matching", "funding")}
    env = _env(ports)
    run = _start(tmp_path / "data", env)
    children: list[psutil.Process] = []
    try:
        assert run.stdout is not None
        output = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = run.stdout.readline()
            assert line, "run exited early:\n" + "".join(output)
            output.append(line)
            if line.startswith("Ctrl-C stops everything"):
                break
        text = "".join(output)
        for name, port in ports.items():
            assert f"http://127.0.0.1:{port}/docs" in text, name
        token = text.split("Development admin token (12 h):\n", 1)[1].split()[0]
        children = psutil.Process(run.pid).children(recursive=True)
        assert len(children) >= 5, "postgres, broker and three services"

        created = httpx.post(
            f"http://127.0.0.1:{ports['registry']}/v1/actors",
            json={
                "legal_name": "Nordic Wind Cluster",
                "kind": "cluster_organisation",
                "country": "DK",
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert created.status_code == 201

        second = _start(tmp_path / "other", env)
        out, _ = second.communicate(timeout=60)
        assert second.returncode == 1
        assert "port(s) already taken" in out
        assert "Traceback" not in out

        run.send_signal(signal.SIGINT)
        run.wait(90)
        assert run.returncode == 0
        time.sleep(0.5)
        alive = [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert alive == [], "every server stopped"
        assert (tmp_path / "data" / "postgres" / "PG_VERSION").exists(), "state kept in data dir"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(30)
        for child in children:
            if child.is_running():
                child.kill()
