"""Benchmark: the CORDIS import (POST /v1/imports/cordis) against a plain COPY of the rows.

A synthetic organization.csv (default 20,000 rows of 8,000 organisations, `;`-separated,
quoted names holding `;`, decimal commas and points, empty NUTS and SME fields) is
imported through the real registry process, streamed as the request body, into a
registry holding none of its organisations: every one registered through the actor
service with its event in the outbox (the relay publishes them meanwhile, as in
production). Then the same file again, when every organisation is unchanged. A small
import of other organisations goes first, so that loading the NUTS lists (about a
second, once per process) is not timed.

The baseline is PostgreSQL's COPY of the same file into a scratch table of 25 text
columns in the same database: the floor for moving these rows into that server, with
no parsing, validation, merging or events.

A second reference, the floor of the design (``bench.design_floor``), stores what the
first import stores, in SQL alone: COPY of the file into the scratch table, then one
actor per organisation (one of its rows; the kind, country, NUTS version and name key as
simple expressions) into the registry's own ``actors`` (its indexes, unique PIC and CORDIS
link, generated search document) and one ``registered`` event each into the outbox, in a
fresh database of the registry's schema.
"""

from __future__ import annotations

import asyncio
import csv
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from stdnum.de import vat as de_vat
from synergia_devstack.ports import free_port
from synergia_registry.imports.mapping import COLUMNS
from synergia_shared.events.topics import REGISTRY_ACTOR

from bench import design_floor
from bench.http_bench import wait_outbox_drained
from bench.processes import AppProcess, running
from bench.stack import BenchStack, bearer, dsn
from bench.stats import copy_table, ratio

ROWS = 20_000
ORGANISATIONS = 8_000
CHUNK = 64 * 1024
SCRATCH = "bench_cordis_copy"
# Countries with NUTS 2021 codes (NUTS 2016 for the UK) that exist and lie in them.
NUTS = {
    "DE": ["DE212", "DE300", "DE111", "DEA23"],
    "EL": ["EL303", "EL30", "EL522"],
    "IT": ["ITC4C", "ITI43", "ITH55"],
    "FR": ["FR101", "FRK26", "FRL04"],
    "ES": ["ES300", "ES511", "ES618"],
    "NL": ["NL33C", "NL329", "NL414"],
    "UK": ["UKI32", "UKH12", "UKM82"],
    "PL": ["PL911", "PL213", "PL514"],
}
ACTIVITIES = ["PRC"] * 5 + ["HES", "HES", "REC", "REC", "PUB", "OTH"]
ROLES = ["coordinator", "participant", "participant", "partner", "thirdParty"]


def _de_vat(n: int) -> str:
    base = f"{10_000_000 + n:08d}"
    return next(f"DE{base}{d}" for d in "0123456789" if de_vat.is_valid(f"{base}{d}"))


def _amount(rng: random.Random) -> str:
    value = f"{rng.randint(0, 2_000_000)}.{rng.randint(0, 99):02d}"
    return value.replace(".", ",") if rng.random() < 0.5 else value


def write_sample(
    path: Path, rows: int, organisations: int, *, seed: int = 2015, first_pic: int = 900_000_000
) -> None:
    """A synthetic organization.csv: every organisation once, then further projects."""
    rng = random.Random(seed)
    orgs = []
    for n in range(organisations):
        country = rng.choice(list(NUTS))
        activity = rng.choice(ACTIVITIES)
        sme = rng.choice(["true", "true", "false", ""]) if activity == "PRC" else "false"
        orgs.append(
            {
                "organisationID": f"{first_pic + n}",
                "vatNumber": _de_vat(n) if country == "DE" else "",
                "name": f"Synthetic Organisation {n}; Value Chain Division"
                if n % 7 == 0
                else f"Synthetic Organisation {n} S.A.",
                "shortName": f"SO{n}",
                "SME": sme,
                "activityType": activity,
                "street": f'Via "Industria" {n}',
                "postCode": f"{10000 + n % 89999}",
                "city": "Somewhere",
                "country": country,
                "nutsCode": "" if n % 5 == 0 else rng.choice(NUTS[country]),
                "geolocation": "48.1,11.5",
                "organizationURL": f"www.org{n}.example.eu",
                "contentUpdateDate": f"2021-0{1 + n % 9}-15 10:00:00",
            }
        )
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row_no in range(rows):
            org = orgs[row_no] if row_no < organisations else rng.choice(orgs)
            values = {
                **org,
                "projectID": f"{700_000 + row_no // 6}",
                "projectAcronym": f"PRJ{row_no // 6}",
                "contactForm": "",
                "rcn": f"{200_000 + row_no}",
                "order": f"{1 + row_no % 6}",
                "role": rng.choice(ROLES),
                "ecContribution": _amount(rng),
                "netEcContribution": _amount(rng),
                "totalCost": _amount(rng),
                "endOfParticipation": "false",
                "active": "true",
            }
            writer.writerow([values[name] for name in COLUMNS])


async def copy_seconds(database_url: str, path: Path) -> float:
    """COPY the file into a fresh scratch table (25 text columns); the time taken."""
    conn = await asyncpg.connect(dsn(database_url))
    try:
        await conn.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        columns = ", ".join(f'"{name}" text' for name in COLUMNS)
        await conn.execute(f"CREATE TABLE {SCRATCH} ({columns})")
        started = time.perf_counter()
        await conn.copy_to_table(
            SCRATCH, source=path, format="csv", delimiter=";", header=True, encoding="UTF8"
        )
        seconds = time.perf_counter() - started
        await conn.execute(f"DROP TABLE {SCRATCH}")
        return seconds
    finally:
        await conn.close()


# What the first import stores, with no service code: an actor per organisation (the
# first of its rows by organisation id) and its event.
_KIND = """CASE s."activityType" WHEN 'HES' THEN 'university'
        WHEN 'REC' THEN 'research_organisation' WHEN 'PUB' THEN 'public_authority'
        WHEN 'PRC' THEN CASE s."SME" WHEN 'true' THEN 'sme' WHEN 'false' THEN 'large_enterprise'
            ELSE 'other' END
        ELSE 'other' END"""
_FLOOR_STATEMENTS = (
    f"""INSERT INTO actors (id, legal_name, short_name, kind, country, pic, vat_number,
        website, nuts_code, nuts_version, name_key, cordis_organisation_id)
    SELECT gen_random_uuid(), s.name, NULLIF(s."shortName", ''), {_KIND},
        CASE s.country WHEN 'EL' THEN 'GR' WHEN 'UK' THEN 'GB' ELSE s.country END,
        s."organisationID", NULLIF(s."vatNumber", ''), 'https://' || s."organizationURL",
        NULLIF(s."nutsCode", ''),
        CASE WHEN s."nutsCode" = '' THEN NULL WHEN s.country = 'UK' THEN '2016' ELSE '2021' END,
        lower(s.name), s."organisationID"
    FROM (SELECT DISTINCT ON ("organisationID") * FROM {SCRATCH}
          ORDER BY "organisationID") AS s""",
    design_floor.outbox_insert(
        "actors AS s",
        aggregate_type="actor",
        aggregate_id="s.id::text",
        event_type="actor.registered.v1",
        topic=REGISTRY_ACTOR,
        event_source="/registry",
        data="to_jsonb(s) - 'search_document'",
    ),
)


async def floor_seconds(database_url: str, path: Path) -> float:
    """The design's floor: what the first import stores, by SQL alone."""
    return await design_floor.floor_seconds(
        database_url,
        scratch=SCRATCH,
        columns=[(name, "text") for name in COLUMNS],
        statements=_FLOOR_STATEMENTS,
        files=[path],
    )


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


async def import_seconds(base_url: str, path: Path) -> tuple[float, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base_url, timeout=None) as client:
        started = time.perf_counter()
        response = await client.post(
            "/v1/imports/cordis",
            content=_file_chunks(path),
            headers={**bearer("admin"), "Content-Type": "text/csv"},
        )
        seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"the import answered {response.status_code}: {response.text[:500]}")
    report: dict[str, Any] = response.json()
    return seconds, report


async def run(
    stack: BenchStack,
    log_dir: Path,
    *,
    rows: int = ROWS,
    organisations: int = ORGANISATIONS,
    copy_rounds: int = 3,
) -> dict[str, Any]:
    sample, warmup = log_dir / "organization.csv", log_dir / "warmup.csv"
    await asyncio.to_thread(write_sample, sample, rows, organisations)
    await asyncio.to_thread(write_sample, warmup, 200, 100, seed=1, first_pic=800_000_000)
    database_url = await stack.fresh_database("registry", "cordis")
    topic_prefix = await stack.topics("cordis")
    registry = AppProcess(
        "registry",
        free_port(),
        stack.service_env("registry", database_url, topic_prefix),
        log_path=log_dir / "cordis-registry.log",
    )
    async with running(registry):
        copies = [await copy_seconds(database_url, sample) for _ in range(copy_rounds)]
        # Other organisations: loads the NUTS lists (once per process) and warms the pools.
        await import_seconds(registry.base_url, warmup)
        cpu_before = registry.cpu_seconds()
        first_s, first = await import_seconds(registry.base_url, sample)
        first_cpu = registry.cpu_seconds() - cpu_before
        print(f"  first import: {rows / first_s:,.0f} rows/s", flush=True)
        if first["created"] != organisations or first["rows_rejected"]:
            counts = {k: v for k, v in first.items() if isinstance(v, int)}
            raise RuntimeError(f"unexpected first report: {counts} {first['rejections'][:3]}")
        await wait_outbox_drained(database_url, timeout=300)
        drained_cpu = registry.cpu_seconds() - cpu_before
        cpu_before = registry.cpu_seconds()
        again_s, again = await import_seconds(registry.base_url, sample)
        again_cpu = registry.cpu_seconds() - cpu_before
        if again["unchanged"] != organisations:
            raise RuntimeError(f"the re-import changed something: {again['updated']} updated")
    floors = [
        await floor_seconds(await stack.fresh_database("registry", f"cordis_floor{n}"), sample)
        for n in range(copy_rounds)
    ]
    floor_s = min(floors)
    copy_s = min(copies)
    return {
        "rows": rows,
        "organisations": organisations,
        "file_bytes": sample.stat().st_size,
        "copy": {"seconds": copy_s, "rows_per_s": rows / copy_s, "rounds_s": copies},
        "import": {
            "seconds": first_s,
            "rows_per_s": rows / first_s,
            "organisations_per_s": organisations / first_s,
            "registry_cpu_s": first_cpu,
            "with_relay_cpu_s": drained_cpu,
        },
        "reimport": {
            "seconds": again_s,
            "rows_per_s": rows / again_s,
            "registry_cpu_s": again_cpu,
        },
        "floor": {
            "seconds": floor_s,
            "rows_per_s": rows / floor_s,
            "organisations_per_s": organisations / floor_s,
            "rounds_s": floors,
        },
        "import_to_copy": ratio(rows / first_s, rows / copy_s),
        "floor_to_copy": ratio(rows / floor_s, rows / copy_s),
        "import_to_floor": ratio(rows / first_s, rows / floor_s),
        "reimport_to_copy": ratio(rows / again_s, rows / copy_s),
        "warnings_total": first["warnings_total"],
    }


def render(report: dict[str, Any]) -> str:
    title = (
        f"CORDIS import: {report['rows']:,} rows of {report['organisations']:,} organisations "
        f"({report['file_bytes'] / 1e6:.1f} MB), streamed to the registry process"
    )
    text = copy_table(
        title,
        report["copy"],
        [
            ("import, empty registry (every organisation registered + event)", report["import"]),
            ("import again (every organisation unchanged, no writes)", report["reimport"]),
        ],
    )
    floor = design_floor.floor_line(
        "the file's organisations into the registry's actors and outbox, best of rounds",
        report["floor"]["rows_per_s"],
        "rows",
        [
            ("floor/COPY", report["floor_to_copy"]),
            ("first import/floor", report["import_to_floor"]),
        ],
    )
    cpu = (
        f"registry process CPU: {report['import']['registry_cpu_s']:.2f} s during the first "
        f"import, {report['import']['with_relay_cpu_s']:.2f} s until the relay had published "
        f"every event; {report['reimport']['registry_cpu_s']:.2f} s for the file again"
    )
    return text + "\n" + floor + "\n" + cpu
