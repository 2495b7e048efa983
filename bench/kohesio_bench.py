# ruff: noqa: RUF001 -- Cyrillic names are the bench's data
"""Benchmark: a Kohesio beneficiary file loaded end to end (the loader of
``synergia-funding-load-kohesio``) against a plain COPY of the same rows.

A synthetic export shaped like Kohesio's (default 20,000 lines, tab-separated):
Bulgarian, Romanian and Slovenian beneficiaries, the country as a name or a code, the
region as a name in words (English with "Province", Cyrillic, Romanian counties and
NUTS 2 regions, Slovenian statistical regions); Bulgarian names mostly in Cyrillic, half
of them with a Transliterated Name; a few names with a stray ``"``; a third of the
amounts in scientific notation (``4.729375062E7``); one line in five a beneficiary
already listed, in another region; a few lines with no EU contribution or no amounts,
and a few with a region no NUTS list knows (refused, as in real files).

It is loaded as an administrator (one file, three countries) into a registry and a
funding process holding none of it, which share the broker: every organisation
registered through ``POST /v1/actors:batch-register`` (5,000 a request, events in the
outbox), every commitment, EU contribution and national co-financing, through
``POST /v1/authority-events:batch`` (1,000 a request) while the next chunk registers.
The time runs from reading the file until funding's ledger holds every commitment and
knows every beneficiary, and both outboxes are drained (the registrations' and the
ledger's events published). Then the same file again: everything matched and replayed,
nothing written. A small file of other beneficiaries goes first, so that loading the
NUTS and name lists (once per process) is not timed.

The baseline is PostgreSQL's COPY of the same file into a scratch table of its seven
columns in the same database server: no parsing, matching, rules or events.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from synergia_devstack.ports import free_port
from synergia_funding.kohesio.cli import poster
from synergia_funding.kohesio.loader import (
    AuthorityEventsOverHttp,
    BulkRegistrationOverHttp,
    KohesioLoadReport,
    load_kohesio,
)
from synergia_funding.kohesio.mapping import KohesioPlan, map_kohesio
from synergia_funding.kohesio.params import KohesioImportParams
from synergia_funding.kohesio.parser import COLUMNS, parse_kohesio
from synergia_funding.ledger.entries import EsifFund, Source

from bench.processes import AppProcess, running
from bench.stack import BenchStack, bearer, dsn
from bench.stats import copy_table, ratio

LINES = 20_000
AIM = 0.05  # of COPY's rows/s
SCRATCH = "bench_kohesio_copy"
PARAMS = KohesioImportParams(
    fund=EsifFund.ERDF,
    committed_on=dt.date(2021, 12, 31),
    cofinancing_source=Source.NATIONAL,
)
UNKNOWN_REGION = "Veliko Turnovo Province"  # a near miss: refused, "did you mean BG321"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Country:
    names: tuple[str, ...]  # how the Country cell writes it
    regions: tuple[str, ...]
    share: float


COUNTRIES = {
    "BG": Country(
        ("Bulgaria", "BG"),
        (
            *("Blagoevgrad Province", "Бургас", "Varna", "Пловдив", "Sofia"),
            *("София (столица)", "Ruse Province", "Стара Загора", "Pleven", "Сливен"),
            *("Haskovo", "Смолян", "Vidin", "Габрово", "Kardzhali", "Шумен", "Yambol"),
            *("Добрич", "Lovech", "Кюстендил", "Pazardzhik", "Търговище", "Montana"),
            *("Враца", "Pernik", "Силистра", "Razgrad"),
        ),
        0.45,
    ),
    "RO": Country(
        ("Romania", "RO"),
        (
            *("Dolj", "Cluj", "Timiș", "Iași", "Constanța", "Brașov", "Bihor", "Prahova"),
            *("Argeș", "Bacău", "Suceava", "Mureș", "Sibiu", "Galați", "Olt", "Vâlcea"),
            *("Sud-Vest Oltenia", "Nord-Vest", "Centru", "Sud-Est"),
        ),
        0.40,
    ),
    "SI": Country(
        ("Slovenia", "SI"),
        (
            *("Osrednjeslovenska", "Podravska", "Savinjska", "Gorenjska", "Goriška"),
            *("Obalno-kraška", "Pomurska", "Koroška", "Jugovzhodna Slovenija", "Zasavska"),
            *("Posavska", "Primorsko-notranjska"),
        ),
        0.15,
    ),
}
# Bulgarian words in Cyrillic with their transliteration, and the legal forms.
BG_WORDS = (
    ("Агро", "Agro"),
    ("Струма", "Struma"),
    ("Строй", "Stroy"),
    ("Техно", "Tehno"),
    ("Еко", "Eko"),
    ("Балкан", "Balkan"),
    ("Родопи", "Rodopi"),
    ("Дунав", "Dunav"),
)
BG_FORMS = (("ЕООД", "EOOD"), ("ООД", "OOD"), ("АД", "AD"), ("ЕАД", "EAD"))
RO_NAMES = ("{w} {n} S.R.L.", "Primăria Comunei {w} {n}", "Asociația {w} {n}", "{w} {n} S.A.")
RO_WORDS = ("Carpați", "Dunărea", "Olteni", "Moldova", "Transilvania", "Bârsa", "Mureșul")
SI_NAMES = ("{w} {n} d.o.o.", "Občina {w} {n}", "Zavod {w} {n}", "{w} {n} d.d.")
SI_WORDS = ("Triglav", "Sava", "Drava", "Krka", "Pohorje", "Kras", "Soča")


@dataclass
class _Organisation:
    country: str
    name: str
    transliterated: str
    regions: set[str]


def _name(rng: random.Random, country: str, n: int) -> tuple[str, str]:
    """A new organisation's name and its Transliterated Name (maybe empty)."""
    if country == "BG":
        (word, latin), (form, latin_form) = rng.choice(BG_WORDS), rng.choice(BG_FORMS)
        if n % 5 == 0:
            return f"Община {word} {n}", f"Obshtina {latin} {n}"
        if n % 3 == 0:
            return f"{latin} {n} {latin_form}", ""
        return f"{word} {n} {form}", (f"{latin} {n} {latin_form}" if n % 2 else "")
    if country == "RO":
        return rng.choice(RO_NAMES).format(w=rng.choice(RO_WORDS), n=n), ""
    return rng.choice(SI_NAMES).format(w=rng.choice(SI_WORDS), n=n), ""


def _scientific(amount: Decimal) -> str:
    """``47293750.62`` as a float exporter writes it: ``4.729375062E7``."""
    mantissa, exponent = f"{amount:.9E}".split("E")
    return f"{mantissa.rstrip('0').rstrip('.')}E{int(exponent)}"


def _amounts(rng: random.Random, n: int) -> tuple[str, str]:
    if n % 100 == 7:
        return "", ""
    total = (Decimal(rng.randint(10_000_00, 50_000_000_00)) * CENT).quantize(CENT)
    if n % 50 == 3:
        return f"{total}", ""
    rate = Decimal(rng.choice((85, 80, 75, 50))) / 100
    eu = (total * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    if n % 3 == 0:
        return _scientific(total), _scientific(eu)
    return f"{total}", f"{eu}"


def kohesio_lines(rng: random.Random, count: int, *, first: int = 0) -> list[str]:
    """The file: a header and ``count`` lines; organisations numbered from ``first``."""
    lines = ["\t".join(COLUMNS)]
    known: dict[str, list[_Organisation]] = {code: [] for code in COUNTRIES}
    codes, weights = list(COUNTRIES), [c.share for c in COUNTRIES.values()]
    for n in range(first, first + count):
        code = rng.choices(codes, weights)[0]
        country = COUNTRIES[code]
        organisation = None
        if known[code] and rng.random() < 0.2:
            candidate = rng.choice(known[code])
            if len(candidate.regions) < len(country.regions):
                organisation = candidate
        if organisation is None:
            name, latin = _name(rng, code, n)
            if n % 33 == 0:
                name = '"' + name  # the stray quote of real exports
            organisation = _Organisation(code, name, latin, set())
            known[code].append(organisation)
        region = rng.choice([r for r in country.regions if r not in organisation.regions])
        organisation.regions.add(region)
        if n % 1000 == 999:
            region = UNKNOWN_REGION if code == "BG" else "Nowhere County"
        total, eu = _amounts(rng, n)
        projects = str(rng.randint(1, 30)) if n % 10 else f"{rng.randint(1, 30)}.0"
        cells = (
            rng.choice(country.names),
            region,
            organisation.name,
            total,
            eu,
            projects,
            organisation.transliterated,
        )
        lines.append("\t".join(cells))
    return lines


def write_file(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def copy_seconds(database_url: str, path: Path) -> float:
    """COPY the file into a fresh scratch table (seven text columns); the time taken."""
    conn = await asyncpg.connect(dsn(database_url))
    try:
        await conn.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        columns = ", ".join(f'"{name}" text' for name in COLUMNS)
        await conn.execute(f"CREATE TABLE {SCRATCH} ({columns})")
        started = time.perf_counter()
        # CSV with a quote character no cell holds: names carry stray '"', as in Kohesio.
        await conn.copy_to_table(
            SCRATCH,
            source=path,
            format="csv",
            delimiter="\t",
            quote="\x01",
            header=True,
            encoding="UTF8",
        )
        seconds = time.perf_counter() - started
        await conn.execute(f"DROP TABLE {SCRATCH}")
        return seconds
    finally:
        await conn.close()


async def _count(database_url: str, sql: str) -> int:
    conn = await asyncpg.connect(dsn(database_url))
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def settled(
    registry_db: str, funding_db: str, entries: int, actors: int, timeout: float = 600.0
) -> None:
    """Until funding's ledger holds ``entries`` entries and knows ``actors`` beneficiaries,
    and neither outbox has an event left to publish."""
    checks = (
        (funding_db, "SELECT count(*) FROM ledger_entries", entries),
        (funding_db, "SELECT count(*) FROM beneficiaries", actors),
        (registry_db, "SELECT count(*) FROM outbox WHERE sent_at IS NULL", 0),
        (funding_db, "SELECT count(*) FROM outbox WHERE sent_at IS NULL", 0),
    )
    deadline = time.monotonic() + timeout
    for database, sql, wanted in checks:
        while (got := await _count(database, sql)) != wanted:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{sql}: {got}, expected {wanted}")
            await asyncio.sleep(0.05)


async def load(
    text: str, registry_url: str, funding_url: str
) -> tuple[KohesioPlan, KohesioLoadReport, float]:
    """Read, map and load the file as the command does; the plan, the report and the
    seconds spent reading and mapping."""
    started = time.perf_counter()
    plan = map_kohesio(parse_kohesio(text), PARAMS)
    mapped = time.perf_counter() - started
    timeout = httpx.Timeout(600.0, connect=10.0)
    headers = bearer("admin")
    async with (
        httpx.AsyncClient(base_url=registry_url, headers=headers, timeout=timeout) as registry,
        httpx.AsyncClient(base_url=funding_url, headers=headers, timeout=timeout) as funding,
    ):
        report = await load_kohesio(
            plan,
            PARAMS,
            BulkRegistrationOverHttp(poster(registry)),
            AuthorityEventsOverHttp(poster(funding)),
        )
    return plan, report, mapped


def _check_first(plan: KohesioPlan, report: KohesioLoadReport) -> None:
    problems = [line for line in report.refused if line.registration is not None]
    registered = report.beneficiaries("registered")
    if problems or registered != len(plan.beneficiaries):
        raise RuntimeError(
            f"unexpected first load: {registered} of {len(plan.beneficiaries)} registered; "
            + "; ".join(f"line {p.line}: {p.problem}" for p in problems[:3])
        )


async def run(
    stack: BenchStack, log_dir: Path, *, lines: int = LINES, copy_rounds: int = 3
) -> dict[str, Any]:
    path, warmup = log_dir / "kohesio.tsv", log_dir / "kohesio-warmup.tsv"
    write_file(path, kohesio_lines(random.Random(2021), lines))
    write_file(warmup, kohesio_lines(random.Random(7), 100, first=10_000_000))
    registry_db = await stack.fresh_database("registry", "kohesio")
    funding_db = await stack.fresh_database("funding", "kohesio")
    prefix = await stack.topics("kohesio")
    registry = AppProcess(
        "registry",
        free_port(),
        stack.service_env("registry", registry_db, prefix),
        log_path=log_dir / "kohesio-registry.log",
    )
    funding = AppProcess(
        "funding",
        free_port(),
        stack.service_env("funding", funding_db, prefix),
        log_path=log_dir / "kohesio-funding.log",
    )
    async with running(registry, funding):
        copies = [await copy_seconds(funding_db, path) for _ in range(copy_rounds)]
        _, warm, _ = await load(warmup.read_text(), registry.base_url, funding.base_url)
        before = (
            len(warm.commitments),
            warm.beneficiaries("registered"),
        )
        await settled(registry_db, funding_db, *before)
        cpu_before = (registry.cpu_seconds(), funding.cpu_seconds(), time.process_time())

        started = time.perf_counter()
        plan, first, mapped_s = await load(path.read_text(), registry.base_url, funding.base_url)
        answered_s = time.perf_counter() - started
        _check_first(plan, first)
        await settled(
            registry_db,
            funding_db,
            before[0] + len(plan.commitments),
            before[1] + len(plan.beneficiaries),
        )
        first_s = time.perf_counter() - started
        cpu_after = (registry.cpu_seconds(), funding.cpu_seconds(), time.process_time())
        print(f"  first load: {lines / first_s:,.0f} lines/s", flush=True)

        started = time.perf_counter()
        _, again, _ = await load(path.read_text(), registry.base_url, funding.base_url)
        again_s = time.perf_counter() - started
        if again.beneficiaries("registered") or again.replayed != len(plan.commitments):
            raise RuntimeError(
                f"the second load was not all replays: {again.beneficiaries('registered')} "
                f"registered, {again.replayed} of {len(plan.commitments)} replayed"
            )
    copy_s = min(copies)
    cpu = [after - before for after, before in zip(cpu_after, cpu_before, strict=True)]
    return {
        "lines": lines,
        "organisations": len(plan.beneficiaries),
        "commitments": len(plan.commitments),
        "refused_lines": len(first.refused),
        "parked": first.recorded("parked"),
        "file_bytes": path.stat().st_size,
        "copy": {"seconds": copy_s, "rows_per_s": lines / copy_s, "rounds_s": copies},
        "load": {
            "seconds": first_s,
            "rows_per_s": lines / first_s,
            "read_and_map_s": mapped_s,
            "answered_s": answered_s,
            "settled_after_s": first_s - answered_s,
            "cpu_s": {"registry": cpu[0], "funding": cpu[1], "loader": cpu[2]},
        },
        "again": {"seconds": again_s, "rows_per_s": lines / again_s},
        "load_to_copy": ratio(lines / first_s, lines / copy_s),
        "again_to_copy": ratio(lines / again_s, lines / copy_s),
        "aim": AIM,
    }


def render(report: dict[str, Any]) -> str:
    load, cpu = report["load"], report["load"]["cpu_s"]
    title = (
        f"Kohesio load: {report['lines']:,} lines ({report['organisations']:,} organisations, "
        f"{report['commitments']:,} commitments, {report['refused_lines']} lines refused, "
        f"{report['parked']:,} parked) through the registry and funding processes; "
        f"read+map {load['read_and_map_s']:.1f} s, last answer at "
        f"{load['answered_s']:.1f} s, settled {load['settled_after_s']:.1f} "
        f"s later; CPU s: registry {cpu['registry']:.1f}, funding {cpu['funding']:.1f}, "
        f"loader {cpu['loader']:.1f}"
    )
    answered = {
        "rows_per_s": report["lines"] / load["answered_s"],
        "seconds": load["answered_s"],
    }
    return copy_table(
        title,
        report["copy"],
        [
            (
                "load: every beneficiary registered, every commitment in the ledger, events out",
                load,
            ),
            ("  of which: until the services answered the last request", answered),
            ("the same file again (all matched and replayed, nothing written)", report["again"]),
        ],
        baseline="COPY into a scratch table (same server), best of rounds",
    )
