"""Benchmark: partner search (POST /v1/partner-searches, GET /v1/profiles/{id}/partners).

Worlds of 10,000 and 100,000 actors (``bench.matching_world``: the demo generator's
actors as registered events, COPYed into a migrated matching database as the projection's
consumer would write them, ANALYZEd). Each scenario is a typical search, first page
(``limit=20``), one request at a time, timed two ways, interleaved:

- ``http``: the real matching process over HTTP (auth, validation, the service resolving
  the search: term groups, stop-word check, linked enterprises, S3 strategies; then the
  ranking statement; the explained suggestions as JSON);
- ``sql``: the ranking statement alone, exactly as the service builds it for this search
  (captured from ``partners.repository.search`` after the real ``service.resolve`` /
  ``service.for_actor``), sent with asyncpg as a cached prepared statement, as
  SQLAlchemy's asyncpg dialect sends it: the baseline (the database's part).

Reported: p50/p95 per scenario, the ratio http/sql, the candidates the statement scores
(rows matching any needed term, competence, sector or ecosystem) and whether both sides
return the same first page. When a scenario's HTTP p95 is above the 100 ms target, the
EXPLAIN (ANALYZE, BUFFERS) of the statement is printed (condensed).
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from synergia_devstack.ports import free_port
from synergia_matching.partners import repository, service
from synergia_matching.partners.schemas import Constraints, PartnerSearch

from bench import matching_world
from bench.loadgen import RawConnection
from bench.processes import AppProcess, running
from bench.stack import BenchStack, bearer, dsn
from bench.stats import ratio, summary_ms, table

SIZES = (10_000, 100_000)
LIMIT = 20
# Enough sequential samples for a p95 that is not the slowest call or two (with 15 it
# moved ~30 ms between runs of the same code).
SAMPLES = 40
# PostgreSQL plans a prepared statement afresh on each of its first five executions on a
# connection before it may keep one plan; a running service's connections are long past
# them, so the warm-up (after the one call that reads the page) takes the HTTP side there.
WARMUP = 5
TARGET_P95_MS = 100.0


@dataclass(frozen=True)
class Scenario:
    name: str
    body: dict[str, Any] | None = None  # POST /v1/partner-searches
    profile_params: dict[str, Any] | None = None  # GET /v1/profiles/{id}/partners


SCENARIOS = (
    Scenario("2 terms", {"needs": {"text": "battery recycling"}}),
    Scenario(
        "2 terms + 2 competences",
        {
            "needs": {
                "text": "hydrogen electrolyser",
                "competences": ["renewable_energy", "advanced_materials"],
            }
        },
    ),
    Scenario(
        "keyword + NACE", {"needs": {"keywords": ["machine learning"], "nace_codes": ["K62"]}}
    ),
    Scenario("rare term", {"needs": {"text": "hyperspectral imaging"}}),
    Scenario(
        "eligible only, countries out",
        {
            "needs": {"text": "precision agriculture sensors"},
            "origin_country": "DE",
            "constraints": {"eligible_countries_only": True, "countries_out": ["DE", "FR"]},
        },
    ),
    Scenario(
        "SME only + ecosystem",
        {
            "needs": {"text": "3d printing", "ecosystems": ["aerospace_defence"]},
            "constraints": {"sme_only": True},
        },
    ),
    Scenario(
        "with offers + origin sectors",
        {
            "needs": {"text": "cold chain logistics"},
            "offers": {"keywords": ["food safety", "shelf life extension"]},
            "origin_country": "IT",
            "origin_nace_codes": ["C10.51"],
        },
    ),
    # A need written as sentences (the judged set's cold-chain need): 16 needed groups
    # once its stop words are dropped, several of them common words (transport, Germany).
    Scenario(
        "long need (sentences)",
        {
            "needs": {
                "text": "Cold chain logistics for frozen seafood exports. Refrigerated transport "
                "at -20 C from Vigo to Germany, Poland and Czechia, with temperature records "
                "for each consignment.",
                "keywords": ["cold chain logistics", "refrigerated transport"],
                "competences": ["logistics"],
            },
            "origin_country": "ES",
        },
    ),
    Scenario("profile endpoint", profile_params={}),
    Scenario(
        "profile, eligible SMEs only",
        profile_params={"eligible_countries_only": "true", "sme_only": "true"},
    ),
)


# --- the statement ---------------------------------------------------------------------


class _Captured(Exception):
    pass


class _CaptureSession:
    """Stands in for the AsyncSession: keeps the statement the repository would execute."""

    statement: Any = None
    params: dict[str, Any] = {}

    async def execute(self, statement: Any, params: Any = None, **_: Any) -> Any:
        self.statement, self.params = statement, dict(params or {})
        raise _Captured


async def resolve(
    session: AsyncSession, scenario: Scenario, profile_id: uuid.UUID
) -> service.Search:
    """The service's own resolution of the search (real reads of the projection)."""
    if scenario.body is not None:
        return await service.resolve(session, PartnerSearch.model_validate(scenario.body))
    params = scenario.profile_params or {}
    constraints = Constraints(
        sme_only=params.get("sme_only") == "true",
        eligible_countries_only=params.get("eligible_countries_only") == "true",
    )
    return await service.for_actor(session, profile_id, constraints)


async def statement(search: service.Search, *, limit: int) -> tuple[str, list[Any]]:
    """The SQL and positional arguments of the ranking query, as asyncpg receives them."""
    capture = _CaptureSession()
    with contextlib.suppress(_Captured):
        await repository.search(capture, search.query, limit=limit, after=None)  # type: ignore[arg-type]
    compiled = capture.statement.compile(
        dialect=asyncpg_dialect.dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"render_postcompile": True},
    )
    return compiled.string, [capture.params[name] for name in compiled.positiontup]


def condensed(plan: str) -> str:
    """The plan's nodes down to the scan of actor_profiles and its index scans, without
    the InitPlans over the parameter arrays and the per-row SubPlans, then the timing."""
    keep: list[str] = []
    for line in plan.splitlines():
        text = line.strip()
        if text.startswith("SubPlan") and any("Scan on actor_profiles" in k for k in keep):
            break
        if text.startswith(("InitPlan", "Index Searches", "Index Cond", "Recheck Cond")):
            continue
        if "Function Scan" in text or text.startswith(("->  Aggregate", "Filter:", "Sort Key")):
            continue
        keep.append(line)
    keep += [line for line in plan.splitlines() if line.startswith("Execution Time")]
    return "\n".join(keep)


# --- measuring -------------------------------------------------------------------------


async def _timed(call: Callable[[], Awaitable[Any]], into: list[float]) -> Any:
    started = time.perf_counter()
    result = await call()
    into.append(time.perf_counter() - started)
    return result


async def measure(
    scenario: Scenario,
    *,
    http: RawConnection,
    conn: asyncpg.Connection,
    session: AsyncSession,
    profile_id: uuid.UUID,
    samples: int,
    warmup: int,
) -> dict[str, Any]:
    search = await resolve(session, scenario, profile_id)
    await session.rollback()
    sql, args = await statement(search, limit=LIMIT + 1)
    all_sql, all_args = await statement(search, limit=10**9)
    candidates = await conn.fetchval(f"SELECT count(*) FROM ({all_sql}) AS s", *all_args)
    if scenario.body is not None:
        method, path, body = "POST", f"/v1/partner-searches?limit={LIMIT}", scenario.body
    else:
        query = urlencode({**(scenario.profile_params or {}), "limit": LIMIT})
        method, path, body = "GET", f"/v1/profiles/{profile_id}/partners?{query}", None

    async def via_http() -> bytes:
        status, payload = await http.request(method, path, body)
        if status != 200:
            raise RuntimeError(f"{method} {path} answered {status}: {payload[:500]!r}")
        return payload

    async def via_sql() -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
        return rows

    sides: dict[str, Callable[[], Awaitable[Any]]] = {"http": via_http, "sql": via_sql}
    http_ids = [i["actor_id"] for i in json.loads(await via_http())["items"]]
    sql_ids = [str(r["actor_id"]) for r in (await via_sql())[:LIMIT]]
    for _ in range(warmup):
        for call in sides.values():
            await call()
    timings: dict[str, list[float]] = {side: [] for side in sides}
    names = list(sides)
    for n in range(samples):
        turn = n % len(names)
        for side in names[turn:] + names[:turn]:
            await _timed(sides[side], timings[side])
    report: dict[str, Any] = {
        "name": scenario.name,
        "request": f"{method} {path}",
        "body": body,
        "candidates": candidates,
        "page_items": len(http_ids),
        "same_first_page": http_ids == sql_ids,
        **{side: summary_ms(values) for side, values in timings.items()},
    }
    report["p50_ratio"] = ratio(report["http"]["p50_ms"], report["sql"]["p50_ms"])
    report["p95_ratio"] = ratio(report["http"]["p95_ms"], report["sql"]["p95_ms"])
    report["meets_target"] = report["http"]["p95_ms"] <= TARGET_P95_MS
    if not report["meets_target"]:
        rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)
        report["explain"] = "\n".join(r[0] for r in rows)
    return report


async def _profile_with_needs(conn: asyncpg.Connection) -> uuid.UUID:
    """A typical searcher: an active SME with a need, the median by registration."""
    ids = await conn.fetch(
        "SELECT actor_id FROM actor_profiles WHERE active AND kind = 'sme' "
        "AND jsonb_array_length(needs) > 0 AND jsonb_array_length(offers) > 0 "
        "ORDER BY registered_at"
    )
    return ids[len(ids) // 2]["actor_id"]  # type: ignore[no-any-return]


async def run_size(
    stack: BenchStack, log_dir: Path, *, actors: int, world_size: int, samples: int, warmup: int
) -> dict[str, Any]:
    world = matching_world.generate(world_size)
    database_url = await stack.fresh_database("matching", f"partners{actors}")
    topic_prefix = await stack.topics(f"partners{actors}")
    loaded = await matching_world.load_profiles(database_url, world.events[:actors])
    print(
        f"  {actors:,} actors loaded: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in loaded.seconds.items()),
        flush=True,
    )
    matching = AppProcess(
        "matching",
        free_port(),
        stack.service_env("matching", database_url, topic_prefix),
        log_path=log_dir / f"partners-{actors}-matching.log",
    )
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0)
    conn = await asyncpg.connect(dsn(database_url))
    http = RawConnection(matching.base_url, {**bearer("admin"), "Accept": "application/json"})
    results = []
    try:
        async with running(matching):
            profile_id = await _profile_with_needs(conn)
            async with AsyncSession(engine) as session:
                for scenario in SCENARIOS:
                    result = await measure(
                        scenario,
                        http=http,
                        conn=conn,
                        session=session,
                        profile_id=profile_id,
                        samples=samples,
                        warmup=warmup,
                    )
                    results.append(result)
                    print(
                        f"  {actors:>7,} {scenario.name:<32} {result['candidates']:>6} scored  "
                        f"http p95 {result['http']['p95_ms']:7.1f} ms  "
                        f"sql p95 {result['sql']['p95_ms']:7.1f} ms",
                        flush=True,
                    )
    finally:
        await http.close()
        await conn.close()
        await engine.dispose()
    return {
        "actors": actors,
        "ownership_links": loaded.links,
        "load_seconds": loaded.seconds,
        "profile_searcher": str(profile_id),
        "scenarios": results,
    }


async def run(
    stack: BenchStack,
    log_dir: Path,
    *,
    sizes: tuple[int, ...] = SIZES,
    samples: int = SAMPLES,
    warmup: int = WARMUP,
) -> dict[str, Any]:
    world_size = max(sizes)
    world = matching_world.generate(world_size)
    print(f"  generated {world_size:,} actor events in {world.seconds:.1f} s", flush=True)
    runs = [
        await run_size(
            stack, log_dir, actors=n, world_size=world_size, samples=samples, warmup=warmup
        )
        for n in sorted(sizes)
    ]
    return {
        "samples": samples,
        "limit": LIMIT,
        "target_p95_ms": TARGET_P95_MS,
        "generate_seconds": world.seconds,
        "sizes": runs,
    }


def render(report: dict[str, Any]) -> str:
    rows: list[list[object]] = []
    for size in report["sizes"]:
        for s in size["scenarios"]:
            rows.append(
                [
                    f"{size['actors']:,}: {s['name']}",
                    s["candidates"],
                    s["http"]["p50_ms"],
                    s["http"]["p95_ms"],
                    s["sql"]["p50_ms"],
                    s["sql"]["p95_ms"],
                    f"{s['p50_ratio']:.2f}x",
                    f"{s['p95_ratio']:.2f}x",
                    "yes" if s["meets_target"] else "NO",
                    "yes" if s["same_first_page"] else "NO",
                ]
            )
    title = (
        f"Partner search: HTTP vs the bare ranking statement (first page, limit "
        f"{report['limit']}, {report['samples']} sequential samples each; ms)"
    )
    text = table(
        title,
        [
            "actors: scenario",
            "scored",
            "http p50",
            "http p95",
            "sql p50",
            "sql p95",
            "p50 ratio",
            "p95 ratio",
            f"p95<={report['target_p95_ms']:.0f}",
            "same page",
        ],
        rows,
    )
    text += (
        "\n(scored: candidate rows the statement ranks; sql: the service's own ranking "
        "statement through asyncpg; ratios: http / sql)"
    )
    shown = 0
    for size in report["sizes"]:
        for s in size["scenarios"]:
            if "explain" in s and shown < 2:
                shown += 1
                text += (
                    f"\n\n-- {size['actors']:,} actors, {s['name']}: http p95 "
                    f"{s['http']['p95_ms']:.0f} ms > {report['target_p95_ms']:.0f} ms. EXPLAIN "
                    f"(ANALYZE, BUFFERS) of the ranking statement (condensed; full plan in "
                    f"latest.json):\n{condensed(s['explain'])}"
                )
    return text
