"""Benchmark: the ESIF planned-finances import (POST
/v1/funding-sources/esif-programmes:import) against a plain COPY of the same rows.

A synthetic export with the official header and about 7,500 rows, shaped like the real
one: about 530 programmes, rural development programmes broken down by measure and focus
area (the bulk of the rows), cohesion programmes of every CCI kind (single-fund,
multi-fund MA/M2, TA, SME Initiative), EMFF lines with no priority, Interreg programmes
with no Member State and a few IPA rows among them (refused, as in the real file).
Amounts in whole euros or with cents, EU + national = total, the stated rate EU / total
as a percentage with two decimals. It is streamed to a real funding process holding no
programme: every programme created and every line inserted. Then the same file again,
when nothing changes, and a newer version of every programme (one line fewer each: the
plan replaced, lines retired).

The baseline is PostgreSQL's COPY of the same file into a scratch table of 19 text
columns in the same database: the floor for moving these rows into that server, with no
parsing, validation, merging or plan bookkeeping. Each round runs the COPY and then the
three imports from an empty table; each side's best round is reported, so both are
measured alike.
"""

from __future__ import annotations

import asyncio
import csv
import random
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from synergia_devstack.ports import free_port

from bench.processes import AppProcess, running
from bench.stack import BenchStack, bearer, dsn
from bench.stats import copy_table, ratio

ROWS = 7_500
CHUNK = 64 * 1024
SCRATCH = "bench_esif_copy"
URL = "/v1/funding-sources/esif-programmes:import"
HEADER = (
    "MS",
    "MS Name",
    "CCI",
    "Ver",
    "Programme Title",
    "Fund",
    "Priority",
    "TO_code",
    "To short",
    "TO long",
    "Category of region",
    "EAFRD Measure code",
    "Measure short description",
    "EAFRD Focus Area code",
    "Focus area short description",
    "EU Amount",
    "National Amount",
    "Total Amount",
    "EU co-financing",
)
# The Member States of 2014-2020 as CCIs write them (GR, UK).
COUNTRIES = (
    *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"),
    *("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "UK"),
)
CATEGORIES = ("Less developed", "Transition", "More developed")
# Each EAFRD priority with its focus areas, and the measures programmes use for them.
FOCUS_AREAS = {
    "P1": ("1A", "1B", "1C"),
    "P2": ("2A", "2B"),
    "P3": ("3A", "3B"),
    "P4": ("4A", "4B", "4C"),
    "P5": ("5A", "5B", "5C", "5D", "5E"),
    "P6": ("6A", "6B", "6C"),
}
MEASURES = ("M01", "M02", "M04", "M06", "M07", "M08", "M10", "M11", "M13", "M16", "M19")
THEMATIC = (*(f"{n:02d}" for n in range(1, 12)), "TA")

Row = list[str]


def _amounts(rng: random.Random, rate: Decimal, *, cents: bool) -> tuple[str, str, str, str]:
    """EU, national, total and the stated rate (a percentage, two decimals)."""
    total = Decimal(rng.randint(100_000, 400_000_000))
    if cents:
        total += Decimal(rng.randint(0, 99)) / 100
    eu = (total * rate).quantize(Decimal("0.01"))
    national = total - eu
    stated = (eu / total * 100).quantize(Decimal("0.01"))
    return f"{eu:f}", f"{national:f}", f"{total:f}", f"{stated:f}"


def _row(
    ms: str,
    cci: str,
    title: str,
    fund: str,
    priority: str,
    to: str,
    category: str,
    measure: str,
    focus: str,
    money: tuple[str, str, str, str],
    ver: int,
) -> Row:
    eu, national, total, stated = money
    return [
        ms,
        f"Country {ms}",
        cci,
        str(ver),
        title,
        fund,
        priority,
        to,
        f"TO {to}",
        f"Thematic objective {to}",
        category,
        measure,
        f"Measure {measure}" if measure else "",
        focus,
        f"Focus area {focus}" if focus else "",
        eu,
        national,
        total,
        stated,
    ]


def programmes(rng: random.Random, rows: int, ver: int = 1) -> list[list[Row]]:
    """Programmes and their rows, about ``rows`` in all."""
    found: list[list[Row]] = []
    sequence: dict[str, int] = {}
    count = 0

    def cci(country: str, dg: str, fund: str, kind: str, year: int = 2014) -> str:
        key = f"{year}{country}{dg}{fund}{kind}"
        sequence[key] = sequence.get(key, 0) + 1
        return f"{key}{sequence[key]:03d}"

    while count < rows:
        country = rng.choice(COUNTRIES)
        pick = rng.random()
        lines: list[Row] = []
        if pick < 0.22:  # a rural development programme, by measure and focus area
            code = cci(country, "06", "RD", rng.choice(("RP", "RP", "NP", "RN")))
            category = rng.choice(CATEGORIES)
            # Within the EAFRD ceiling of the category, as almost every real line is.
            ceiling = {"Less developed": "0.85", "Transition": "0.63"}.get(category, "0.53")
            rate = min(Decimal(rng.choice(("0.43", "0.53", "0.63", "0.85"))), Decimal(ceiling))
            for priority, areas in FOCUS_AREAS.items():
                for area in areas:
                    for measure in rng.sample(MEASURES, 2):
                        lines.append(
                            _row(
                                country,
                                code,
                                f"RDP {code}",
                                "EAFRD",
                                priority,
                                "",
                                category,
                                measure,
                                area,
                                _amounts(rng, rate, cents=False),
                                ver,
                            )
                        )
            lines.append(
                _row(
                    country,
                    code,
                    f"RDP {code}",
                    "EAFRD",
                    "",
                    "",
                    category,
                    "M20",
                    "",
                    _amounts(rng, rate, cents=False),
                    ver,
                )
            )
        elif pick < 0.3:  # EMFF: no priority
            code = cci(country, "14", "MF", "OP")
            for to in ("03", "04", "06", "08", "TA"):
                lines.append(
                    _row(
                        country,
                        code,
                        f"EMFF {code}",
                        "EMFF",
                        "",
                        to,
                        "VOID",
                        "",
                        "",
                        _amounts(rng, Decimal("0.75"), cents=True),
                        ver,
                    )
                )
        elif pick < 0.45:  # Interreg: no Member State, a few IPA rows
            code = cci("TC", "16", rng.choice(("RF", "M4")), rng.choice(("CB", "TN", "IR")))
            for axis in range(1, 5):
                lines.append(
                    _row(
                        rng.choice(("TC", "")),
                        code,
                        f"Interreg {code}",
                        "ERDF",
                        str(axis),
                        rng.choice(THEMATIC),
                        "",
                        "",
                        "",
                        _amounts(rng, Decimal("0.85"), cents=True),
                        ver,
                    )
                )
            if code[8:10] == "M4":
                lines.append(
                    _row(
                        "TC",
                        code,
                        f"Interreg {code}",
                        "IPA",
                        "1",
                        "01",
                        "",
                        "",
                        "",
                        _amounts(rng, Decimal("0.85"), cents=True),
                        ver,
                    )
                )
        else:  # cohesion policy: single-fund, multi-fund, TA, SME Initiative
            fund_code, kind, dg = rng.choice(
                (
                    ("RF", "OP", "16"),
                    ("SF", "OP", "05"),
                    ("CF", "OP", "16"),
                    ("MA", "OP", "16"),
                    ("M2", "OP", "16"),
                    ("CF", "TA", "16"),
                    ("RF", "SM", "16"),
                )
            )
            year = rng.choice((2014, 2015, 2016)) if kind == "SM" else 2014
            code = cci(country, dg, fund_code, kind, year)
            funds = {"RF": ("ERDF",), "SF": ("ESF",), "CF": ("CF",)}.get(
                fund_code, ("ERDF", "ESF", "CF")
            )
            for axis in range(1, rng.randint(4, 12)):
                fund = rng.choice(funds)
                category = "" if fund == "CF" else rng.choice(CATEGORIES)
                rate = Decimal("0.85") if category in ("", "Less developed") else Decimal("0.5")
                lines.append(
                    _row(
                        country,
                        code,
                        f"OP {code}",
                        fund,
                        str(axis),
                        rng.choice(THEMATIC),
                        category,
                        "",
                        "",
                        _amounts(rng, rate, cents=True),
                        ver,
                    )
                )
        found.append(lines)
        count += len(lines)
    return found


def write_file(path: Path, plans: list[list[Row]], *, drop_last: bool = False) -> int:
    """The export: every programme's rows (without its last line if ``drop_last``)."""
    written = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        for lines in plans:
            kept = lines[:-1] if drop_last and len(lines) > 1 else lines
            writer.writerows(kept)
            written += len(kept)
    return written


def newer(plans: list[list[Row]], ver: int) -> list[list[Row]]:
    return [[[*row[:3], str(ver), *row[4:]] for row in lines] for lines in plans]


async def copy_seconds(database_url: str, path: Path) -> float:
    """COPY the file into a fresh scratch table (19 text columns); the time taken."""
    conn = await asyncpg.connect(dsn(database_url))
    try:
        await conn.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        columns = ", ".join(f'"{name}" text' for name in HEADER)
        await conn.execute(f"CREATE TABLE {SCRATCH} ({columns})")
        started = time.perf_counter()
        await conn.copy_to_table(SCRATCH, source=path, format="csv", header=True, encoding="UTF8")
        seconds = time.perf_counter() - started
        await conn.execute(f"DROP TABLE {SCRATCH}")
        return seconds
    finally:
        await conn.close()


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


async def import_seconds(base_url: str, path: Path) -> tuple[float, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base_url, timeout=None) as client:
        started = time.perf_counter()
        response = await client.post(
            URL,
            content=_file_chunks(path),
            headers={**bearer("admin"), "Content-Type": "text/csv"},
        )
        seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"the import answered {response.status_code}: {response.text[:500]}")
    report: dict[str, Any] = response.json()
    return seconds, report


def _check(name: str, report: dict[str, Any], **expected: int) -> None:
    got = {key: report[key] for key in expected}
    if got != expected or report["rows"] != report["lines_loaded"] + report["rejected"]:
        raise RuntimeError(f"unexpected {name} report: {got}, {report['rejections'][:3]}")


async def run(
    stack: BenchStack, log_dir: Path, *, rows: int = ROWS, rounds: int = 3
) -> dict[str, Any]:
    rng = random.Random(2014)
    plans = programmes(rng, rows)
    sample, warmup, version_2 = (
        log_dir / "esif.csv",
        log_dir / "esif-warmup.csv",
        log_dir / "esif-v2.csv",
    )
    written = await asyncio.to_thread(write_file, sample, plans)
    await asyncio.to_thread(write_file, warmup, programmes(random.Random(1), 100))
    newer_rows = await asyncio.to_thread(write_file, version_2, newer(plans, 2), drop_last=True)
    ipa = sum(1 for lines in plans for row in lines if row[5] == "IPA")
    database_url = await stack.fresh_database("funding", "esif")
    prefix = await stack.topics("esif")
    funding = AppProcess(
        "funding",
        free_port(),
        stack.service_env("funding", database_url, prefix),
        log_path=log_dir / "esif-funding.log",
    )
    async with running(funding):
        # Other programmes (their CCIs collide: they come first and are replaced below).
        await import_seconds(funding.base_url, warmup)
        copies: list[float] = []
        firsts: list[float] = []
        agains: list[float] = []
        newers: list[float] = []
        # Both sides measured alike: each round a COPY, then the three imports from an
        # empty table, best of the rounds for each (a shared machine's noise only slows).
        for _ in range(rounds):
            copies.append(await copy_seconds(database_url, sample))
            conn = await asyncpg.connect(dsn(database_url))
            try:
                await conn.execute("DELETE FROM funding_sources")
            finally:
                await conn.close()
            first_s, first = await import_seconds(funding.base_url, sample)
            print(f"  first import: {written / first_s:,.0f} rows/s", flush=True)
            _check("first", first, lines_created=written - ipa, rejected=ipa)
            again_s, again = await import_seconds(funding.base_url, sample)
            _check("second", again, lines_unchanged=written - ipa, lines_created=0, lines_updated=0)
            newer_s, replaced = await import_seconds(funding.base_url, version_2)
            _check("newer-version", replaced, programmes_new_version=len(plans))
            firsts.append(first_s)
            agains.append(again_s)
            newers.append(newer_s)
    copy_s, first_s, again_s, newer_s = min(copies), min(firsts), min(agains), min(newers)
    return {
        "rows": written,
        "programmes": len(plans),
        "refused_ipa_rows": ipa,
        "file_bytes": sample.stat().st_size,
        "copy": {"seconds": copy_s, "rows_per_s": written / copy_s, "rounds_s": copies},
        "import": {"seconds": first_s, "rows_per_s": written / first_s, "rounds_s": firsts},
        "reimport": {"seconds": again_s, "rows_per_s": written / again_s, "rounds_s": agains},
        "newer_version": {
            "seconds": newer_s,
            "rows_per_s": newer_rows / newer_s,
            "lines_retired": replaced["lines_retired"],
        },
        "import_to_copy": ratio(written / first_s, written / copy_s),
        "reimport_to_copy": ratio(written / again_s, written / copy_s),
        "newer_version_to_copy": ratio(newer_rows / newer_s, written / copy_s),
    }


def render(report: dict[str, Any]) -> str:
    title = (
        f"ESIF planned-finances import: {report['rows']:,} rows of {report['programmes']:,} "
        f"programmes ({report['file_bytes'] / 1e6:.1f} MB, {report['refused_ipa_rows']} IPA "
        "rows refused), streamed to the funding process"
    )
    retired = report["newer_version"]["lines_retired"]
    return copy_table(
        title,
        report["copy"],
        [
            (
                "import, no programme held (every programme and line created), best of rounds",
                report["import"],
            ),
            ("import again (every line unchanged, no writes)", report["reimport"]),
            (
                f"a newer version of every programme ({retired} lines retired)",
                report["newer_version"],
            ),
        ],
    )
