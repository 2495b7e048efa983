"""Benchmark: team proposals for a six-stage value chain over 10,000 actors.

A world of 10,000 actors (``bench.matching_world``) is COPYed into a migrated matching
database, and the demo vocabulary's six-stage value chain ("Circular fashion") is written
into the value_chains projection as its consumer would, led by one cluster organisation.

- ``http``: the real endpoint, ``POST /v1/value-chains/{id}/team-proposals`` with the
  default rules and time limit (5 s), k=1 and k=3, one call at a time: wall time, each
  proposal's ``solver_status`` (optimal = proven optimum over the candidates kept) and
  objective. Time to the first proven optimum is the k=1 call's wall time when its
  proposal is optimal.
- in process, on the same World the service builds (``proposals.service.inputs``, the
  same reads of the projection: the candidates the pre-filter may keep):
  ``propose_teams`` (CP-SAT) against the greedy baseline ``greedy_team`` with the same
  constraints and objective (``score_team``): objective ratio solver / greedy and the time
  each takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from statistics import median
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from synergia_devstack.ports import free_port
from synergia_matching.network import repository as network_repository
from synergia_matching.partners import repository as partners_repository
from synergia_matching.proposals import repository as proposals_repository
from synergia_matching.proposals import service
from synergia_matching.proposals.schemas import TeamRequest
from synergia_matching.regions import repository as regions_repository
from synergia_matching.teams import NoTeam, greedy_team, propose_teams
from synergia_shared.http.auth import Principal, Role

from bench import matching_world
from bench.loadgen import RawConnection
from bench.processes import AppProcess, running
from bench.stack import BenchStack, bearer, dsn
from bench.stats import ratio, table

ACTORS = 10_000
TARGET_S = 2.0
ADMIN = Principal(subject="bench-admin", roles=frozenset({Role.ADMIN}))


async def _lead(conn: asyncpg.Connection) -> uuid.UUID:
    """An active cluster organisation in an eligible country, the first by id."""
    lead: uuid.UUID = await conn.fetchval(
        "SELECT actor_id FROM actor_profiles WHERE active AND kind = 'cluster_organisation' "
        "AND coalesce(country_standing, '') <> 'third_country' ORDER BY actor_id LIMIT 1"
    )
    return lead


@contextlib.contextmanager
def _timing_reads(into: dict[str, float]) -> Iterator[None]:
    """Time the projection reads ``_world`` makes (patched here, in the bench's process)."""
    targets = [
        (network_repository, "get_value_chain"),
        (partners_repository, "stems"),
        (proposals_repository, "candidates"),
        (proposals_repository, "linked_pairs"),
        (regions_repository, "all_strategies"),
    ]
    originals = [(module, name, getattr(module, name)) for module, name in targets]

    def timed(name: str, call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await call(*args, **kwargs)
            finally:
                into[name] = into.get(name, 0.0) + time.perf_counter() - started

        return wrapper

    for module, name, original in originals:
        setattr(module, name, timed(name, original))
    try:
        yield
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


async def _in_process(database_url: str, value_chain_id: uuid.UUID, k: int) -> dict[str, Any]:
    """The service's World, then the solver and the greedy baseline on it."""
    body = TeamRequest(k=k)
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0)
    try:
        reads: dict[str, float] = {}
        started = time.perf_counter()
        with _timing_reads(reads):
            async with AsyncSession(engine) as session:
                world, constraints = await service.inputs(session, value_chain_id, body, ADMIN)
        world_s = time.perf_counter() - started
    finally:
        await engine.dispose()
    started = time.perf_counter()
    greedy = await asyncio.to_thread(greedy_team, world.stages, world.candidates, constraints)
    greedy_s = time.perf_counter() - started
    started = time.perf_counter()
    solved = await asyncio.to_thread(propose_teams, world.stages, world.candidates, constraints)
    solver_s = time.perf_counter() - started
    if isinstance(solved, NoTeam):
        raise RuntimeError(f"the solver found no team: {solved.reasons}")
    best = solved[0]
    return {
        "k": k,
        "world_seconds": world_s,
        "world_reads_seconds": reads,
        "candidates": world.candidates_total,
        "candidates_fetched": len(world.candidates),
        "candidates_considered": best.candidates_considered,
        "solver_seconds": solver_s,
        "solver_status": [p.status for p in solved],
        "solver_objective": best.objective,
        "solver_objectives": [p.objective for p in solved],
        "greedy_seconds": greedy_s,
        "greedy_objective": greedy.objective if greedy is not None else None,
        "objective_ratio": ratio(best.objective, greedy.objective) if greedy else float("nan"),
    }


async def _http(
    http: RawConnection, value_chain_id: uuid.UUID, k: int, repeats: int
) -> dict[str, Any]:
    path = f"/v1/value-chains/{value_chain_id}/team-proposals"
    calls = []
    for _ in range(repeats):
        started = time.perf_counter()
        status, payload = await http.request("POST", path, {"k": k})
        seconds = time.perf_counter() - started
        if status != 200:
            raise RuntimeError(f"POST {path} answered {status}: {payload[:500]!r}")
        answer = json.loads(payload)
        if answer["outcome"] != "proposed":
            raise RuntimeError(f"no team: {answer['reasons']}")
        proposals = answer["proposals"]
        calls.append(
            {
                "seconds": seconds,
                "solver_status": [p["solver_status"] for p in proposals],
                "objectives": [p["objective"]["total"] for p in proposals],
                "candidates_considered": proposals[0]["candidates_considered"],
                "candidates_total": proposals[0]["candidates_total"],
                "team_size": len(proposals[0]["members"]),
                "countries": proposals[0]["countries"],
            }
        )
    return {
        "k": k,
        "calls": calls,
        "median_seconds": median(c["seconds"] for c in calls),
        "max_seconds": max(c["seconds"] for c in calls),
        "all_optimal": all(s == "optimal" for c in calls for s in c["solver_status"]),
    }


async def run(
    stack: BenchStack, log_dir: Path, *, actors: int = ACTORS, repeats: int = 3
) -> dict[str, Any]:
    world = matching_world.generate(actors)
    database_url = await stack.fresh_database("matching", "teams")
    topic_prefix = await stack.topics("teams")
    loaded = await matching_world.load_profiles(database_url, world.events)
    conn = await asyncpg.connect(dsn(database_url))
    try:
        lead = await _lead(conn)
    finally:
        await conn.close()
    theme = matching_world.six_stage_theme()
    rng = random.Random("team-bench")
    chain = matching_world.value_chain_event(
        theme, uuid.UUID(int=rng.getrandbits(128)), [lead], rng
    )
    await matching_world.insert_value_chain(database_url, chain)
    print(
        f"  {loaded.actors:,} actors and the value chain '{theme.title}' "
        f"({len(chain.stages)} stages) loaded",
        flush=True,
    )
    in_process = []
    for k in (1, 3):
        result = await _in_process(database_url, chain.value_chain_id, k)
        in_process.append(result)
        print(
            f"  in process k={k}: solver {result['solver_seconds']:.2f} s "
            f"{result['solver_status']} objective {result['solver_objective']}, greedy "
            f"{result['greedy_seconds']:.2f} s objective {result['greedy_objective']}",
            flush=True,
        )
    matching = AppProcess(
        "matching",
        free_port(),
        stack.service_env("matching", database_url, topic_prefix),
        log_path=log_dir / "teams-matching.log",
    )
    http = RawConnection(matching.base_url, {**bearer("admin"), "Accept": "application/json"})
    over_http = []
    try:
        async with running(matching):
            await _http(http, chain.value_chain_id, 1, 1)  # warm-up: imports, OR-Tools, pools
            for k in (1, 3):
                result = await _http(http, chain.value_chain_id, k, repeats)
                over_http.append(result)
                print(
                    f"  http k={k}: median {result['median_seconds']:.2f} s, "
                    f"max {result['max_seconds']:.2f} s, statuses "
                    f"{[c['solver_status'] for c in result['calls']]}",
                    flush=True,
                )
    finally:
        await http.close()
    return {
        "actors": loaded.actors,
        "value_chain": theme.title,
        "stages": [s.name for s in chain.stages],
        "repeats": repeats,
        "target_seconds": TARGET_S,
        "in_process": in_process,
        "http": over_http,
    }


def render(report: dict[str, Any]) -> str:
    rows: list[list[object]] = []
    by_k = {r["k"]: r for r in report["in_process"]}
    for h in report["http"]:
        p = by_k[h["k"]]
        first = h["calls"][0]
        rows.append(
            [
                f"k={h['k']}",
                f"{first['candidates_total']:,} / {first['candidates_considered']}",
                h["median_seconds"],
                h["max_seconds"],
                "yes" if h["max_seconds"] <= report["target_seconds"] else "NO",
                p["world_seconds"],
                "/".join(sorted({s for c in h["calls"] for s in c["solver_status"]})),
                p["solver_seconds"],
                p["solver_objective"],
                p["greedy_seconds"],
                p["greedy_objective"] if p["greedy_objective"] is not None else "none",
                f"{p['objective_ratio']:.4f}x",
            ]
        )
    title = (
        f"Team proposals: {len(report['stages'])}-stage value chain over "
        f"{report['actors']:,} actors (HTTP: {report['repeats']} calls per k, default "
        "rules and 5 s limit; in process: the same World, solver vs greedy)"
    )
    text = table(
        title,
        [
            "request",
            "candidates / kept",
            "http median s",
            "http max s",
            f"<= {report['target_seconds']:.0f} s",
            "world s",
            "solver status",
            "solver s",
            "solver obj",
            "greedy s",
            "greedy obj",
            "solver/greedy",
        ],
        rows,
    )
    text += (
        "\n(candidates: actors fitting at least one stage; kept: after the solver's pre-filter, "
        "'optimal' is proven over those; solver/greedy: objective of the best proposal / "
        "the greedy team's, same score_team; world s: building the solver's input from the "
        "projection, as the service does)"
    )
    reads = report["in_process"][0]["world_reads_seconds"]
    text += "\n(world reads, k=1: " + ", ".join(f"{k} {v:.2f} s" for k, v in reads.items()) + ")"
    return text
