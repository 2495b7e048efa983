"""Benchmark: funding report latency over a ledger of 1,000,000 entries.

The ledger is generated in SQL (a set-returning INSERT, then one correction for one
original in nine: half reversals, half adjustments) into a fresh funding database:
20,000 beneficiaries (registered in the beneficiaries projection, so their report
answers), 2,000 value chains each located in three of twelve NUTS-3 regions (eight
countries), seven sources, ESIF over six funds. Each report is then asked ``samples``
times through the real funding process over HTTP, one request at a time, for varying
subjects:

- ``GET /v1/beneficiaries/{id}``: about 50 entries, de minimis of its undertaking;
- ``GET /v1/value-chains/{id}/co-funding``: about 450 entries, rule flags included;
- ``GET /v1/regions/{nuts}/co-funding`` for a NUTS-3 region, a NUTS-2 region and a
  whole country (about 75,000, 225,000 and 375,000 originals), with the money of every
  project that has ESIF there.

The reports have no baseline of their own to be a ratio of; the figure printed next to
each is the plain ``SELECT sum(amount) … GROUP BY source`` over the same scope without
corrections, measured in the same run: what one scan of that scope costs this server.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from synergia_devstack.ports import free_port
from synergia_funding.ledger.repository import REBUILD_NETS

from bench.loadgen import RawConnection
from bench.processes import AppProcess, running
from bench.stack import BenchStack, bearer, dsn
from bench.stats import summary_ms, table

ENTRIES = 1_000_000
SAMPLES = 30
REGIONS = (
    "ITH51",
    "ITH52",
    "ITH55",
    "ITC4C",
    "ITC11",
    "DE212",
    "DE300",
    "FR101",
    "ES300",
    "PL911",
    "LT011",
    "EL303",
)
ORIGINALS_SQL = """
INSERT INTO ledger_entries (entry_id, kind, beneficiary_id, project_id, source, fund,
  instrument_id, amount, finance_type, entry_date, member_state, external_system,
  external_id, cost_item_ref, region_nuts, is_de_minimis, private_timing)
SELECT gen_random_uuid(), k, md5('b' || (i % 20000))::uuid,
  CASE WHEN i % 5 = 0 AND s <> 'fstp' THEN NULL ELSE md5('p' || (i % 2000))::uuid END,
  s, CASE WHEN s = 'esif' THEN (ARRAY['ERDF','ESF','CF','EAFRD','EMFF','YEI'])[1 + i % 6] END,
  'I' || (i % 50), (1 + (i * 7919) % 100000000) / 100.0, 'grant',
  date '2020-01-01' + (i % 2000)::int, left(r, 2), 'bench', 'o' || i,
  CASE WHEN k = 'cost_item' THEN 'c' || (i % 7) END,
  CASE WHEN i % 10 = 0 THEN NULL ELSE r END,
  k = 'commitment' AND i % 17 = 0,
  CASE WHEN s = 'private' THEN (ARRAY['upfront','follow_up'])[1 + i % 2] END
FROM generate_series(1::bigint, $1::bigint) AS i,
  LATERAL (SELECT
    (ARRAY['commitment','cost_item','disbursement'])[1 + (i / 3) % 3] AS k,
    (ARRAY['h2020','fstp','esif','efsi','national','regional','private'])[1 + (i / 11) % 7] AS s,
    ($2::text[])[1 + ((i % 2000) + 4 * (i % 3)) % 12] AS r) AS x
"""
CORRECTIONS_SQL = """
INSERT INTO ledger_entries (entry_id, kind, beneficiary_id, project_id, source, fund,
  instrument_id, amount, finance_type, entry_date, member_state, external_system,
  external_id, cost_item_ref, region_nuts, is_de_minimis, private_timing, reverses, adjusts)
SELECT gen_random_uuid(), kind, beneficiary_id, project_id, source, fund, instrument_id,
  CASE WHEN seq % 2 = 0 THEN amount ELSE -1.00 END, finance_type, entry_date, member_state,
  'bench', 'c' || seq, cost_item_ref, region_nuts, is_de_minimis, private_timing,
  CASE WHEN seq % 2 = 0 THEN entry_id END, CASE WHEN seq % 2 = 1 THEN entry_id END
FROM ledger_entries WHERE seq % 9 = 4
"""
BENEFICIARIES_SQL = """
INSERT INTO beneficiaries (actor_id, legal_name, kind, country, registered_at, sme_category)
SELECT md5('b' || n)::uuid, 'Bench SME ' || n, 'sme', 'IT', now(),
  (ARRAY['micro','small','medium','not_sme'])[1 + n % 4]
FROM generate_series(0, 19999) AS n
"""


def _md5_uuid(text: str) -> uuid.UUID:
    # The same md5 ids as the generating SQL (ids, not security).
    return uuid.UUID(hashlib.md5(text.encode()).hexdigest())


async def generate(database_url: str, entries: int) -> dict[str, Any]:
    """The ledger: about ``entries`` rows, nine originals in ten."""
    originals = round(entries * 9 / 10)
    conn = await asyncpg.connect(dsn(database_url))
    try:
        started = time.perf_counter()
        await conn.execute(BENEFICIARIES_SQL)
        await conn.execute(ORIGINALS_SQL, originals, list(REGIONS))
        await conn.execute(CORRECTIONS_SQL)
        # Written directly, not through the ledger writer: the nets are computed once.
        await conn.execute(str(REBUILD_NETS))
        await conn.execute("VACUUM ANALYZE ledger_nets")
        await conn.execute("VACUUM ANALYZE ledger_entries")
        await conn.execute("VACUUM ANALYZE beneficiaries")
        total = await conn.fetchval("SELECT count(*) FROM ledger_entries")
        return {"entries": int(total), "seconds": time.perf_counter() - started}
    finally:
        await conn.close()


async def _plain_scan(database_url: str, where: str, arg: Any, samples: int) -> list[float]:
    conn = await asyncpg.connect(dsn(database_url))
    try:
        sql = f"SELECT source, sum(amount) FROM ledger_entries WHERE {where} GROUP BY source"
        times = []
        for _ in range(samples):
            started = time.perf_counter()
            await conn.fetch(sql, arg)
            times.append(time.perf_counter() - started)
        return times
    finally:
        await conn.close()


async def _time_gets(conn: RawConnection, paths: list[str]) -> list[float]:
    times = []
    for path in paths:
        started = time.perf_counter()
        status, body = await conn.request("GET", path)
        times.append(time.perf_counter() - started)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    return times


async def run(
    stack: BenchStack, log_dir: Path, *, entries: int = ENTRIES, samples: int = SAMPLES
) -> dict[str, Any]:
    database_url = await stack.fresh_database("funding", "reports")
    prefix = await stack.topics("reports")
    generated = await generate(database_url, entries)
    proc = AppProcess(
        "funding",
        free_port(),
        stack.service_env("funding", database_url, prefix),
        log_path=log_dir / "reports-funding.log",
    )
    beneficiaries = [_md5_uuid(f"b{n * 37 % 20000}") for n in range(samples)]
    chains = [_md5_uuid(f"p{n * 13 % 2000}") for n in range(samples)]
    cases: list[tuple[str, list[str], str, Any]] = [
        (
            "beneficiary",
            [f"/v1/beneficiaries/{b}" for b in beneficiaries],
            "beneficiary_id = $1",
            beneficiaries[0],
        ),
        (
            "value chain",
            [f"/v1/value-chains/{c}/co-funding" for c in chains],
            "project_id = $1",
            chains[0],
        ),
        (
            "region NUTS-3 (ITH51)",
            ["/v1/regions/ITH51/co-funding"] * samples,
            "region_nuts LIKE $1",
            "ITH51%",
        ),
        (
            "region NUTS-2 (ITH5)",
            ["/v1/regions/ITH5/co-funding"] * samples,
            "region_nuts LIKE $1",
            "ITH5%",
        ),
        (
            "country (IT)",
            ["/v1/regions/IT/co-funding"] * max(5, samples // 3),
            "region_nuts LIKE $1",
            "IT%",
        ),
    ]
    results: list[dict[str, Any]] = []
    async with running(proc):
        conn = RawConnection(proc.base_url, {**bearer("viewer"), "Accept": "application/json"})
        try:
            for name, paths, where, arg in cases:
                await _time_gets(conn, paths[:2])  # warm the caches and the plan
                times = await _time_gets(conn, paths)
                plain = await _plain_scan(database_url, where, arg, len(paths))
                results.append(
                    {
                        "report": name,
                        "requests": len(paths),
                        **summary_ms(times),
                        "plain_scan": summary_ms(plain),
                    }
                )
                print(f"  {name}: p50 {results[-1]['p50_ms']:.1f} ms", flush=True)
        finally:
            await conn.close()
    return {"generated": generated, "reports": results}


def render(report: dict[str, Any]) -> str:
    rows: list[list[object]] = [
        [
            r["report"],
            r["requests"],
            r["p50_ms"],
            r["p95_ms"],
            r["plain_scan"]["p50_ms"],
            f"{r['p95_ms'] / r['plain_scan']['p50_ms']:.2f}x"
            if r["report"].startswith(("region", "country"))
            else "",
        ]
        for r in report["reports"]
    ]
    title = (
        f"Funding reports over {report['generated']['entries']:,} ledger entries "
        "(HTTP, one request at a time; plain scan = sum(amount) of the scope, no corrections)"
    )
    headers = ["report", "requests", "p50 ms", "p95 ms", "plain scan p50 ms", "p95 / scan"]
    return table(title, headers, rows)
