"""A generated world for the matching service's benchmarks.

Actors come from the demo data set's generator (``synergia_devstack.demo.plan``: 36
countries including a few third countries, real NUTS 2024 and NACE Rev. 2.1 codes, SME
categories, ecosystems, competences, offers and needs written from a vocabulary of
value-chain terms) and are turned into the ``ActorRegisteredV1`` events the registry
would publish for them. They reach matching two ways:

- :func:`load_profiles`: written straight into a migrated matching database with COPY.
  The rows come from ``profiles.rules.profile_row`` and ``actor_lifecycle.owner_links``, the
  functions matching's own consumer (``profiles.consumers.apply_actor_events``) writes, so
  the generated tsvectors are what a real event gives; then ANALYZE.
- :func:`publish`: the same events as CloudEvents on the broker (key = actor id, as the
  outbox relay sends them), with cluster and value-chain events, for the catch-up bench.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy.dialects.postgresql import JSONB
from synergia_devstack.demo.plan import ActorPlan, DemoSize, generate_actors
from synergia_devstack.demo.vocabulary import CHAIN_THEMES, ChainTheme
from synergia_matching.network import consumers as network_consumers
from synergia_matching.network.consumers import VALUE_CHAIN_UPDATED
from synergia_matching.profiles import rules
from synergia_matching.profiles.models import actor_profiles
from synergia_shared.bus import create_producer
from synergia_shared.events.base import EventData
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.registry import (
    ActorRegisteredV1,
    ClusterMemberJoinedV1,
    ClusterProfileUpdatedV1,
    OfferNeedV1,
    OwnerV1,
    SharedContactV1,
    ValueChainStageV1,
    ValueChainUpdatedV1,
)
from synergia_shared.events.topics import (
    REGISTRY_ACTOR,
    REGISTRY_CLUSTER,
    REGISTRY_VALUE_CHAIN,
)
from synergia_shared.messaging.outbox import build_event
from synergia_shared.projections import actor_lifecycle as lifecycle
from synergia_shared.reference.countries import lookup_country

from bench.stack import dsn

SEED = 4
HEADERS = [("content-type", b"application/cloudevents+json")]
END_MARKER = CloudEvent(
    source="/synergia/bench", type="eu.synergia.bench.end-marker.v1", subject="end", data={}
).to_bytes()
NOW = datetime(2025, 11, 1, 12, 0, tzinfo=UTC)

# asyncpg's COPY takes jsonb as JSON text.
PROFILE_JSONB_COLUMNS = frozenset(
    c.name for c in actor_profiles.columns if isinstance(c.type, JSONB)
)
CHAIN_COLUMNS = [
    "value_chain_id",
    "title",
    "status",
    "target_industry",
    "ecosystems",
    "lead_actor_ids",
    "stages",
    "participants",
    "source_sequence",
    "changed_at",
]


# --- actors ----------------------------------------------------------------------------


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _entry(rng: random.Random, item: dict[str, Any]) -> OfferNeedV1:
    return OfferNeedV1(
        id=_uuid(rng),
        type=item["type"],
        title=item["title"],
        description=item.get("description", ""),
        competences=list(item.get("competences", [])),
        keywords=list(item.get("keywords", [])),
    )


def actor_event(
    plan: ActorPlan,
    actor_id: uuid.UUID,
    rng: random.Random,
    owners: Sequence[OwnerV1] = (),
    *,
    active: bool = True,
) -> ActorRegisteredV1:
    """The event the registry would publish for this planned actor (version 1)."""
    body = plan.body
    registered = NOW - timedelta(seconds=rng.randrange(4 * 365 * 86_400))
    category = plan.sme_category or ("not_sme" if plan.kind == "large_enterprise" else None)
    return ActorRegisteredV1(
        actor_id=actor_id,
        legal_name=body["legal_name"],
        short_name=body.get("short_name"),
        kind=plan.kind,
        country=plan.country,
        registered_at=registered,
        country_standing=lookup_country(plan.country).standing.value,
        website=body.get("website"),
        description=body.get("description"),
        nuts_code=body.get("nuts_code"),
        nuts_version=body.get("nuts_version"),
        nace_codes=list(body.get("nace_codes", [])),
        nace_revision="2.1",
        ecosystems=list(body.get("ecosystems", [])),
        competences=list(body.get("competences", [])),
        keywords=list(body.get("keywords", [])),
        offers=[_entry(rng, o) for o in body.get("offers", [])],
        needs=[_entry(rng, n) for n in body.get("needs", [])],
        owners=list(owners),
        sme_category=category,
        sme_declared=body.get("sme_declared"),
        active=active,
        shared_contacts=[
            SharedContactV1(name=c["name"], email=c["email"], role=c.get("role"))
            for c in body.get("contacts", [])
            if c.get("share_with_partners")
        ],
        version=1,
    )


@dataclass(frozen=True)
class GeneratedWorld:
    plans: tuple[ActorPlan, ...]
    events: tuple[ActorRegisteredV1, ...]
    seconds: float


@lru_cache(maxsize=4)
def generate(actors: int, seed: int = SEED) -> GeneratedWorld:
    """``actors`` demo actors as registered events (cached: benches share one world)."""
    started = time.perf_counter()
    clusters = max(1, min(400, actors // 250))
    plans = generate_actors(seed, DemoSize(actors=actors, clusters=clusters, value_chains=0))
    rng = random.Random(f"matching-world/{seed}/{actors}")
    ids = {plan.key: _uuid(rng) for plan in plans}
    events = []
    for plan in plans:
        owners = [
            OwnerV1(
                owner_actor_id=ids[o.owner_key],
                share_percent=Decimal(o.share_percent),
                controls=o.controls,
            )
            for o in plan.owners
        ]
        active = rng.random() > 0.015
        events.append(actor_event(plan, ids[plan.key], rng, owners, active=active))
    return GeneratedWorld(tuple(plans), tuple(events), time.perf_counter() - started)


def profile_row(data: ActorRegisteredV1, sequence: int = 1) -> dict[str, Any]:
    """The actor_profiles row matching's consumer writes for this event (a first snapshot,
    no lifecycle marks); jsonb as JSON text for COPY."""
    row = rules.profile_row(data, sequence, lifecycle.NO_MARKS)
    return {k: json.dumps(v) if k in PROFILE_JSONB_COLUMNS else v for k, v in row.items()}


def link_rows(data: ActorRegisteredV1) -> list[dict[str, Any]]:
    """The ownership_links rows matching's consumer writes for this event."""
    return [{"actor_id": data.actor_id, **link} for link in lifecycle.owner_links(data)]


def _records(rows: list[dict[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """COPY's columns and records for rows made by one function (same keys, same order)."""
    return (list(rows[0]) if rows else []), [tuple(row.values()) for row in rows]


@dataclass
class Loaded:
    actors: int
    links: int
    seconds: dict[str, float] = field(default_factory=dict)


async def load_profiles(database_url: str, events: Sequence[ActorRegisteredV1]) -> Loaded:
    """COPY the events' projection rows (and ownership links) into a migrated matching
    database, then VACUUM ANALYZE."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    profiles = await asyncio.to_thread(lambda: _records([profile_row(e) for e in events]))
    links = _records([link for e in events for link in link_rows(e)])
    seconds["rows"] = time.perf_counter() - started
    conn = await asyncpg.connect(dsn(database_url))
    try:
        started = time.perf_counter()
        for table, (columns, records) in (("actor_profiles", profiles), ("ownership_links", links)):
            if records:
                await conn.copy_records_to_table(table, records=records, columns=columns)
        seconds["copy"] = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        seconds["vacuum_analyze"] = time.perf_counter() - started
    finally:
        await conn.close()
    return Loaded(len(profiles[1]), len(links[1]), seconds)


# --- value chains ----------------------------------------------------------------------


def six_stage_theme() -> ChainTheme:
    """The demo vocabulary's value chain with six stages."""
    return next(t for t in CHAIN_THEMES if len(t.stages) == 6)


def value_chain_event(
    theme: ChainTheme,
    value_chain_id: uuid.UUID,
    lead_actor_ids: Sequence[uuid.UUID],
    rng: random.Random,
    *,
    status: str = "open",
) -> ValueChainUpdatedV1:
    return ValueChainUpdatedV1(
        value_chain_id=value_chain_id,
        title=theme.title,
        strategic_vision=theme.vision,
        target_industry=theme.target_industry,
        ecosystems=[e.value for e in theme.ecosystems],
        lead_actor_ids=list(lead_actor_ids),
        stages=[
            ValueChainStageV1(
                id=_uuid(rng),
                position=position,
                name=stage.name,
                description=stage.description,
                competences=[c.value for c in stage.competences],
                keywords=list(stage.keywords),
            )
            for position, stage in enumerate(theme.stages, start=1)
        ],
        participants=[],
        status=status,
        version=1,
        changed_at=NOW,
    )


def value_chain_row(data: ValueChainUpdatedV1) -> tuple[Any, ...]:
    """The value_chains row matching's consumer writes, from its own function; the
    JSON columns as text, which asyncpg's COPY takes for jsonb."""
    envelope = CloudEvent(
        source="/synergia/bench",
        type=VALUE_CHAIN_UPDATED,
        subject=str(data.value_chain_id),
        data={},
    )
    values = network_consumers.value_chain_row(envelope, data)
    for column in ("stages", "participants"):
        values[column] = json.dumps(values[column])
    return tuple(values[c] for c in CHAIN_COLUMNS)


async def insert_value_chain(database_url: str, data: ValueChainUpdatedV1) -> None:
    conn = await asyncpg.connect(dsn(database_url))
    try:
        await conn.copy_records_to_table(
            "value_chains", records=[value_chain_row(data)], columns=CHAIN_COLUMNS
        )
    finally:
        await conn.close()


# --- the broker ------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    topic: str  # without the prefix
    key: bytes
    payload: bytes


def _message(topic: str, data: EventData, subject: uuid.UUID, sequence: int) -> Message:
    event = build_event(data, subject=str(subject), sequence=sequence)
    return Message(topic, str(subject).encode(), event.to_bytes())


def network_events(
    world: GeneratedWorld, *, chains: int, members_per_cluster: int = 30
) -> list[Message]:
    """Cluster profiles and memberships, and value chains, over the world's actors."""
    rng = random.Random(f"matching-network/{len(world.events)}")
    events = world.events
    clusters = [e for e in events if e.kind.value == "cluster_organisation"]
    others = [e for e in events if e.kind.value != "cluster_organisation"]
    messages: list[Message] = []
    for cluster in clusters:
        profile = ClusterProfileUpdatedV1(
            cluster_id=cluster.actor_id,
            ecosystems=cluster.ecosystems,
            s3_priorities=[],
            esca_label=rng.choice(("gold", "silver", "bronze", None)),
            version=1,
        )
        messages.append(_message(REGISTRY_CLUSTER, profile, cluster.actor_id, 1))
        members = rng.sample(others, min(members_per_cluster, len(others)))
        for sequence, member in enumerate(members, start=2):
            joined = ClusterMemberJoinedV1(
                cluster_id=cluster.actor_id,
                member_actor_id=member.actor_id,
                joined_on=date(2015, 1, 1) + timedelta(days=rng.randrange(3_600)),
                committed=rng.random() < 0.85,
            )
            messages.append(_message(REGISTRY_CLUSTER, joined, cluster.actor_id, sequence))
    leads = clusters or others
    for n in range(chains):
        theme = CHAIN_THEMES[n % len(CHAIN_THEMES)]
        chain = value_chain_event(theme, _uuid(rng), [rng.choice(leads).actor_id], rng)
        messages.append(_message(REGISTRY_VALUE_CHAIN, chain, chain.value_chain_id, 1))
    return messages


def actor_messages(events: Sequence[ActorRegisteredV1]) -> list[Message]:
    return [_message(REGISTRY_ACTOR, e, e.actor_id, e.version) for e in events]


async def publish(kafka: str, topic_prefix: str, messages: Sequence[Message]) -> float:
    """Send every message with the relay's producer settings; seconds until all acked.

    The embedded broker (Tansu) answers ListOffsets(latest) short of a partition's last
    multi-record (compressed) batch, so a reader that stops at the end offsets it saw
    (``rebuild`` does) never reads the rest of that batch. So after the messages, one end
    marker (a CloudEvent of a type no consumer handles: ignored) goes to every partition
    of their topics, each in a batch of its own; then we wait until the end offsets
    count every message and marker."""
    producer: AIOKafkaProducer = create_producer(kafka, "bench-matching-world")
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [
            await producer.send(
                f"{topic_prefix}{m.topic}", value=m.payload, key=m.key, headers=HEADERS
            )
            for m in messages
        ]
        await asyncio.gather(*futures)
        seconds = time.perf_counter() - started
        for topic in dict.fromkeys(m.topic for m in messages):
            name = f"{topic_prefix}{topic}"
            for partition in sorted(await producer.partitions_for(name)):
                await producer.send_and_wait(
                    name, value=END_MARKER, key=b"end", partition=partition, headers=HEADERS
                )
    finally:
        await producer.stop()
    await wait_end_offsets(kafka, topic_prefix, messages)
    return seconds


async def wait_end_offsets(
    kafka: str, topic_prefix: str, messages: Sequence[Message], timeout: float = 60.0
) -> float:
    """Seconds until the end offsets of the messages' (fresh) topics add up to them and
    one end marker per partition."""
    expected: dict[str, int] = {}
    for m in messages:
        expected[m.topic] = expected.get(m.topic, 0) + 1
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=None)
    await consumer.start()
    started = time.perf_counter()
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(f"{topic_prefix}{t}", p)
            for t in expected
            for p in sorted(consumer.partitions_for_topic(f"{topic_prefix}{t}") or ())
        ]
        while True:
            ends = await consumer.end_offsets(partitions)
            seen = {
                t: -sum(1 for tp in partitions if tp.topic == f"{topic_prefix}{t}")
                for t in expected
            }
            for tp, end in ends.items():
                seen[tp.topic.removeprefix(topic_prefix)] += end
            if seen == expected:
                return time.perf_counter() - started
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"end offsets {seen} never reached {expected}")
            await asyncio.sleep(0.1)
    finally:
        await consumer.stop()
