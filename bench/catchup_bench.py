"""Benchmark: projection catch-up, ``rebuild_projections`` from the registry's topics.

N actor events (``bench.matching_world``; the registry's ``ActorRegisteredV1`` for each
generated actor) plus cluster profiles, memberships and value chains are published to
fresh topics (the relay's producer settings, key = aggregate id). Then, timed:

- ``rebuild``: ``synergia_matching.rebuild.rebuild_projections`` into a fresh, migrated
  matching database (the live consumers' handlers and inbox, one transaction per fetched
  batch): events applied per second;
- ``raw read``: a bare aiokafka consumer reading the same partitions from the beginning
  to the end offsets, doing nothing with the records (the broker's read rate);
- ``raw read + decode``: the same, parsing each record as the rebuild does (CloudEvent
  envelope and the event's pydantic model);
- ``raw COPY``: the same actors' projection rows (as ``matching_world.profile_row``
  computes them) COPYed with asyncpg into another fresh database (the database's bulk
  write rate, without events);
- the design's floor: every row the rebuild stored (each projection table and the inbox,
  read back from the rebuilt database, generated columns left to the database) COPYed
  into a fresh, migrated database, one transaction: what storing the rebuild's outcome
  costs in this schema (full-text documents, GIN indexes, keys), with no Kafka, decoding
  or Python. Twice: into the schema as migrated, and with actor_profiles' GIN indexes
  dropped and its documents given an empty expression first, both built again after the
  COPY (``SET EXPRESSION``, ``CREATE INDEX``: the floor of building the search once, at
  the end, timed with it).

After the rebuild, the rebuilt actor_profiles must equal the COPYed ones (same rows, same
offers/needs texts): this checks that the COPY path the other matching benches use writes
what the real consumer writes.
"""

from __future__ import annotations

import time
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from synergia_matching.consumers import projection_consumers
from synergia_matching.projection_rebuild.repository import PROJECTION_TABLES
from synergia_matching.rebuild import rebuild_projections
from synergia_matching.settings import MatchingSettings
from synergia_shared.db import create_engine, create_session_factory
from synergia_shared.events.topics import REGISTRY_ACTOR, REGISTRY_CLUSTER, REGISTRY_VALUE_CHAIN

from bench import design_floor, matching_world
from bench.stack import BenchStack, dsn
from bench.stats import ratio, table

ACTORS = 20_000
CHAINS = 20
TOPICS = (REGISTRY_ACTOR, REGISTRY_CLUSTER, REGISTRY_VALUE_CHAIN)
CHECKSUM = (
    "SELECT count(*) AS n, md5(string_agg(actor_id::text || offers_text || about_text"
    " || needs_text || active::text || offered_competences::text, '|' ORDER BY actor_id))"
    " AS digest FROM actor_profiles"
)


async def raw_read(kafka: str, prefix: str, *, decode: bool) -> dict[str, float]:
    """Read every partition of the topics to its end offset; optionally decode."""
    decoders = {t: [c for c in projection_consumers() if t in c.topics] for t in TOPICS}
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka,
        group_id=None,
        enable_auto_commit=False,
        client_id="bench-raw-read",
        max_poll_records=1000,
    )
    await consumer.start()
    try:
        started = time.perf_counter()
        await consumer.topics()
        partitions = [
            TopicPartition(f"{prefix}{t}", p)
            for t in TOPICS
            for p in sorted(consumer.partitions_for_topic(f"{prefix}{t}") or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        records = 0
        while remaining:
            fetched = await consumer.getmany(*remaining, timeout_ms=1000, max_records=1000)
            for tp, batch in fetched.items():
                topic = tp.topic.removeprefix(prefix)
                for record in batch:
                    if record.offset >= ends[tp]:
                        break
                    records += 1
                    if decode:
                        for c in decoders[topic]:
                            c.decode(record.value)
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        seconds = time.perf_counter() - started
    finally:
        await consumer.stop()
    return {"records": records, "seconds": seconds, "events_per_s": records / seconds}


_STORED_COLUMNS = (
    "SELECT attname FROM pg_attribute WHERE attrelid = CAST($1 AS regclass) AND attnum > 0 "
    "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum"
)
FLOOR_TABLES = (*(t.name for t in PROJECTION_TABLES), "inbox")


async def stored_rows(database_url: str) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Every row the rebuild stored, per table: its stored columns and values."""
    conn = await asyncpg.connect(dsn(database_url))
    try:
        found = {}
        for table in FLOOR_TABLES:
            columns = [r["attname"] for r in await conn.fetch(_STORED_COLUMNS, table)]
            names = ", ".join(f'"{c}"' for c in columns)
            rows = await conn.fetch(f"SELECT {names} FROM {table}")
            found[table] = (columns, [tuple(r) for r in rows])
        return found
    finally:
        await conn.close()


_SEARCH_INDEXES = (
    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'actor_profiles' "
    "AND indexdef LIKE '% USING gin %'"
)
_DOCUMENTS = (
    "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) AS expression FROM pg_attribute AS a "
    "JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
    "WHERE a.attrelid = 'actor_profiles'::regclass AND a.attgenerated = 's' "
    "AND a.atttypid = 'tsvector'::regtype"
)


def _documents_as(expressions: dict[str, str]) -> str:
    changes = ", ".join(
        f'ALTER COLUMN "{c}" SET EXPRESSION AS ({e})' for c, e in expressions.items()
    )
    return f"ALTER TABLE actor_profiles {changes}"


async def floor_seconds(
    database_url: str, rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]], *, deferred: bool
) -> float:
    """COPY ``rows`` into a fresh database, one transaction; ``deferred``: with the
    search set aside first and built again after the COPY (all timed)."""
    conn = await asyncpg.connect(dsn(database_url))
    try:
        started = time.perf_counter()
        async with conn.transaction():
            if deferred:
                indexes = await conn.fetch(_SEARCH_INDEXES)
                documents = {r["attname"]: r["expression"] for r in await conn.fetch(_DOCUMENTS)}
                for index in indexes:
                    await conn.execute(f'DROP INDEX "{index["indexname"]}"')
                await conn.execute(_documents_as(dict.fromkeys(documents, "''::tsvector")))
            for table, (columns, records) in rows.items():
                if records:
                    await conn.copy_records_to_table(table, records=records, columns=columns)
            if deferred:
                await conn.execute(_documents_as(documents))
                for index in indexes:
                    await conn.execute(index["indexdef"])
        return time.perf_counter() - started
    finally:
        await conn.close()


async def checksum(database_url: str) -> tuple[int, str]:
    conn = await asyncpg.connect(dsn(database_url))
    try:
        row = await conn.fetchrow(CHECKSUM)
    finally:
        await conn.close()
    return row["n"], row["digest"]


async def run(stack: BenchStack, *, actors: int = ACTORS) -> dict[str, Any]:
    world = matching_world.generate(actors)
    messages = matching_world.actor_messages(world.events)
    messages += matching_world.network_events(world, chains=CHAINS)
    counts = {t: sum(1 for m in messages if m.topic == t) for t in TOPICS}
    prefix = await stack.topics("catchup")
    publish_s = await matching_world.publish(stack.kafka, prefix, messages)
    print(
        f"  published {len(messages):,} events ({counts}) in {publish_s:.1f} s; "
        f"mean {sum(len(m.payload) for m in messages) / len(messages):.0f} B",
        flush=True,
    )

    read = await raw_read(stack.kafka, prefix, decode=False)
    decoded = await raw_read(stack.kafka, prefix, decode=True)

    copy_url = await stack.fresh_database("matching", "catchupcopy")
    started = time.perf_counter()
    loaded = await matching_world.load_profiles(copy_url, world.events)
    copy_s = loaded.seconds["copy"]
    copy_total_s = time.perf_counter() - started

    rebuild_url = await stack.fresh_database("matching", "catchup")
    settings = MatchingSettings(
        database_url=rebuild_url,
        kafka_bootstrap_servers=stack.kafka,
        kafka_topic_prefix=prefix,
    )
    engine = create_engine(settings)
    try:
        report = await rebuild_projections(create_session_factory(engine), settings, reset=False)
    finally:
        await engine.dispose()
    if report.failed:
        raise RuntimeError(f"rebuild failed on {len(report.failed)} events: {report.failed[:3]}")
    rebuilt, copied = await checksum(rebuild_url), await checksum(copy_url)
    final = await stored_rows(rebuild_url)
    floors = {
        mode: await floor_seconds(
            await stack.fresh_database("matching", f"catchupfloor{mode}"),
            final,
            deferred=mode == "deferred",
        )
        for mode in ("as_migrated", "deferred")
    }
    floor_s = min(floors.values())
    floor_rate = len(messages) / floor_s
    rebuild = {
        "events_read": report.events_read,
        "applied": report.applied,
        "duplicates": report.duplicates,
        "ignored": report.ignored,
        "seconds": report.seconds,
        "events_per_s": report.events_per_second,
    }
    print(
        f"  rebuild: {report.applied:,} events in {report.seconds:.1f} s "
        f"({report.events_per_second:,.0f}/s); raw read {read['events_per_s']:,.0f}/s",
        flush=True,
    )
    return {
        "actors": actors,
        "events": len(messages),
        "events_per_topic": counts,
        "payload_bytes_mean": sum(len(m.payload) for m in messages) / len(messages),
        "publish_seconds": publish_s,
        "rebuild": rebuild,
        "raw_read": read,
        "raw_read_decode": decoded,
        "raw_copy": {
            "rows": loaded.actors,
            "copy_seconds": copy_s,
            "rows_per_s": loaded.actors / copy_s,
            "with_row_building_and_analyze_seconds": copy_total_s,
        },
        "rebuild_to_read": ratio(rebuild["events_per_s"], read["events_per_s"]),
        "rebuild_to_read_decode": ratio(rebuild["events_per_s"], decoded["events_per_s"]),
        "rebuild_to_copy": ratio(rebuild["events_per_s"], loaded.actors / copy_s),
        "floor": {
            "rows": {table: len(records) for table, (_, records) in final.items()},
            "seconds": floors,
            "events_per_s": floor_rate,
        },
        "floor_to_read": ratio(floor_rate, read["events_per_s"]),
        "rebuild_to_floor": ratio(rebuild["events_per_s"], floor_rate),
        "rebuilt_rows": rebuilt[0],
        "rebuilt_equals_copy": rebuilt == copied,
    }


def render(report: dict[str, Any]) -> str:
    r = report["rebuild"]
    rows: list[list[object]] = [
        ["rebuild_projections (apply, inbox, batches)", r["events_per_s"], r["seconds"], "1.00x"],
        [
            "raw aiokafka read to the end",
            report["raw_read"]["events_per_s"],
            report["raw_read"]["seconds"],
            f"{report['rebuild_to_read']:.3f}x",
        ],
        [
            "raw read + decode (envelope + model)",
            report["raw_read_decode"]["events_per_s"],
            report["raw_read_decode"]["seconds"],
            f"{report['rebuild_to_read_decode']:.3f}x",
        ],
        [
            "raw asyncpg COPY of the actor rows",
            report["raw_copy"]["rows_per_s"],
            report["raw_copy"]["copy_seconds"],
            f"{report['rebuild_to_copy']:.3f}x",
        ],
    ]
    title = (
        f"Projection catch-up: {report['events']:,} events ({report['actors']:,} actors + "
        f"cluster and value-chain events, {report['payload_bytes_mean']:.0f} B mean) "
        "into a fresh matching database"
    )
    text = table(title, ["path", "events/s", "seconds", "rebuild/this"], rows)
    text += (
        f"\n(rebuilt {report['rebuilt_rows']:,} actor profiles; equal to the COPYed rows: "
        f"{'yes' if report['rebuilt_equals_copy'] else 'NO'}; "
        f"published in {report['publish_seconds']:.1f} s)"
    )
    floor = report["floor"]
    seconds = floor["seconds"]
    text += "\n" + design_floor.floor_line(
        f"the {sum(floor['rows'].values()):,} rows the rebuild stored, inbox included, COPYed "
        f"into a fresh matching database: {seconds['as_migrated']:.2f} s as migrated, "
        f"{seconds['deferred']:.2f} s with the search built at the end; the better",
        floor["events_per_s"],
        "events",
        [
            ("floor/raw read", report["floor_to_read"]),
            ("rebuild/floor", report["rebuild_to_floor"]),
        ],
    )
    return text
