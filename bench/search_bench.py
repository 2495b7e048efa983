"""Benchmark: filtered actor search (GET /v1/actors) over 100,000 actors.

100,000 actors with the demo data set's distributions (``synergia_devstack.demo``: 36
countries, mostly SMEs, real NUTS and NACE Rev. 2.1 codes, ecosystems, competences,
offers and needs, descriptions) are written straight into a migrated registry database
with COPY (actors, actor_offers, and memberships of a few hundred clusters), then
ANALYZEd. ``search_text`` is what the registry's own rule makes of each profile, so the
generated ``search_document`` is what a real save would give.

Each scenario is a typical search a frontend sends, first page, ``limit=50``. It is timed
three ways, one request at a time, interleaved so that drift favours none:

- ``http``: the real registry process, over HTTP (auth, validation, one transaction, the
  full actor with offers/needs/accounts/owners/contacts/clusters per row, JSON);
- ``registry SQL``: the exact statement the registry runs, captured from its repository
  and sent with asyncpg (a cached prepared statement, as SQLAlchemy's asyncpg dialect
  sends it): the database's part of the request; and the same on a connection with
  ``plan_cache_mode=force_custom_plan``, which shows when PostgreSQL's switch to a generic
  plan for the cached statement is what costs the time;
- ``bare``: the hand-written query a bare FastAPI+asyncpg endpoint would send: the same
  WHERE, ORDER BY and LIMIT, selecting only the ``actors`` row (the baseline).

The first page of ``http`` and ``bare`` must hold the same actors in the same order. When
a scenario's HTTP p50 is above 50 ms the EXPLAIN ANALYZE of the bare statement is printed,
and when the registry statement is much slower than on a custom-plan connection, the
EXPLAIN ANALYZE of its generic plan.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from synergia_devstack.demo.plan import DemoSize, generate_actors
from synergia_devstack.ports import free_port
from synergia_registry.actors import queries, repository
from synergia_registry.actors.rules import search_text
from synergia_registry.actors.schemas import ProfileFields
from synergia_registry.actors.views import NEED_VALUES, OFFER_VALUES

from bench.loadgen import RawConnection
from bench.processes import AppProcess, running
from bench.stack import BenchStack, bearer, dsn
from bench.stats import ratio, summary_ms, table

ACTORS = 100_000
CLUSTERS = 400
SEED = 11
LIMIT = 50
SLOW_MS = 50.0
TS_QUERY = "websearch_to_tsquery('english'::regconfig, {})"


@dataclass(frozen=True)
class Scenario:
    name: str
    params: dict[str, Any]  # the query string of GET /v1/actors (limit added)


def scenarios(big_cluster: uuid.UUID) -> list[Scenario]:
    return [
        Scenario("no filter (first page by name)", {}),
        Scenario("country + kind", {"country": "DE", "kind": "sme"}),
        Scenario("NUTS prefix", {"nuts": "ITC"}),
        Scenario("NACE prefix", {"nace": "C26"}),
        Scenario("NACE prefix, rare", {"nace": "C30"}),
        Scenario(
            "ecosystem + competence",
            {"ecosystem": "health", "competence": "artificial_intelligence"},
        ),
        Scenario("SME category + country", {"sme_category": "small", "country": "IT"}),
        Scenario("offer type + country", {"offer_type": "technology_request", "country": "ES"}),
        Scenario("full text", {"q": "hydrogen"}),
        Scenario("full text, phrase", {"q": '"smart textiles"'}),
        Scenario(
            "full text + country, by relevance",
            {"q": "machine learning", "country": "FR", "sort": "relevance"},
        ),
        Scenario("full text, broad, by relevance", {"q": "recycling", "sort": "relevance"}),
        Scenario("cluster members (largest cluster)", {"cluster_id": str(big_cluster)}),
        Scenario("newest SMEs", {"kind": "sme", "sort": "newest"}),
    ]


# --- seeding ---------------------------------------------------------------------------

ACTOR_COLUMNS = [
    "id",
    "legal_name",
    "short_name",
    "kind",
    "country",
    "version",
    "created_at",
    "updated_at",
    "website",
    "description",
    "nuts_code",
    "nuts_version",
    "nace_codes",
    "nace_revision",
    "ecosystems",
    "competences",
    "keywords",
    "sme_declared",
    "sme_category",
    "active",
    "deactivated_at",
    "search_text",
]
OFFER_COLUMNS = [
    "id",
    "actor_id",
    "position",
    "type",
    "title",
    "description",
    "competences",
    "keywords",
]
MEMBERSHIP_COLUMNS = ["id", "cluster_id", "member_actor_id", "joined_on", "left_on", "committed"]


@dataclass
class Seeded:
    actors: int
    offers: int
    memberships: int
    big_cluster: uuid.UUID
    big_cluster_members: int
    seconds: dict[str, float] = field(default_factory=dict)


def _records(
    seed: int, actors: int, clusters: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    plan = generate_actors(seed, DemoSize(actors=actors, clusters=clusters, value_chains=0))
    rng = random.Random(seed)
    now = datetime.now(UTC)
    ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in plan]
    actor_rows: list[tuple[Any, ...]] = []
    offer_rows: list[tuple[Any, ...]] = []
    for actor_id, actor in zip(ids, plan, strict=True):
        body = actor.body
        profile = ProfileFields.model_validate(body)
        created = now - timedelta(seconds=rng.randrange(4 * 365 * 86_400))
        active = rng.random() > 0.015
        category = actor.sme_category or ("not_sme" if actor.kind == "large_enterprise" else None)
        actor_rows.append(
            (
                actor_id,
                body["legal_name"],
                body.get("short_name"),
                actor.kind,
                actor.country,
                1,
                created,
                created,
                body.get("website"),
                body["description"],
                body.get("nuts_code"),
                body.get("nuts_version"),
                body["nace_codes"],
                "2.1",
                body["ecosystems"],
                body["competences"],
                body["keywords"],
                body.get("sme_declared"),
                category,
                active,
                None if active else created + timedelta(days=30),
                search_text(profile),  # the registry's own rule
            )
        )
        for position, item in enumerate([*body.get("offers", []), *body.get("needs", [])]):
            offer_rows.append(
                (
                    uuid.UUID(int=rng.getrandbits(128), version=4),
                    actor_id,
                    position,
                    item["type"],
                    item["title"],
                    item["description"],
                    item["competences"],
                    item["keywords"],
                )
            )
    # Cluster sizes: most have a few dozen members, a handful some thousands.
    cluster_ids = [i for i, a in zip(ids, plan, strict=True) if a.kind == "cluster_organisation"]
    others = [i for i, a in zip(ids, plan, strict=True) if a.kind != "cluster_organisation"]
    membership_rows: list[tuple[Any, ...]] = []
    for n, cluster_id in enumerate(cluster_ids):
        size = rng.randrange(2_000, 4_000) if n < 3 else rng.randrange(15, 120)
        for member in rng.sample(others, size):
            joined = date(2015, 1, 1) + timedelta(days=rng.randrange(3_600))
            left = joined + timedelta(days=400) if rng.random() < 0.05 else None
            membership_rows.append(
                (uuid.uuid4(), cluster_id, member, joined, left, rng.random() < 0.85)
            )
    return actor_rows, offer_rows, membership_rows


async def seed_database(database_url: str, *, actors: int, clusters: int, seed: int) -> Seeded:
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    actor_rows, offer_rows, membership_rows = await asyncio.to_thread(
        _records, seed, actors, clusters
    )
    seconds["generate"] = time.perf_counter() - started
    conn = await asyncpg.connect(dsn(database_url))
    try:
        started = time.perf_counter()
        await conn.copy_records_to_table("actors", records=actor_rows, columns=ACTOR_COLUMNS)
        await conn.copy_records_to_table("actor_offers", records=offer_rows, columns=OFFER_COLUMNS)
        await conn.copy_records_to_table(
            "cluster_memberships", records=membership_rows, columns=MEMBERSHIP_COLUMNS
        )
        seconds["copy"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        seconds["vacuum_analyze"] = time.perf_counter() - started
        big = await conn.fetchrow(
            "SELECT cluster_id, count(*) AS members FROM cluster_memberships "
            "WHERE left_on IS NULL GROUP BY cluster_id ORDER BY count(*) DESC LIMIT 1"
        )
    finally:
        await conn.close()
    return Seeded(
        len(actor_rows),
        len(offer_rows),
        len(membership_rows),
        big["cluster_id"],
        big["members"],
        seconds,
    )


# --- the three sides -------------------------------------------------------------------


def _filters(params: dict[str, Any]) -> repository.SearchFilters:
    """The registry's own parsing of the query string (stored country codes and so on)."""

    def many(name: str) -> list[str] | None:
        value = params.get(name)
        return None if value is None else [value] if isinstance(value, str) else list(value)

    cluster = params.get("cluster_id")
    return queries.build_filters(
        kinds=many("kind"),
        countries=many("country"),
        nuts=params.get("nuts"),
        nace=params.get("nace"),
        ecosystems=many("ecosystem"),
        competences=many("competence"),
        sme_categories=many("sme_category"),
        cluster_id=uuid.UUID(cluster) if cluster else None,
        offer_types=many("offer_type"),
        query=params.get("q"),
        include_inactive=False,
    )


class _Captured(Exception):
    pass


class _CaptureSession:
    """Stands in for the AsyncSession: keeps the statement the repository would execute."""

    statement: Any = None

    async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        self.statement = statement
        raise _Captured


async def registry_statement(params: dict[str, Any]) -> tuple[str, list[Any]]:
    """The SQL and arguments the registry's repository sends for this search."""
    session = _CaptureSession()
    with contextlib.suppress(_Captured):
        await repository.search(
            session,  # type: ignore[arg-type]
            _filters(params),
            sort=params.get("sort", "name"),
            after=None,
            limit=LIMIT,
            offer_types=OFFER_VALUES,
            need_types=NEED_VALUES,
        )
    compiled = session.statement.compile(
        dialect=asyncpg_dialect.dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"render_postcompile": True},
    )
    return compiled.string, [compiled.params[name] for name in compiled.positiontup]


def bare_statement(params: dict[str, Any]) -> tuple[str, list[Any]]:
    """The same search written by hand: same WHERE, ORDER BY and LIMIT, only ``actors``."""
    f = _filters(params)
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    def among(column: str, values: Sequence[str]) -> str:
        return f"{column} IN ({', '.join(arg(v) for v in values)})"

    where = ["active IS true"]
    if f.kinds:
        where.append(among("kind", f.kinds))
    if f.countries:
        where.append(among("country", f.countries))
    if f.nuts_prefix:
        where.append(f"nuts_code LIKE {arg(f.nuts_prefix + '%')}")
    if f.nace_prefix:
        where.append(
            "EXISTS (SELECT 1 FROM unnest(nace_codes) AS nace(code) "
            f"WHERE nace.code LIKE {arg(f.nace_prefix + '%')})"
        )
    if f.ecosystems:
        where.append(f"ecosystems && {arg(f.ecosystems)}::text[]")
    if f.competences:
        where.append(f"competences && {arg(f.competences)}::text[]")
    if f.sme_categories:
        where.append(among("sme_category", f.sme_categories))
    if f.cluster_id:
        where.append(
            "EXISTS (SELECT 1 FROM cluster_memberships m WHERE m.member_actor_id = actors.id "
            f"AND m.cluster_id = {arg(f.cluster_id)} "
            "AND (m.left_on IS NULL OR m.left_on > CURRENT_DATE))"
        )
    if f.offer_types:
        where.append(
            "EXISTS (SELECT 1 FROM actor_offers o WHERE o.actor_id = actors.id AND "
            f"{among('o.type', f.offer_types)})"
        )
    query_arg = arg(f.query) if f.query else None
    if query_arg:
        where.append(f"search_document @@ {TS_QUERY.format(query_arg)}")
    sort = params.get("sort", "name")
    if sort == "relevance" and query_arg:
        order = f"ts_rank(search_document, {TS_QUERY.format(query_arg)})::float DESC, id"
    elif sort == "newest":
        order = "created_at DESC, id DESC"
    else:
        order = "legal_name, id"
    sql = (
        f"SELECT actors.* FROM actors WHERE {' AND '.join(where)} "
        f"ORDER BY {order} LIMIT {arg(LIMIT + 1)}"
    )
    return sql, args


def count_statement(params: dict[str, Any]) -> tuple[str, list[Any]]:
    sql, args = bare_statement(params)
    where = sql.split(" WHERE ", 1)[1].rsplit(" ORDER BY ", 1)[0]
    return f"SELECT count(*) FROM actors WHERE {where}", args[:-1]


# --- measuring -------------------------------------------------------------------------


async def _timed(call: Callable[[], Awaitable[Any]], into: list[float]) -> Any:
    started = time.perf_counter()
    result = await call()
    into.append(time.perf_counter() - started)
    return result


async def _explain(conn: asyncpg.Connection, sql: str, args: list[Any]) -> str:
    """EXPLAIN ANALYZE with these arguments: a one-shot, custom plan."""
    rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)
    return "\n".join(r[0] for r in rows)


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return f"ARRAY[{', '.join(_literal(v) for v in value)}]::text[]"
    return "'" + str(value).replace("'", "''") + "'"


async def _explain_generic(conn: asyncpg.Connection, sql: str, args: list[Any]) -> str:
    """EXPLAIN ANALYZE of the generic plan, the one a cached prepared statement may use
    after five executions (parameters bound through the protocol always get a custom one)."""
    await conn.execute(f"PREPARE bench_generic AS {sql}")
    try:
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        arguments = f"({', '.join(_literal(a) for a in args)})" if args else ""
        rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_generic{arguments}")
        return "\n".join(r[0] for r in rows)
    finally:
        await conn.execute("RESET plan_cache_mode")
        await conn.execute("DEALLOCATE bench_generic")


def _top(plan: str) -> str:
    """The plan down to the per-row subqueries (offers, needs, accounts, ...), and its time."""
    lines = plan.splitlines()
    cut = next((i for i, line in enumerate(lines) if line.strip().startswith("SubPlan")), None)
    kept = lines[:cut] + [line for line in lines[cut or len(lines) :] if "Time:" in line]
    return "\n".join(line for line in kept if "Buffers:" not in line)


async def measure(
    scenario: Scenario,
    http: RawConnection,
    conn: asyncpg.Connection,
    custom: asyncpg.Connection,
    *,
    samples: int,
    warmup: int,
) -> dict[str, Any]:
    path = "/v1/actors?" + urlencode({**scenario.params, "limit": LIMIT}, doseq=True)
    registry_sql, registry_args = await registry_statement(scenario.params)
    bare_sql, bare_args = bare_statement(scenario.params)
    count_sql, count_args = count_statement(scenario.params)
    hits = await conn.fetchval(count_sql, *count_args)

    async def via_http() -> bytes:
        status, body = await http.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:500]!r}")
        return body

    async def via_registry_sql() -> Any:
        return await conn.fetch(registry_sql, *registry_args)

    async def via_registry_sql_custom() -> Any:
        return await custom.fetch(registry_sql, *registry_args)

    async def via_bare() -> Any:
        return await conn.fetch(bare_sql, *bare_args)

    sides = {
        "http": via_http,
        "registry_sql": via_registry_sql,
        "registry_sql_custom_plan": via_registry_sql_custom,
        "bare": via_bare,
    }
    timings: dict[str, list[float]] = {side: [] for side in sides}
    first_http = await via_http()
    first_bare = await via_bare()
    http_ids = [item["id"] for item in json.loads(first_http)["items"]]
    bare_ids = [str(row["id"]) for row in first_bare[:LIMIT]]
    for _ in range(warmup):
        for call in sides.values():
            await call()
    names = list(sides)
    for n in range(samples):
        turn = n % len(names)
        for side in names[turn:] + names[:turn]:  # rotate who goes first
            await _timed(sides[side], timings[side])
    report: dict[str, Any] = {
        "name": scenario.name,
        "query": path,
        "hits": hits,
        "page_items": len(http_ids),
        "same_first_page": http_ids == bare_ids,
        **{side: summary_ms(values) for side, values in timings.items()},
    }
    p50 = {side: report[side]["p50_ms"] for side in sides}
    report["p50_ratio"] = ratio(p50["http"], p50["bare"])
    report["p95_ratio"] = ratio(report["http"]["p95_ms"], report["bare"]["p95_ms"])
    report["sql_p50_ratio"] = ratio(p50["registry_sql"], p50["bare"])
    if p50["http"] > SLOW_MS:
        report["explain_bare"] = await _explain(conn, bare_sql, bare_args)
        report["explain_registry"] = await _explain(conn, registry_sql, registry_args)
    if p50["registry_sql"] > max(2 * p50["registry_sql_custom_plan"], 5.0):
        report["explain_registry_generic"] = await _explain_generic(
            conn, registry_sql, registry_args
        )
    return report


async def run(
    stack: BenchStack,
    log_dir: Path,
    *,
    actors: int = ACTORS,
    samples: int = 200,
    warmup: int = 20,
) -> dict[str, Any]:
    database_url = await stack.fresh_database("registry", "search")
    topic_prefix = await stack.topics("search")
    clusters = max(1, min(CLUSTERS, actors // 250))
    seeded = await seed_database(database_url, actors=actors, clusters=clusters, seed=SEED)
    print(
        f"  seeded {seeded.actors:,} actors, {seeded.offers:,} offers and needs, "
        f"{seeded.memberships:,} cluster memberships in "
        + ", ".join(f"{k} {v:.1f} s" for k, v in seeded.seconds.items()),
        flush=True,
    )
    registry = AppProcess(
        "registry",
        free_port(),
        stack.service_env("registry", database_url, topic_prefix),
        log_path=log_dir / "search-registry.log",
    )
    results: list[dict[str, Any]] = []
    conn = await asyncpg.connect(dsn(database_url))
    custom = await asyncpg.connect(
        dsn(database_url), server_settings={"plan_cache_mode": "force_custom_plan"}
    )
    http = RawConnection(registry.base_url, {**bearer("viewer"), "Accept": "application/json"})
    try:
        async with running(registry):
            for scenario in scenarios(seeded.big_cluster):
                result = await measure(scenario, http, conn, custom, samples=samples, warmup=warmup)
                results.append(result)
                print(
                    f"  {scenario.name:<36} {result['hits']:>6} hits  http p50 "
                    f"{result['http']['p50_ms']:7.2f} ms  "
                    f"bare p50 {result['bare']['p50_ms']:6.2f} ms",
                    flush=True,
                )
    finally:
        await http.close()
        await conn.close()
        await custom.close()
    return {
        "actors": seeded.actors,
        "offers": seeded.offers,
        "memberships": seeded.memberships,
        "largest_cluster_members": seeded.big_cluster_members,
        "seed_seconds": seeded.seconds,
        "samples": samples,
        "limit": LIMIT,
        "scenarios": results,
    }


def render(report: dict[str, Any]) -> str:
    rows: list[list[object]] = []
    for s in report["scenarios"]:
        rows.append(
            [
                s["name"],
                s["hits"],
                s["http"]["p50_ms"],
                s["http"]["p95_ms"],
                s["registry_sql"]["p50_ms"],
                s["registry_sql_custom_plan"]["p50_ms"],
                s["bare"]["p50_ms"],
                s["bare"]["p95_ms"],
                f"{s['p50_ratio']:.1f}x",
                f"{s['p95_ratio']:.1f}x",
                "yes" if s["same_first_page"] else "NO",
            ]
        )
    title = (
        f"Search: GET /v1/actors over {report['actors']:,} actors vs the bare query "
        f"(first page, limit {report['limit']}, {report['samples']} sequential samples each; "
        "ms)"
    )
    text = table(
        title,
        [
            "scenario",
            "hits",
            "http p50",
            "http p95",
            "reg SQL p50",
            "custom plan",
            "bare p50",
            "bare p95",
            "p50 ratio",
            "p95 ratio",
            "same page",
        ],
        rows,
    )
    text += (
        "\n(reg SQL: the registry's own statement through asyncpg; custom plan: the same with "
        "plan_cache_mode=force_custom_plan; ratios: http / bare)"
    )
    for s in report["scenarios"]:
        if "explain_registry_generic" in s:
            auto, custom = s["registry_sql"]["p50_ms"], s["registry_sql_custom_plan"]["p50_ms"]
            text += (
                f"\n\n-- {s['name']}: the registry statement takes {auto:.1f} ms, {custom:.1f} ms "
                "with a custom plan. Its generic plan (a cached prepared statement's, after "
                f"five runs):\n{_top(s['explain_registry_generic'])}"
            )
        if "explain_bare" in s:
            text += (
                f"\n\n-- {s['name']}: above {SLOW_MS:.0f} ms over HTTP. EXPLAIN ANALYZE of the "
                f"bare statement:\n{_top(s['explain_bare'])}"
            )
    return text
