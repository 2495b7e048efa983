"""Benchmark: bulk registration of beneficiaries (POST /v1/actors:batch-register-csv)
against a plain COPY of the same rows.

A regional authority (a bearer token of Yugozapaden, BG41) uploads synthetic Bulgarian
beneficiaries in files of 5,000 rows (the endpoint's limit): a third with an EIK, a third
with a VAT number, a third with only a name, every one in its region. The registry holds
none of them: each is looked up (external id, identifiers, name key), registered with
its event in the outbox (the relay publishes meanwhile) and its external id recorded.
Then the same files again, when every item is matched by its external id and nothing is
written. A small upload of other beneficiaries goes first, so that loading the NUTS
lists (once per process) is not timed.

The baseline is PostgreSQL's COPY of the same files into a scratch table of their
columns in the same database: no parsing, validation, matching or events.

A second reference, the floor of the design, stores the same rows where the registry
keeps them, in SQL alone: COPY into the scratch table, then one INSERT each into the
registry's own ``actors`` (its indexes and generated search document), its external ids
and the outbox (one event per actor), in a fresh database of the registry's schema. What
separates the upload from it is the service's own work: parsing, validation, matching,
building events, HTTP and the relay.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from stdnum.bg import vat as bg_vat
from synergia_devstack.ports import free_port
from synergia_shared.events.topics import REGISTRY_ACTOR
from synergia_shared.http.auth import issue_token
from synergia_shared.settings import DEV_JWT_SECRET

from bench import design_floor
from bench.design_floor import outbox_insert
from bench.http_bench import wait_outbox_drained
from bench.processes import AppProcess, running
from bench.stack import BenchStack, dsn
from bench.stats import copy_table, ratio

BENEFICIARIES = 20_000
PER_FILE = 5_000
COLUMNS = ("external_id", "legal_name", "country", "nuts_code", "national_id", "vat_number")
SCRATCH = "bench_beneficiaries_copy"
REGIONS = ("BG411", "BG412", "BG413", "BG414", "BG415")


def _eik(n: int) -> str:
    body = f"{30_000_000 + n:08d}"
    return body + bg_vat.calc_check_digit_legal(body)


def write_files(directory: Path, count: int, *, first: int = 0) -> list[Path]:
    """``count`` beneficiaries in files of at most :data:`PER_FILE` rows."""
    paths = []
    for start in range(first, first + count, PER_FILE):
        path = directory / f"beneficiaries-{start}.csv"
        lines = [";".join(COLUMNS)]
        for n in range(start, min(start + PER_FILE, first + count)):
            eik = _eik(n)
            national, vat = (
                (eik, "") if n % 3 == 0 else ("", f"BG{eik}") if n % 3 == 1 else ("", "")
            )
            name = f"Бенефициент {n} ЕООД" if n % 2 else f"Beneficiary {n} Ltd"
            region = REGIONS[n % len(REGIONS)]
            lines.append(";".join((f"YZ-{n}", name, "BG", region, national, vat)))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


async def copy_seconds(database_url: str, paths: list[Path]) -> float:
    conn = await asyncpg.connect(dsn(database_url))
    try:
        await conn.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        await conn.execute(f"CREATE TABLE {SCRATCH} ({', '.join(f'{c} text' for c in COLUMNS)})")
        started = time.perf_counter()
        for path in paths:
            await conn.copy_to_table(
                SCRATCH, source=path, format="csv", delimiter=";", header=True, encoding="UTF8"
            )
        seconds = time.perf_counter() - started
        await conn.execute(f"DROP TABLE {SCRATCH}")
        return seconds
    finally:
        await conn.close()


# The rows as the registry stores them, its events included, with no service code.
_FLOOR_STATEMENTS = (
    f"ALTER TABLE {SCRATCH} ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid()",
    f"""INSERT INTO actors (id, legal_name, kind, country, nuts_code, nuts_version,
        national_id_scheme, national_id, vat_number, name_key, search_text)
    SELECT id, legal_name, 'sme', country, nuts_code, '2024',
        CASE WHEN national_id <> '' THEN 'bg_eik' END, NULLIF(national_id, ''),
        NULLIF(vat_number, ''), lower(legal_name), legal_name
    FROM {SCRATCH}""",
    f"""INSERT INTO actor_external_ids (sender, external_id, actor_id)
    SELECT 'authority:BG41', external_id, id FROM {SCRATCH}""",
    outbox_insert(
        f"{SCRATCH} AS s",
        aggregate_type="actor",
        aggregate_id="s.id::text",
        event_type="actor.registered.v1",
        topic=REGISTRY_ACTOR,
        event_source="/registry",
    ),
)


async def floor_seconds(database_url: str, paths: list[Path]) -> float:
    """The design's floor: the same rows into the registry's tables and outbox, SQL only."""
    return await design_floor.floor_seconds(
        database_url,
        scratch=SCRATCH,
        columns=[(c, "text") for c in COLUMNS],
        statements=_FLOOR_STATEMENTS,
        files=paths,
    )


async def upload_seconds(base_url: str, paths: list[Path]) -> tuple[float, dict[str, int]]:
    token = issue_token(
        DEV_JWT_SECRET, subject="bench-official", roles=["authority"], region="BG41"
    )
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
    totals = {"registered": 0, "matched": 0, "possible_duplicates": 0, "rejected": 0}
    async with httpx.AsyncClient(base_url=base_url, timeout=None) as client:
        started = time.perf_counter()
        for path in paths:
            response = await client.post(
                "/v1/actors:batch-register-csv", content=path.read_bytes(), headers=headers
            )
            if response.status_code != 200:
                raise RuntimeError(
                    f"the upload answered {response.status_code}: {response.text[:500]}"
                )
            body = response.json()
            for key in totals:
                totals[key] += body[key]
        seconds = time.perf_counter() - started
    return seconds, totals


async def run(
    stack: BenchStack, log_dir: Path, *, beneficiaries: int = BENEFICIARIES, copy_rounds: int = 3
) -> dict[str, Any]:
    paths = write_files(log_dir, beneficiaries)
    warmup = write_files(log_dir, 100, first=10_000_000)
    database_url = await stack.fresh_database("registry", "beneficiaries")
    topic_prefix = await stack.topics("beneficiaries")
    registry = AppProcess(
        "registry",
        free_port(),
        stack.service_env("registry", database_url, topic_prefix),
        log_path=log_dir / "beneficiaries-registry.log",
    )
    async with running(registry):
        copies = [await copy_seconds(database_url, paths) for _ in range(copy_rounds)]
        await upload_seconds(registry.base_url, warmup)
        cpu_before = registry.cpu_seconds()
        first_s, first = await upload_seconds(registry.base_url, paths)
        first_cpu = registry.cpu_seconds() - cpu_before
        print(f"  first upload: {beneficiaries / first_s:,.0f} rows/s", flush=True)
        if first["registered"] != beneficiaries:
            raise RuntimeError(f"unexpected first results: {first}")
        await wait_outbox_drained(database_url, timeout=300)
        drained_cpu = registry.cpu_seconds() - cpu_before
        cpu_before = registry.cpu_seconds()
        again_s, again = await upload_seconds(registry.base_url, paths)
        again_cpu = registry.cpu_seconds() - cpu_before
        if again["matched"] != beneficiaries:
            raise RuntimeError(f"the second upload did not match everything: {again}")
    floor_s = await floor_seconds(
        await stack.fresh_database("registry", "beneficiaries_floor"), paths
    )
    copy_s = min(copies)
    return {
        "beneficiaries": beneficiaries,
        "files": len(paths),
        "copy": {"seconds": copy_s, "rows_per_s": beneficiaries / copy_s, "rounds_s": copies},
        "floor": {"seconds": floor_s, "rows_per_s": beneficiaries / floor_s},
        "register": {
            "seconds": first_s,
            "rows_per_s": beneficiaries / first_s,
            "registry_cpu_us_per_row": first_cpu / beneficiaries * 1e6,
            "with_relay_cpu_us_per_row": drained_cpu / beneficiaries * 1e6,
        },
        "again": {
            "seconds": again_s,
            "rows_per_s": beneficiaries / again_s,
            "registry_cpu_us_per_row": again_cpu / beneficiaries * 1e6,
        },
        "register_to_copy": ratio(beneficiaries / first_s, beneficiaries / copy_s),
        "floor_to_copy": ratio(beneficiaries / floor_s, beneficiaries / copy_s),
        "register_to_floor": ratio(beneficiaries / first_s, beneficiaries / floor_s),
        "again_to_copy": ratio(beneficiaries / again_s, beneficiaries / copy_s),
    }


def render(report: dict[str, Any]) -> str:
    title = (
        f"Beneficiary registration: {report['beneficiaries']:,} rows in {report['files']} CSV "
        "uploads of an authority, to the registry process"
    )
    cpu = (
        f"registry process CPU per row: {report['register']['registry_cpu_us_per_row']:.0f} µs "
        f"during the first upload, {report['register']['with_relay_cpu_us_per_row']:.0f} µs "
        "until the relay had published every event; "
        f"{report['again']['registry_cpu_us_per_row']:.0f} µs for the files again"
    )
    floor = design_floor.floor_line(
        "the same rows into the registry's actors, external ids and outbox",
        report["floor"]["rows_per_s"],
        "rows",
        [
            ("floor/COPY", report["floor_to_copy"]),
            ("first upload/floor", report["register_to_floor"]),
        ],
    )
    paths = [
        ("register, empty registry (every beneficiary registered + event)", report["register"]),
        ("the same files again (every beneficiary matched, no writes)", report["again"]),
    ]
    return copy_table(title, report["copy"], paths) + "\n" + floor + "\n" + cpu
