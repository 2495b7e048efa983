"""Benchmark: time to ready. How long a service process takes from its start to its first
200 on ``/readyz``, against a bare FastAPI + asyncpg app started the same way (the floor:
the interpreter, uvicorn, FastAPI and one pool), and how long ``make run`` on a warm
checkout takes to print that Synergia is running.

Each service runs with the environment ``make run`` gives it (devstack's
``service_env``) on a fresh, migrated database of its own; the processes start one at a
time, so each measures its own start on the machine as it is. ``make run`` is started
once cold (a new data folder: initdb, migrations from scratch), stopped with Ctrl-C, then
started again on the same folder: the warm start is what is measured. The figures are
medians over rounds. Aims: a service ready within 3 s, ``make run`` warm within 10 s.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import statistics
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from synergia_devstack.ports import free_port
from synergia_devstack.services import SERVICES
from synergia_devstack.stack import Servers, service_env

from bench.processes import REPO_ROOT, AppProcess
from bench.stack import BenchStack, dsn
from bench.stats import ratio, table

SERVICE_AIM_S = 3.0
MAKE_RUN_AIM_S = 10.0
RUNNING_LINE = "Synergia is running"
# What `make run` must not inherit from the bench's environment: it starts its own servers.
_SERVER_VARIABLES = re.compile(r"^(\w+_)?(DATABASE_URL|KAFKA_BOOTSTRAP_SERVERS|PORT)$")


def time_to_ready(proc: AppProcess, timeout: float = 120.0) -> dict[str, float]:
    """Start ``proc``; seconds until ``/readyz`` answers 200, and the CPU it used by then."""
    started = time.perf_counter()
    proc.start()
    try:
        with httpx.Client(timeout=1.0) as client:
            while True:
                elapsed = time.perf_counter() - started
                if elapsed > timeout:
                    raise TimeoutError(f"{proc.label} not ready after {timeout:.0f} s")
                if proc.exit_code() is not None:
                    raise RuntimeError(f"{proc.label} exited:\n{proc.log_tail()}")
                try:
                    if client.get(f"{proc.base_url}/readyz").status_code == 200:
                        return {"seconds": elapsed, "cpu_seconds": proc.cpu_seconds()}
                except httpx.HTTPError:
                    pass
                time.sleep(0.01)
    finally:
        proc.stop()


async def _service_process(
    stack: BenchStack, log_dir: Path, service: str, round_no: int
) -> AppProcess:
    url = await stack.fresh_database(service, f"start{round_no}")
    port = free_port()
    servers = Servers({service: url}, stack.kafka)
    prefix = await stack.topics(f"start{round_no}")
    env = {**service_env(service, servers, port), f"{service.upper()}_KAFKA_TOPIC_PREFIX": prefix}
    return AppProcess(service, port, env, log_path=log_dir / f"startup-{service}-{round_no}.log")


async def _floor_process(stack: BenchStack, log_dir: Path, round_no: int) -> AppProcess:
    url = await stack.fresh_database("registry", f"startfloor{round_no}")
    return AppProcess(
        "floor",
        free_port(),
        {"BENCH_STARTUP_FLOOR_DSN": dsn(url)},
        app="bench.startup_floor_app:create_app",
        log_path=log_dir / f"startup-floor-{round_no}.log",
    )


def make_run_seconds(data_dir: Path, log_path: Path, timeout: float = 300.0) -> float:
    """Start ``make run`` on ``data_dir`` (free ports, its own servers); seconds until it
    says Synergia is running; then stop it with Ctrl-C (SIGINT to its process group)."""
    env = {k: v for k, v in os.environ.items() if not _SERVER_VARIABLES.match(k)}
    env.update({f"{s.upper()}_PORT": str(free_port()) for s in SERVICES})
    started = time.perf_counter()
    ready = threading.Event()
    with log_path.open("ab", buffering=0) as log:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"RUN_ARGS=--data-dir {data_dir}"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(line)
                if RUNNING_LINE.encode() in line:
                    ready.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            while not ready.wait(0.05):
                if proc.poll() is not None:
                    reader.join(5)
                    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
                    raise RuntimeError(f"make run exited with {proc.returncode}:\n{tail}")
                if time.perf_counter() - started > timeout:
                    raise TimeoutError(f"make run not running after {timeout:.0f} s")
            return time.perf_counter() - started
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGINT)
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)
            reader.join(10)


async def run(stack: BenchStack, log_dir: Path, *, rounds: int = 3) -> dict[str, Any]:
    names = ("floor", *SERVICES)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for round_no in range(rounds):
        for name in names:
            proc = (
                await _floor_process(stack, log_dir, round_no)
                if name == "floor"
                else await _service_process(stack, log_dir, name, round_no)
            )
            measured = await asyncio.to_thread(time_to_ready, proc)
            seconds[name].append(measured["seconds"])
            cpu[name].append(measured["cpu_seconds"])
    data_dir = log_dir / "make-run-data"
    log_path = log_dir / "startup-make-run.log"
    cold = await asyncio.to_thread(make_run_seconds, data_dir, log_path)
    warm = [await asyncio.to_thread(make_run_seconds, data_dir, log_path) for _ in range(rounds)]
    floor = statistics.median(seconds["floor"])
    return {
        "rounds": rounds,
        "processes": {
            name: {
                "seconds_median": statistics.median(seconds[name]),
                "cpu_seconds_median": statistics.median(cpu[name]),
                "rounds_s": seconds[name],
                "ratio_to_floor": ratio(statistics.median(seconds[name]), floor),
            }
            for name in names
        },
        "make_run": {
            "cold_seconds": cold,
            "warm_seconds_median": statistics.median(warm),
            "warm_rounds_s": warm,
        },
    }


def render(report: dict[str, Any]) -> str:
    rows: list[list[object]] = []
    for name, figures in report["processes"].items():
        label = "bare FastAPI + asyncpg pool (floor)" if name == "floor" else name
        aim = "" if name == "floor" else f"<= {SERVICE_AIM_S:.0f} s"
        rows.append(
            [
                label,
                figures["seconds_median"],
                figures["cpu_seconds_median"],
                f"{figures['ratio_to_floor']:.2f}x",
                aim,
            ]
        )
    make_run = report["make_run"]
    rows.append(
        ["make run, warm (data folder exists)", make_run["warm_seconds_median"], "", "", "<= 10 s"]
    )
    rows.append(["make run, cold (first start: initdb)", make_run["cold_seconds"], "", "", ""])
    title = (
        f"Time to ready: process start -> first 200 on /readyz, median of {report['rounds']} rounds"
    )
    return table(title, ["process", "seconds", "CPU s", "x floor", "aim"], rows)
