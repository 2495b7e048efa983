"""Benchmark 1: registry GET/POST /v1/actors against a bare FastAPI + asyncpg app.

The servers run at once, started the same way (one uvicorn worker, same flags), each on
its own copy of the seeded database, with pools of the same size. Each round loads one
and then the other (the order turning between rounds); every figure is the median over
rounds, and each ratio the median of the rounds' side/bare ratios, so a burst of load
from elsewhere on the machine moves one round, not the result.

POST has a third side, the outbox floor (:mod:`bench.outbox_floor_app`): the bare
insert plus only what the architecture requires of a create (its event written with it
atomically, published by a relay in the process). Its ratio to bare is what the design
costs before any of the registry's own work; the registry cannot do better than it.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from synergia_devstack.ports import free_port
from synergia_registry.actors import repository as actor_repository
from synergia_registry.actors import views as actor_views
from synergia_shared.settings import ServiceSettings

from bench.loadgen import LoadResult, RequestSpec, run_load
from bench.processes import AppProcess, running
from bench.stack import BenchStack, bearer, dsn
from bench.stats import ratio, summary_ms, table

SEED_ROWS = 2_000
KINDS = ("sme", "research_organisation", "cluster_organisation", "university")
COUNTRIES = ("DE", "EL", "FR", "IT", "ES", "PL")


async def seed_actors(database_url: str, ids: list[uuid.UUID]) -> None:
    conn = await asyncpg.connect(dsn(database_url))
    try:
        await conn.copy_records_to_table(
            "actors",
            records=[
                (
                    actor_id,
                    f"Seeded Actor {i} GmbH",
                    f"SA{i}",
                    KINDS[i % len(KINDS)],
                    COUNTRIES[i % len(COUNTRIES)],
                )
                for i, actor_id in enumerate(ids)
            ],
            columns=["id", "legal_name", "short_name", "kind", "country"],
        )
        await conn.execute("ANALYZE actors")
    finally:
        await conn.close()


async def wait_outbox_drained(database_url: str, timeout: float = 60.0) -> None:
    conn = await asyncpg.connect(dsn(database_url))
    try:
        deadline = time.monotonic() + timeout
        while await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"):
            if time.monotonic() > deadline:
                raise TimeoutError("the registry's outbox did not drain")
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


def get_request(ids: list[uuid.UUID]) -> Any:
    def make(n: int) -> RequestSpec:
        return ("GET", f"/v1/actors/{ids[n % len(ids)]}", None)

    return make


def post_request(side: str) -> Any:
    def make(n: int) -> RequestSpec:
        return (
            "POST",
            "/v1/actors",
            {
                "legal_name": f"Bench {side} Actor {n} S.A.",
                "short_name": f"B{n}",
                "kind": KINDS[n % len(KINDS)],
                "country": COUNTRIES[n % len(COUNTRIES)],
            },
        )

    return make


def _round(result: LoadResult) -> dict[str, float]:
    return {
        "throughput_rps": result.throughput,
        **summary_ms(result.latencies),
        "server_cpu_per_request_ms": 1000 * result.server_cpu_seconds / result.requests,
        "client_cpu_per_request_ms": 1000 * result.client_cpu_seconds / result.requests,
        "server_cpu_utilisation": result.server_cpu_seconds / result.seconds,
        "client_cpu_utilisation": result.client_cpu_seconds / result.seconds,
        "machine_cpu_utilisation": result.machine_cpu_seconds / result.seconds,
    }


def _medians(results: list[LoadResult]) -> dict[str, Any]:
    """Each figure's median over the rounds, and the rounds themselves."""
    rounds = [_round(r) for r in results]
    return {
        **{key: statistics.median(r[key] for r in rounds) for key in rounds[0]},
        "requests": sum(r.requests for r in results),
        "errors": sum(r.errors for r in results),
        "rounds": rounds,
    }


def _paired_ratio(registry: dict[str, Any], bare: dict[str, Any], key: str) -> float:
    """Median over rounds of registry/bare, each pair measured back to back."""
    pairs = zip(registry["rounds"], bare["rounds"], strict=True)
    return statistics.median(ratio(r[key], b[key]) for r, b in pairs)


def registry_get_sql() -> str:
    """The SQL of the registry's read of one actor, as it sends it (``$1``: the id)."""
    read = actor_repository.actor_by_id_read(actor_views.OFFER_VALUES, actor_views.NEED_VALUES)
    assert read.names == ("actor_id",), read.names
    return read.sql


def pool_settings() -> tuple[int, int]:
    """The services' default pool: connections kept, and the most ever open."""
    fields = ServiceSettings.model_fields
    size = int(fields["db_pool_size"].default)
    return size, size + int(fields["db_max_overflow"].default)


async def run(
    stack: BenchStack,
    log_dir: Path,
    *,
    requests: int,
    warmup: int,
    concurrency: int,
    rounds: int,
) -> dict[str, Any]:
    registry_url = await stack.fresh_database("registry", "http")
    baseline_url = await stack.fresh_database("registry", "bare")
    floor_url = await stack.fresh_database("registry", "floor")
    topic_prefix = await stack.topics("http")
    ids = [uuid.uuid4() for _ in range(SEED_ROWS)]
    await seed_actors(registry_url, ids)
    await seed_actors(baseline_url, ids)

    registry = AppProcess(
        "registry",
        free_port(),
        stack.service_env("registry", registry_url, topic_prefix),
        log_path=log_dir / "http-registry.log",
    )
    pool_size, pool_max = pool_settings()
    bare = AppProcess(
        "bare",
        free_port(),
        {
            "BENCH_BASELINE_DSN": dsn(baseline_url),
            "BENCH_BASELINE_POOL_SIZE": str(pool_size),
            "BENCH_BASELINE_POOL_MAX": str(pool_max),
            "BENCH_BASELINE_GET_SQL": registry_get_sql(),
        },
        app="bench.baseline_app:create_app",
        log_path=log_dir / "http-bare.log",
    )
    floor = AppProcess(
        "floor",
        free_port(),
        {
            "BENCH_BASELINE_DSN": dsn(floor_url),
            "BENCH_BASELINE_POOL_SIZE": str(pool_size),
            "BENCH_BASELINE_POOL_MAX": str(pool_max),
            "BENCH_FLOOR_DATABASE_URL": floor_url,
            "BENCH_FLOOR_KAFKA": stack.kafka,
            "BENCH_FLOOR_TOPIC_PREFIX": topic_prefix,
        },
        app="bench.outbox_floor_app:create_app",
        log_path=log_dir / "http-floor.log",
    )
    servers = {"registry": registry, "bare": bare, "floor": floor}
    outboxes = {"registry": registry_url, "floor": floor_url}
    sides = {"GET": ["bare", "registry"], "POST": ["bare", "floor", "registry"]}
    results: dict[str, dict[str, list[LoadResult]]] = {
        op: {side: [] for side in sides[op]} for op in ("GET", "POST")
    }
    async with running(*servers.values()):
        headers = {**bearer("admin"), "Accept": "application/json"}
        for op in ("GET", "POST"):
            for round_no in range(rounds):
                # Turn who goes first, so drift (caches, the broker) favours no side.
                shift = round_no % len(sides[op])
                order = sides[op][shift:] + sides[op][:shift]
                for side in order:
                    proc = servers[side]
                    make = get_request(ids) if op == "GET" else post_request(side)
                    result = await run_load(
                        proc.base_url,
                        headers,
                        make,
                        requests=requests,
                        warmup=warmup,
                        concurrency=concurrency,
                        expect_status=200 if op == "GET" else 201,
                        server_cpu=proc.cpu_seconds,
                    )
                    results[op][side].append(result)
                    print(
                        f"  {op:<4} {side:<8} round {round_no + 1}: "
                        f"{result.throughput:,.0f} req/s, errors {result.errors}",
                        flush=True,
                    )
                    if op == "POST" and side in outboxes:
                        # The relay's backlog is published before the next side's round.
                        await wait_outbox_drained(outboxes[side])

    report: dict[str, Any] = {
        "concurrency": concurrency,
        "requests_per_round": requests,
        "rounds": rounds,
        "pool": {"size": pool_size, "max": pool_max},
    }
    for op in ("GET", "POST"):
        base = _medians(results[op]["bare"])
        report[op] = {"bare": base}
        for side in sides[op][1:]:
            measured = _medians(results[op][side])
            report[op][side] = measured
            report[op][f"{side}_ratios"] = {
                "throughput": _paired_ratio(measured, base, "throughput_rps"),
                "p50": _paired_ratio(measured, base, "p50_ms"),
                "p99": _paired_ratio(measured, base, "p99_ms"),
                "server_cpu_per_request": _paired_ratio(
                    measured, base, "server_cpu_per_request_ms"
                ),
            }
    return report


SIDE_NAMES = {
    "bare": "bare",
    "floor": "outbox floor",
    "registry": "registry",
}


def render(report: dict[str, Any]) -> str:
    rows: list[list[object]] = []
    for op, path in (("GET", "/v1/actors/{id}"), ("POST", "/v1/actors")):
        entry = report[op]
        sides = [side for side in SIDE_NAMES if side in entry]
        for side in sides:
            r = entry[side]
            rows.append(
                [
                    f"{op} {path} {SIDE_NAMES[side]}",
                    r["throughput_rps"],
                    r["p50_ms"],
                    r["p99_ms"],
                    r["server_cpu_per_request_ms"],
                    f"{r['server_cpu_utilisation']:.0%}",
                    f"{r['client_cpu_utilisation']:.0%}",
                    f"{r['machine_cpu_utilisation']:.0%}",
                    r["errors"],
                ]
            )
        for side in sides[1:]:
            ratios = entry[f"{side}_ratios"]
            rows.append(
                [
                    f"{op} ratio {SIDE_NAMES[side]}/bare",
                    f"{ratios['throughput']:.2f}x",
                    f"{ratios['p50']:.2f}x",
                    f"{ratios['p99']:.2f}x",
                    f"{ratios['server_cpu_per_request']:.2f}x",
                    "",
                    "",
                    "",
                    "",
                ]
            )
    title = (
        f"1. HTTP: registry vs bare FastAPI+asyncpg (concurrency {report['concurrency']}, "
        f"{report['requests_per_round']:,} requests per round, medians of "
        f"{report['rounds']} turning rounds, pools of {report['pool']['size']}; "
        "aims GET >= 0.85x, POST >= 0.70x; the outbox floor is the bare insert plus its "
        "event in the outbox and the relay, nothing else)"
    )
    return table(
        title,
        [
            "endpoint",
            "req/s",
            "p50 ms",
            "p99 ms",
            "srv CPU ms/req",
            "srv CPU",
            "client CPU",
            "machine CPU",
            "err",
        ],
        rows,
    )
