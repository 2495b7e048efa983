"""Benchmark 2: registry commit -> matching's actor_profiles row, at a steady paced rate."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from synergia_devstack.ports import free_port
from synergia_devstack.stack import dev_defaults as stack_defaults

from bench.loadgen import ConnectionPool
from bench.processes import AppProcess, running
from bench.stack import BenchStack, bearer, dsn
from bench.stats import summary_ms, table


async def clock_offset(conn: asyncpg.Connection) -> float:
    """PostgreSQL's clock minus ours, in seconds (same machine: should be ~0)."""
    samples = []
    for _ in range(5):
        before = time.time()
        db = float(await conn.fetchval("SELECT extract(epoch FROM clock_timestamp())"))
        after = time.time()
        samples.append((after - before, db - (before + after) / 2))
    return min(samples)[1]


async def wait_visible(
    conn: asyncpg.Connection, ids: list[uuid.UUID], timeout: float
) -> dict[uuid.UUID, datetime]:
    deadline = time.monotonic() + timeout
    while True:
        rows = await conn.fetch(
            "SELECT actor_id, updated_at FROM actor_profiles WHERE actor_id = ANY($1::uuid[])", ids
        )
        if len(rows) == len(ids) or time.monotonic() > deadline:
            return {row["actor_id"]: row["updated_at"] for row in rows}
        await asyncio.sleep(0.2)


async def stage_times(
    registry_url: str, matching: asyncpg.Connection, ids: list[uuid.UUID]
) -> dict[str, dict[str, float]]:
    """Where the time goes, from the rows' own timestamps (all from the same DB clock).

    outbox.created_at is the registry transaction's start, outbox.sent_at the start of
    the relay transaction that claimed the row, inbox.received_at the start of the
    consumer transaction that applied it.
    """
    registry = await asyncpg.connect(dsn(registry_url))
    try:
        outbox = {
            row["aggregate_id"]: (row["created_at"], row["sent_at"], row["event_id"])
            for row in await registry.fetch(
                "SELECT aggregate_id, created_at, sent_at, event_id FROM outbox "
                "WHERE aggregate_id = ANY($1::text[])",
                [str(i) for i in ids],
            )
        }
    finally:
        await registry.close()
    received = {
        row["event_id"]: row["received_at"]
        for row in await matching.fetch(
            "SELECT event_id, received_at FROM inbox WHERE event_id = ANY($1::uuid[])",
            [event_id for _, _, event_id in outbox.values()],
        )
    }
    to_claim, to_apply = [], []
    for created, sent, event_id in outbox.values():
        if sent is None or event_id not in received:
            continue
        to_claim.append((sent - created).total_seconds())
        to_apply.append((received[event_id] - sent).total_seconds())
    return {
        "commit_to_relay_claim": summary_ms(to_claim),
        "relay_claim_to_consumer": summary_ms(to_apply),
    }


async def run(
    stack: BenchStack,
    log_dir: Path,
    *,
    events: int,
    rate: float,
    warmup: int,
    variant: str,
    dev_defaults: bool,
) -> dict[str, Any]:
    """One run on fresh databases and topics; with ``dev_defaults``, both services get the
    settings `make run` gives them on its embedded broker (devstack's ``dev_defaults``)."""
    tuned = {
        service: stack_defaults(service, embedded_broker=True) if dev_defaults else {}
        for service in ("registry", "matching")
    }
    registry_url = await stack.fresh_database("registry", f"prop{variant}")
    matching_url = await stack.fresh_database("matching", f"prop{variant}")
    prefix = await stack.topics(f"prop{variant}")
    registry = AppProcess(
        "registry",
        free_port(),
        {**stack.service_env("registry", registry_url, prefix), **tuned["registry"]},
        log_path=log_dir / f"propagation-{variant}-registry.log",
    )
    matching = AppProcess(
        "matching",
        free_port(),
        {**stack.service_env("matching", matching_url, prefix), **tuned["matching"]},
        log_path=log_dir / f"propagation-{variant}-matching.log",
    )
    procs = (registry, matching)
    async with running(*procs):
        conn = await asyncpg.connect(dsn(matching_url))
        try:
            offset = await clock_offset(conn)
            client = ConnectionPool(registry.base_url, bearer("admin"))
            try:

                async def post(n: int) -> tuple[uuid.UUID, datetime, float, float]:
                    started = time.perf_counter()
                    status, raw = await client.request(
                        "POST",
                        "/v1/actors",
                        {
                            "legal_name": f"Propagation Actor {n} Oy",
                            "short_name": f"P{n}",
                            "kind": "sme",
                            "country": "FI",
                        },
                    )
                    returned = time.time()
                    elapsed = time.perf_counter() - started
                    if status != 201:
                        raise RuntimeError(f"POST /v1/actors answered {status}: {raw[:300]!r}")
                    body = json.loads(raw)
                    created = datetime.fromisoformat(body["created_at"])
                    return uuid.UUID(body["id"]), created, returned, elapsed

                async def paced(first: int, count: int) -> tuple[list[Any], float]:
                    t0 = time.perf_counter()
                    tasks = []
                    for i in range(count):
                        delay = t0 + i / rate - time.perf_counter()
                        if delay > 0:
                            await asyncio.sleep(delay)
                        tasks.append(asyncio.create_task(post(first + i)))
                    sent_in = time.perf_counter() - t0
                    return list(await asyncio.gather(*tasks)), sent_in

                # Warm-up: the consumer has its partitions and the producer its connection.
                warm, _ = await paced(0, warmup)
                await wait_visible(conn, [w[0] for w in warm], timeout=60)
                cpu0 = {proc.name: proc.cpu_seconds() for proc in procs}
                posted, sent_in = await paced(warmup, events)
            finally:
                await client.close()
            seen = await wait_visible(conn, [p[0] for p in posted], timeout=60)
            cpu_ms_per_event = {
                proc.name: 1000 * (proc.cpu_seconds() - cpu0[proc.name]) / events for proc in procs
            }
            stages = await stage_times(registry_url, conn, [p[0] for p in posted])
        finally:
            await conn.close()

    from_commit = [
        (seen[actor_id] - created).total_seconds()
        for actor_id, created, _, _ in posted
        if actor_id in seen
    ]
    from_response = [
        seen[actor_id].timestamp() - offset - returned
        for actor_id, _, returned, _ in posted
        if actor_id in seen
    ]
    return {
        "settings": tuned,
        "events": events,
        "target_rate": rate,
        "achieved_rate": (events - 1) / sent_in if sent_in else float("nan"),
        "arrived": len(seen),
        "missing": events - len(seen),
        "db_clock_offset_ms": offset * 1000,
        "from_commit": summary_ms(from_commit),
        "from_post_response": summary_ms(from_response),
        "negative_from_post_response": sum(1 for x in from_response if x < 0),
        "post_latency": summary_ms([p[3] for p in posted]),
        "stages": stages,
        "server_cpu_ms_per_event": cpu_ms_per_event,
    }


def render(report: dict[str, Any], label: str) -> str:
    rows: list[list[object]] = []
    for measured, key in (
        ("registry created_at -> matching row", "from_commit"),
        ("POST response -> matching row", "from_post_response"),
        ("POST /v1/actors round trip", "post_latency"),
        ("  stage: registry tx start -> relay claim", "commit_to_relay_claim"),
        ("  stage: relay claim -> consumer tx start", "relay_claim_to_consumer"),
    ):
        s = report[key] if key in report else report["stages"][key]
        rows.append([measured, s["p50_ms"], s["p95_ms"], s["p99_ms"], s["max_ms"]])
    title = (
        f"2. Propagation registry -> matching, {label}: {report['events']:,} events paced at "
        f"{report['target_rate']:.0f}/s (achieved {report['achieved_rate']:.0f}/s), "
        f"{report['arrived']:,} arrived, {report['missing']} missing; aims p50 <= 20 ms, "
        "p99 <= 150 ms"
    )
    cpu = report["server_cpu_ms_per_event"]
    rows.append(["server CPU ms per event (registry / matching)", "", "", "", ""])
    rows.append([f"  {cpu['registry']:.2f} / {cpu['matching']:.2f}", "", "", "", ""])
    return table(title, ["measured", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows)
