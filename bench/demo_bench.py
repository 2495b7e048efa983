"""Benchmark: `make demo` (2,000 actors, 40 clusters, 10 value chains by default) loaded
into a registry process through its API, as `synergia-dev demo` does, then loaded again.

The aim (issue 18) is at most 30 s for the first load on the 2-CPU machine; there is no
floor to divide by (the demo's bulk paths are measured against COPY by the cordis and
beneficiaries benchmarks). The loader's progress lines are printed as they come.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from synergia_devstack.demo import DemoSize, generate, load_into
from synergia_devstack.ports import free_port
from synergia_shared.http.auth import issue_token
from synergia_shared.settings import DEV_JWT_SECRET

from bench.processes import AppProcess, running
from bench.stack import BenchStack
from bench.stats import table

ACTORS = 2_000
CLUSTERS = 40
VALUE_CHAINS = 10
SEED = 2024
AIM_SECONDS = 30.0


async def run(
    stack: BenchStack,
    log_dir: Path,
    *,
    actors: int = ACTORS,
    clusters: int = CLUSTERS,
    value_chains: int = VALUE_CHAINS,
) -> dict[str, Any]:
    plan = generate(SEED, DemoSize(actors=actors, clusters=clusters, value_chains=value_chains))
    database_url = await stack.fresh_database("registry", "demo")
    topic_prefix = await stack.topics("demo")
    registry = AppProcess(
        "registry",
        free_port(),
        stack.service_env("registry", database_url, topic_prefix),
        log_path=log_dir / "demo-registry.log",
    )
    token = issue_token(DEV_JWT_SECRET, subject="dev-admin", roles=["admin"])
    runs: list[dict[str, Any]] = []
    async with running(registry):
        for label in ("first load", "load again"):
            print(f"  {label}:", flush=True)
            started = time.perf_counter()
            report = await load_into(
                registry.base_url, plan, token=token, log=lambda line: print(f"    {line}")
            )
            seconds = time.perf_counter() - started
            if report.problems:
                raise RuntimeError(f"the demo reported problems: {report.problems[:3]}")
            runs.append(
                {
                    "label": label,
                    "seconds": seconds,
                    "requests": report.requests,
                    "created": report.created,
                }
            )
    return {
        "actors": actors,
        "clusters": clusters,
        "value_chains": value_chains,
        "aim_seconds": AIM_SECONDS,
        "first": runs[0],
        "again": runs[1],
    }


def render(report: dict[str, Any]) -> str:
    title = (
        f"make demo: {report['actors']:,} actors, {report['clusters']} clusters, "
        f"{report['value_chains']} value chains, through the registry process's API "
        f"(aim: first load <= {report['aim_seconds']:.0f} s)"
    )
    rows = [
        [run["label"], run["seconds"], run["requests"], run["created"]]
        for run in (report["first"], report["again"])
    ]
    return table(title, ["run", "seconds", "requests", "created"], rows)
