"""Benchmark: authority events ingested per second, exactly once, through the HTTP batch
endpoint and through the Kafka topic, against a raw asyncpg insert of the same rows.

A world of ``beneficiaries`` SMEs, each with a de minimis ERDF commitment, two payments
of it and, for one in ten, a correction (a reversal of the second payment): the items a
regional authority pushes. They are sent in batches of ``batch`` items (payments in a
batch before their commitment in one of eight batches, so parking is exercised), from
``clients`` concurrent clients, to the real funding process (one uvicorn worker; its relay
publishes the ledger events meanwhile, as in production). Every item goes through
validation, the region check, the rules (each against its single undertaking's entries)
and lands with its ``funding.ledger`` event in the outbox.

Then the same batches again: the exactly-once check (nothing new may be recorded) and
the rate of answering replays. Then the same items as messages on
``funding.authority-inbound`` to a second, fresh funding process: events/s from the first
message sent until the last entry is recorded, after a warm-up message recorded in full
(as the HTTP path has its warm-up batches: the consumer has joined its group by then).

The baseline inserts the same ledger rows with asyncpg (``executemany`` of the same
INSERT, one transaction per batch, as many concurrent connections as clients) into a
fresh copy of the schema: the floor for writing these rows, with no parsing, rules or
events.

A second reference, the floor of the design (``bench.design_floor``), stores each item
where the funding service keeps it, in SQL alone, in another fresh database: the entries
COPYed into a scratch table, then their claims (``ledger_entry_ids``), the entries
themselves, the net of each original entry (its reversals subtracted) and one
``*.recorded`` event each into the outbox, in one transaction. What separates the
service from it is its own work: HTTP or Kafka, validation, the rules, the reads they
need, building the events, and the relay publishing them from the same process.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from sqlalchemy.dialects import postgresql
from synergia_devstack.ports import free_port
from synergia_funding.authority import intake
from synergia_funding.authority.schemas import AuthorityEventIn
from synergia_funding.ledger import codec
from synergia_funding.ledger.models import ledger_entries
from synergia_shared.events.funding import AuthorityEventsSubmittedV1
from synergia_shared.events.topics import FUNDING_AUTHORITY_INBOUND, FUNDING_LEDGER
from synergia_shared.http.auth import authority_sender
from synergia_shared.messaging.outbox import build_event

from bench import design_floor
from bench.loadgen import RawConnection
from bench.processes import AppProcess, running
from bench.stack import BenchStack, dsn
from bench.stats import ratio, table

BENEFICIARIES = 4_000
BATCH = 500
CLIENTS = 4
AIM_EVENTS_PER_SECOND = 5_000
KEY = "bench-authority-key"
AUTHORITY = "bench-lombardia"
REGIONS = ("ITC4C", "ITC46", "ITC41", "ITC4B")


def api_keys() -> str:
    return json.dumps(
        [
            {
                "name": AUTHORITY,
                "sha256": hashlib.sha256(KEY.encode()).hexdigest(),
                "roles": ["authority"],
                "region": "ITC4",
            }
        ]
    )


def sme_id(n: int) -> uuid.UUID:
    """The world's SME ``n``: spread like the registry's UUIDv4 ids. ``UUID(int=n)``
    shares its first 32 bits with every other, and the ledger's lock key is those bits:
    every batch took the one lock and waited for the others, which real ids never do."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://bench.synergia.example/sme/{n}")


def world(beneficiaries: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for n in range(beneficiaries):
        sme = str(sme_id(n))
        region = REGIONS[n % len(REGIONS)]
        base = {
            "beneficiary_id": sme,
            "source": "esif",
            "fund": "ERDF",
            "instrument_id": "2014IT16RFOP012",
            "region_nuts": region,
        }
        commitment = {
            **base,
            "external_id": f"C-{n}",
            "kind": "commitment",
            "amount": f"{20_000 + n % 50_000}.00",
            "date": "2024-03-01",
            "is_de_minimis": True,
        }
        payments = [
            {
                **base,
                "external_id": f"P-{n}-{k}",
                "kind": "disbursement",
                "amount": "5000.00",
                "date": f"2024-0{4 + k}-01",
                "commitment_external_id": f"C-{n}",
            }
            for k in range(2)
        ]
        group: list[dict[str, Any]] = (
            [*payments, commitment] if n % 8 == 0 else [commitment, *payments]
        )
        if n % 10 == 0:
            group.append(
                {**payments[1], "external_id": f"R-{n}", "reverses_external_id": f"P-{n}-1"}
            )
        items.extend(group)
    return items


def batches(items: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


async def _post_all(
    base_url: str, chunks: list[list[dict[str, Any]]], clients: int
) -> tuple[float, list[dict[str, Any]]]:
    queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    for chunk in chunks:
        queue.put_nowait(chunk)
    answers: list[dict[str, Any]] = []

    async def worker() -> None:
        conn = RawConnection(base_url, {"X-API-Key": KEY})
        try:
            while not queue.empty():
                chunk = queue.get_nowait()
                status, body = await conn.request(
                    "POST", "/v1/authority-events:batch", {"items": chunk}
                )
                if status != 200:
                    raise RuntimeError(f"batch answered {status}: {body[:300]!r}")
                answers.append(json.loads(body))
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return time.perf_counter() - started, answers


def _renamed(item: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The same item under other external ids (its references renamed alike)."""
    refs = ("external_id", "commitment_external_id", "reverses_external_id")
    return {k: f"{prefix}{v}" if k in refs else v for k, v in item.items()}


async def _known(database_url: str, beneficiaries: int) -> None:
    """The world's beneficiaries as the registry's events would have projected them:
    funding applies money only for actors it knows (else it waits for them)."""
    conn = await asyncpg.connect(dsn(database_url))
    try:
        await conn.copy_records_to_table(
            "beneficiaries",
            columns=["actor_id", "legal_name", "kind", "country", "registered_at"],
            records=[
                (sme_id(n), f"SME {n}", "sme", "IT", datetime.now(UTC))
                for n in range(beneficiaries)
            ],
        )
    finally:
        await conn.close()


async def _count(database_url: str) -> tuple[int, int]:
    """Entries recorded, and entries still waiting in the parking."""
    conn = await asyncpg.connect(dsn(database_url))
    try:
        entries = await conn.fetchval("SELECT count(*) FROM ledger_entries")
        parked = await conn.fetchval("SELECT count(*) FROM parked_entries WHERE state = 'waiting'")
        return int(entries), int(parked)
    finally:
        await conn.close()


async def _parked_sample(database_url: str) -> list[str]:
    conn = await asyncpg.connect(dsn(database_url))
    try:
        rows = await conn.fetch(
            "SELECT external_id, state, reason, problem FROM parked_entries LIMIT 5"
        )
        return [f"{r['external_id']} {r['state']}: {r['reason']} {r['problem']}" for r in rows]
    finally:
        await conn.close()


def _rows(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The ledger rows the service writes for these items (for the raw baseline)."""
    authority = intake.Authority(authority_sender("ITC4"), "ITC4")
    rows = []
    for raw in items:
        entry = intake.to_entry(authority, AuthorityEventIn.model_validate(raw))
        row = codec.to_row(entry)
        rows.append(tuple(row[name] for name in codec.ENTRY_FIELDS))
    return rows


async def _raw_insert(database_url: str, items: list[dict[str, Any]], clients: int) -> float:
    rows = _rows(items)
    columns = ", ".join(codec.ENTRY_FIELDS)
    params = ", ".join(f"${i}" for i in range(1, len(codec.ENTRY_FIELDS) + 1))
    sql = f"INSERT INTO ledger_entries ({columns}) VALUES ({params})"
    chunks = [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]
    pool = await asyncpg.create_pool(dsn(database_url), min_size=clients, max_size=clients)
    queue: asyncio.Queue[list[tuple[Any, ...]]] = asyncio.Queue()
    for chunk in chunks:
        queue.put_nowait(chunk)

    async def worker() -> None:
        async with pool.acquire() as conn:
            while not queue.empty():
                chunk = queue.get_nowait()
                async with conn.transaction():
                    await conn.executemany(sql, chunk)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return time.perf_counter() - started
    finally:
        await pool.close()


FLOOR_SCRATCH = "bench_authority_entries"
_NET_KEYS = (
    "entry_id, kind, beneficiary_id, project_id, source, fund, private_timing, "
    "instrument_id, region_nuts, amount"
)
# Each item as the ledger stores it, with no service code: its claim, the entry, the net
# of each original (what its reversals took off) and its ``*.recorded`` event.
_FLOOR_STATEMENTS = (
    # Without statistics the nets' join is planned as a nested loop over all the rows.
    f"ANALYZE {FLOOR_SCRATCH}",
    f"INSERT INTO ledger_entry_ids (entry_id) SELECT entry_id FROM {FLOOR_SCRATCH}",
    f"""INSERT INTO ledger_entries ({", ".join(codec.ENTRY_FIELDS)}, flags)
    SELECT {", ".join(codec.ENTRY_FIELDS)}, '[]'::jsonb FROM {FLOOR_SCRATCH}""",
    f"""INSERT INTO ledger_nets ({_NET_KEYS}, net, reversed)
    SELECT {", ".join(f"o.{k.strip()}" for k in _NET_KEYS.split(","))},
        o.amount - coalesce(r.amount, 0), r.amount IS NOT NULL
    FROM {FLOOR_SCRATCH} AS o
    LEFT JOIN (SELECT reverses, sum(amount) AS amount FROM {FLOOR_SCRATCH}
               WHERE reverses IS NOT NULL GROUP BY reverses) AS r ON r.reverses = o.entry_id
    WHERE o.reverses IS NULL AND o.adjusts IS NULL""",
    design_floor.outbox_insert(
        f"{FLOOR_SCRATCH} AS s",
        aggregate_type="beneficiary",
        aggregate_id="s.beneficiary_id::text",
        event_type="eu.synergia.funding.commitment.recorded.v1",
        topic=FUNDING_LEDGER,
        event_source="/funding",
        data="row_to_json(s)",
    ),
)


async def _floor(database_url: str, items: list[dict[str, Any]]) -> float:
    """The design's floor: the items' rows where the funding service keeps them, SQL only."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    columns = [
        (name, ledger_entries.c[name].type.compile(dialect=dialect)) for name in codec.ENTRY_FIELDS
    ]
    return await design_floor.floor_seconds(
        database_url,
        scratch=FLOOR_SCRATCH,
        columns=columns,
        statements=_FLOOR_STATEMENTS,
        records=_rows(items),
    )


async def _via_kafka(
    stack: BenchStack, log_dir: Path, items: list[dict[str, Any]], expected: int
) -> float:
    database_url = await stack.fresh_database("funding", "authority_kafka")
    prefix = await stack.topics("authority_kafka")
    proc = AppProcess(
        "funding",
        free_port(),
        {**stack.service_env("funding", database_url, prefix), "FUNDING_API_KEYS": api_keys()},
        log_path=log_dir / "authority-kafka.log",
        label="funding (kafka)",
    )
    async with running(proc):
        await _known(database_url, len(items))
        producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, acks="all")
        await producer.start()
        topic = f"{prefix}{FUNDING_AUTHORITY_INBOUND}"

        async def send(chunks: list[list[dict[str, Any]]]) -> None:
            for chunk in chunks:
                event = build_event(
                    AuthorityEventsSubmittedV1(authority=AUTHORITY, items=chunk), subject=AUTHORITY
                )
                await producer.send(topic, event.to_bytes(), key=AUTHORITY.encode())
            await producer.flush()

        try:
            # Warm-up, as for HTTP: the consumer joins its group and pays its first-use
            # costs before the clock starts (other external ids).
            warm = [_renamed(item, "W") for item in world(200)]
            await send(batches(warm, BATCH))
            await _recorded(database_url, len(warm))
            started = time.perf_counter()
            await send(batches(items, BATCH))
        finally:
            await producer.stop()
        await _recorded(database_url, len(warm) + expected)
        return time.perf_counter() - started


async def _recorded(database_url: str, expected: int) -> None:
    deadline = time.monotonic() + 600
    while (await _count(database_url))[0] < expected:
        if time.monotonic() > deadline:
            raise TimeoutError("the Kafka items were not all recorded in 10 minutes")
        await asyncio.sleep(0.05)


async def run(
    stack: BenchStack,
    log_dir: Path,
    *,
    beneficiaries: int = BENEFICIARIES,
    clients: int = CLIENTS,
) -> dict[str, Any]:
    items = world(beneficiaries)
    expected = len(items)
    chunks = batches(items, BATCH)
    database_url = await stack.fresh_database("funding", "authority_http")
    prefix = await stack.topics("authority_http")
    proc = AppProcess(
        "funding",
        free_port(),
        {**stack.service_env("funding", database_url, prefix), "FUNDING_API_KEYS": api_keys()},
        log_path=log_dir / "authority-http.log",
        label="funding (http)",
    )
    async with running(proc):
        await _known(database_url, max(beneficiaries, 200))
        # Warm-up: other external ids, so the first timed batch pays no first-use costs.
        warm = [_renamed(item, "W") for item in world(200)]
        await _post_all(proc.base_url, batches(warm, BATCH), 1)
        before, _ = await _count(database_url)
        cpu_before = proc.cpu_seconds()
        http_seconds, answers = await _post_all(proc.base_url, chunks, clients)
        server_cpu = proc.cpu_seconds() - cpu_before
        after, parked = await _count(database_url)
        parked_sample = await _parked_sample(database_url)
        statuses: dict[str, int] = {}
        for answer in answers:
            for item in answer["items"]:
                statuses[item["status"]] = statuses.get(item["status"], 0) + 1
        replay_seconds, replays = await _post_all(proc.base_url, chunks, clients)
        again, _ = await _count(database_url)
        replayed = sum(item["replayed"] for a in replays for item in a["items"])

    kafka_seconds = await _via_kafka(stack, log_dir, items, expected)
    raw_url = await stack.fresh_database("funding", "authority_raw")
    raw_seconds = await _raw_insert(raw_url, items, clients)
    floor_seconds = await _floor(await stack.fresh_database("funding", "authority_floor"), items)

    http_rate = expected / http_seconds
    raw_rate = expected / raw_seconds
    kafka_rate = expected / kafka_seconds
    floor_rate = expected / floor_seconds
    return {
        "items": expected,
        "beneficiaries": beneficiaries,
        "batch": BATCH,
        "clients": clients,
        "http": {
            "seconds": http_seconds,
            "events_per_second": http_rate,
            "server_cpu_ms_per_event": 1000 * server_cpu / expected,
            "recorded": after - before,
            "left_parked": parked,
            "parked_sample": parked_sample,
            "statuses": statuses,
            "ratio_to_raw": ratio(http_rate, raw_rate),
            "meets_aim": http_rate >= AIM_EVENTS_PER_SECOND,
        },
        "http_replay": {
            "seconds": replay_seconds,
            "events_per_second": expected / replay_seconds,
            "replayed": replayed,
            "recorded_again": again - after,
        },
        "kafka": {
            "seconds": kafka_seconds,
            "events_per_second": kafka_rate,
            "ratio_to_raw": ratio(kafka_rate, raw_rate),
        },
        "raw_asyncpg": {"seconds": raw_seconds, "events_per_second": raw_rate},
        "floor": {
            "seconds": floor_seconds,
            "events_per_second": floor_rate,
            "ratio_to_raw": ratio(floor_rate, raw_rate),
            "http_to_floor": ratio(http_rate, floor_rate),
            "kafka_to_floor": ratio(kafka_rate, floor_rate),
        },
        "aim_events_per_second": AIM_EVENTS_PER_SECOND,
    }


def render(report: dict[str, Any]) -> str:
    http, replay, kafka, raw = (
        report["http"],
        report["http_replay"],
        report["kafka"],
        report["raw_asyncpg"],
    )
    rows: list[list[object]] = [
        [
            "HTTP batch (first time)",
            http["events_per_second"],
            f"{http['ratio_to_raw']:.2f}x",
            f"recorded {http['recorded']:,}, parked left {http['left_parked']}, "
            f"{http['server_cpu_ms_per_event']:.3f} ms CPU/event",
        ],
        [
            "HTTP batch (resent)",
            replay["events_per_second"],
            "",
            f"replayed {replay['replayed']:,}, recorded again {replay['recorded_again']}",
        ],
        ["Kafka topic", kafka["events_per_second"], f"{kafka['ratio_to_raw']:.2f}x", ""],
        ["raw asyncpg insert", raw["events_per_second"], "1.00x", "baseline"],
    ]
    title = (
        f"Authority events: {report['items']:,} items of {report['beneficiaries']:,} SMEs, "
        f"batches of {report['batch']}, {report['clients']} clients "
        f"(aim >= {report['aim_events_per_second']:,}/s through the batch endpoint: "
        f"{'met' if http['meets_aim'] else 'NOT met'})"
    )
    floor = report["floor"]
    return (
        table(title, ["path", "events/s", "vs raw", "notes"], rows)
        + "\n"
        + design_floor.floor_line(
            "each item's claim, entry, net and event into the ledger's tables and outbox",
            floor["events_per_second"],
            "items",
            [
                ("floor/raw insert", floor["ratio_to_raw"]),
                ("HTTP batch/floor", floor["http_to_floor"]),
                ("Kafka/floor", floor["kafka_to_floor"]),
            ],
        )
    )
