"""Benchmark: what tracing costs a read. GET /v1/actors/{id} on the registry with tracing
off (no OTEL_* variables: the default) and on at 10 % sampling
(``OTEL_TRACES_SAMPLER=parentbased_traceidratio``, ``OTEL_TRACES_SAMPLER_ARG=0.1``),
exporting over OTLP/HTTP to a collector sink run as a process of its own that discards
what it receives (synergia_devstack.otlp_sink). ``BENCH_TRACING_SAMPLE_RATIO`` sets another
ratio: ``0`` measures what every request pays, sampled or not.

Both registries run at once on the same seeded database, started the same way; each
round loads one and then the other (the order turning between rounds). Figures are
medians over rounds; the ratio is the median of the rounds' on/off ratios, so a burst
of load from elsewhere on the machine moves one round, not the result.

Before the rounds, bench.tracing_floor measures tracing's own work per request alone
(the request middleware, no network, off and on taking turns): added to the off server's
CPU per request, it is the floor of the on/off CPU ratio, printed under the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synergia_devstack.ports import free_port

from bench.http_bench import SEED_ROWS, get_request, seed_actors
from bench.loadgen import LoadResult, run_load
from bench.processes import REPO_ROOT, AppProcess, running
from bench.stack import BenchStack, bearer
from bench.stats import ratio, summary_ms, table

# BENCH_TRACING_SAMPLE_RATIO=0 measures what every request pays (none is sampled).
SAMPLE_RATIO = os.environ.get("BENCH_TRACING_SAMPLE_RATIO", "0.1")
AIM = 0.95  # throughput with tracing on at 10 %, relative to off
FLOOR_RUNS = 3  # turns of each side of bench.tracing_floor (medians)
FLOOR_REQUESTS = 20_000
# Whatever the bench's own environment says, "off" is the default: no OTEL_* at all.
OFF_ENV = {
    "OTEL_SDK_DISABLED": "",
    "OTEL_TRACES_EXPORTER": "",
    "OTEL_EXPORTER_OTLP_ENDPOINT": "",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "",
}


@contextlib.contextmanager
def collector_sink(port: int, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The discarding OTLP receiver, in a process of its own, stopped by its handle."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "synergia_devstack.otlp_sink", str(port)],
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _round(result: LoadResult) -> dict[str, float]:
    return {
        "throughput_rps": result.throughput,
        **summary_ms(result.latencies),
        "server_cpu_per_request_ms": 1000 * result.server_cpu_seconds / result.requests,
    }


async def run(
    stack: BenchStack,
    log_dir: Path,
    *,
    requests: int,
    warmup: int,
    concurrency: int,
    rounds: int,
) -> dict[str, Any]:
    database_url = await stack.fresh_database("registry", "tracing")
    ids = [uuid.uuid4() for _ in range(SEED_ROWS)]
    await seed_actors(database_url, ids)
    sink_port = free_port()
    # Topics of its own for each (the consumer group is named by the prefix): in one
    # group, whichever got the partitions would also run the consumer's fetch loop, a
    # CPU cost that lands on one side by chance.
    env = {
        side: stack.service_env("registry", database_url, await stack.topics(f"tracing{side}"))
        for side in ("off", "on")
    }
    servers = {
        "off": AppProcess(
            "registry",
            free_port(),
            {**env["off"], **OFF_ENV},
            log_path=log_dir / "tracing-off.log",
            label="registry (tracing off)",
        ),
        "on": AppProcess(
            "registry",
            free_port(),
            {
                **env["on"],
                **OFF_ENV,
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"http://127.0.0.1:{sink_port}/v1/traces",
                "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": SAMPLE_RATIO,
            },
            log_path=log_dir / "tracing-on.log",
            label=f"registry (tracing on, {float(SAMPLE_RATIO):.0%})",
        ),
    }
    results: dict[str, list[LoadResult]] = {side: [] for side in servers}
    sides = list(servers)
    headers = {**bearer("admin"), "Accept": "application/json"}
    with collector_sink(sink_port, log_dir / "tracing-sink.log"):
        floor = await tracing_floor(servers["on"].env)
        async with running(*servers.values()):
            for round_no in range(rounds):
                shift = round_no % len(sides)
                for side in sides[shift:] + sides[:shift]:
                    proc = servers[side]
                    result = await run_load(
                        proc.base_url,
                        headers,
                        get_request(ids),
                        requests=requests,
                        warmup=warmup,
                        concurrency=concurrency,
                        expect_status=200,
                        server_cpu=proc.cpu_seconds,
                    )
                    results[side].append(result)
                    print(
                        f"  GET tracing {side:<3} round {round_no + 1}: "
                        f"{result.throughput:,.0f} req/s, errors {result.errors}",
                        flush=True,
                    )
                    await asyncio.sleep(0)
    report: dict[str, Any] = {
        "concurrency": concurrency,
        "requests_per_round": requests,
        "rounds": rounds,
        "sample_ratio": float(SAMPLE_RATIO),
        "aim_throughput_ratio": AIM,
    }
    per_round = {side: [_round(r) for r in results[side]] for side in sides}
    for side in sides:
        rows = per_round[side]
        report[side] = {
            **{key: statistics.median(r[key] for r in rows) for key in rows[0]},
            "errors": sum(r.errors for r in results[side]),
            "rounds": rows,
        }
    report["floor"] = {
        **floor,
        # Tracing's own work added to what the server spends on a request with it off.
        "cpu_ratio": 1 + floor["added_ms"] / report["off"]["server_cpu_per_request_ms"],
    }
    pairs = list(zip(per_round["on"], per_round["off"], strict=True))
    report["on_off_ratios"] = {
        key: statistics.median(ratio(on[key], off[key]) for on, off in pairs)
        for key in ("throughput_rps", "p50_ms", "p99_ms", "server_cpu_per_request_ms")
    }
    return report


async def tracing_floor(on_env: dict[str, str]) -> dict[str, float]:
    """What tracing's own work adds to a request (bench.tracing_floor: the middleware
    around an app that answers at once, no network), off and on as the bench runs the
    registries, in processes of their own taking turns; medians in milliseconds."""
    runs: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(FLOOR_RUNS):
        for side in runs:
            env = {**os.environ, **(on_env if side == "on" else OFF_ENV)}
            arg = SAMPLE_RATIO if side == "on" else "off"
            done = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "bench.tracing_floor", arg, str(FLOOR_REQUESTS)],
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            runs[side].append(1000 * json.loads(done.stdout)["cpu_seconds_per_request"])
    off, on = statistics.median(runs["off"]), statistics.median(runs["on"])
    return {"off_ms": off, "on_ms": on, "added_ms": on - off}


def render(report: dict[str, Any]) -> str:
    rows: list[list[object]] = []
    sampled = f"tracing on, {report['sample_ratio']:.0%} sampled"
    for side, label in (("off", "tracing off"), ("on", sampled)):
        r = report[side]
        rows.append(
            [
                f"GET /v1/actors/{{id}} {label}",
                r["throughput_rps"],
                r["p50_ms"],
                r["p99_ms"],
                r["server_cpu_per_request_ms"],
                r["errors"],
            ]
        )
    ratios = report["on_off_ratios"]
    rows.append(
        [
            "ratio on/off",
            f"{ratios['throughput_rps']:.3f}x",
            f"{ratios['p50_ms']:.2f}x",
            f"{ratios['p99_ms']:.2f}x",
            f"{ratios['server_cpu_per_request_ms']:.2f}x",
            "",
        ]
    )
    title = (
        f"Tracing: registry GET with OpenTelemetry off vs on at "
        f"{report['sample_ratio']:.0%} sampling, exporting OTLP/HTTP to a discarding sink "
        f"(concurrency {report['concurrency']}, {report['requests_per_round']:,} requests per "
        f"round, medians of {report['rounds']} turning rounds; aim: throughput >= "
        f"{report['aim_throughput_ratio']:.2f}x)"
    )
    floor = report["floor"]
    floor_line = (
        f"tracing's own work at {report['sample_ratio']:.0%} (the request middleware alone, "
        f"no network, export thread included): {1000 * floor['added_ms']:.1f} us per request "
        f"({1000 * floor['off_ms']:.1f} -> {1000 * floor['on_ms']:.1f} us); added to the off "
        f"server's CPU per request, the floor of the on/off CPU ratio: "
        f"{floor['cpu_ratio']:.3f}x"
    )
    headers = ["endpoint", "req/s", "p50 ms", "p99 ms", "srv CPU ms/req", "err"]
    return table(title, headers, rows) + "\n" + floor_line
