"""GDPR Art. 17 end to end: after an erasure no readable copy of the person is left in
any table of any service, on any topic (dead-letter queues included) or in any log line.

The actor is registered with two consented contacts (one shared with partners, one not)
and an Idempotency-Key; matching and funding project it and matching shows the shared
contact (fetched from the registry: contacts never travel on the event log). Then the
scan first finds the people where they are expected (so it can fail), and after the
erasure finds them nowhere: every column of every table of the three databases (text
casts; bytea decoded), every record (key, value, headers) of every topic of the test
from offset 0, and the services' log output.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from synergia_devstack.services import SERVICES

from tests.e2e.conftest import Services, client, eventually, fetchval
from tests.support.stack import TestStack, auth

CONSENT = "2026-01-15T10:00:00Z"
# ASCII, so that every encoding on the way (JSON, jsonb, bytea) writes them as they are.
SHARED = {"name": "Ottilie Quarrington", "email": "ottilie.q@brightfold.example.eu"}
PRIVATE = {"name": "Barnaby Wexcombe", "email": "b.wexcombe@brightfold.example.eu"}
PEOPLE = (*SHARED.values(), *PRIVATE.values())
LEGAL_NAME = "Brightfold Optics GmbH"
WAIT = 180.0  # a generous bound: a busy machine is slow, the waits are on progress


async def database_hits(stack: TestStack, needles: Iterable[str]) -> dict[str, set[str]]:
    """Per needle, the ``service.schema.table.column`` values holding it (any case)."""
    needles = [n.lower() for n in needles]
    found: dict[str, set[str]] = {n: set() for n in needles}
    for service in SERVICES:
        conn = await asyncpg.connect(stack.dsn(service))
        try:
            columns = await conn.fetch(
                "SELECT c.table_schema, c.table_name, c.column_name, c.data_type "
                "FROM information_schema.columns c JOIN information_schema.tables t "
                "USING (table_schema, table_name) WHERE t.table_type = 'BASE TABLE' "
                "AND c.table_schema NOT IN ('pg_catalog', 'information_schema')"
            )
            for column in columns:
                name = f'"{column["table_schema"]}"."{column["table_name"]}"'
                value = f'"{column["column_name"]}"'
                text = (
                    f"encode({value}, 'escape')"
                    if column["data_type"] == "bytea"
                    else f"{value}::text"
                )
                for needle in needles:
                    hit = await conn.fetchval(
                        f"SELECT EXISTS (SELECT 1 FROM {name} WHERE lower({text}) LIKE $1)",
                        f"%{needle}%",
                    )
                    if hit:
                        found[needle].add(
                            f"{service}.{column['table_schema']}.{column['table_name']}."
                            f"{column['column_name']}"
                        )
        finally:
            await conn.close()
    return found


async def topic_records(stack: TestStack) -> list[tuple[str, bytes]]:
    """Every record of every topic of this test (DLQs too), from offset 0 to the end:
    (topic, key + value + headers as bytes)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=stack.kafka, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        topics = sorted(t for t in await consumer.topics() if t.startswith(stack.topic_prefix))
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or [])
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[tuple[str, bytes]] = []
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, batch in batches.items():
                for record in batch:
                    raw = (record.key or b"") + b"\n" + (record.value or b"")
                    for header, value in record.headers:
                        raw += b"\n" + header.encode() + b"=" + (value or b"")
                    records.append((tp.topic, raw))
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
        assert topics, "the scan found no topic"
        assert records, "the scan read no record"
        return records
    finally:
        await consumer.stop()


def topic_hits(records: list[tuple[str, bytes]], needles: Iterable[str]) -> dict[str, set[str]]:
    return {
        needle: {topic for topic, raw in records if needle.lower().encode() in raw.lower()}
        for needle in needles
    }


def log_hits(services: Services, needles: Iterable[str]) -> dict[str, set[str]]:
    logs = {name: services.log_path(name).read_bytes().lower() for name in SERVICES}
    assert all(logs.values()), "a service wrote no log"
    return {n: {name for name, text in logs.items() if n.lower().encode() in text} for n in needles}


def nowhere(hits: dict[str, set[str]]) -> bool:
    return not any(hits.values())


async def _get(http: httpx.AsyncClient, path: str) -> dict[str, Any]:
    response = await http.get(path, headers=auth("viewer"))
    return response.json() if response.status_code == 200 else {}


async def test_after_an_erasure_the_person_is_in_no_table_no_topic_and_no_log(
    stack: TestStack, services: Services
) -> None:
    registry, matching, funding = await services.start_all()
    body = {
        "legal_name": LEGAL_NAME,
        "kind": "sme",
        "country": "DE",
        "contacts": [
            {**SHARED, "role": "CEO", "consent_given_at": CONSENT, "share_with_partners": True},
            {**PRIVATE, "consent_given_at": CONSENT},
        ],
    }
    key = {"Idempotency-Key": f"erasure-drill-{uuid.uuid4()}"}
    async with client(registry) as reg, client(matching) as mat, client(funding) as fun:
        created = await reg.post("/v1/actors", json=body, headers={**auth("sme"), **key})
        assert created.status_code == 201, created.text
        actor_id = created.json()["id"]
        replay = await reg.post("/v1/actors", json=body, headers={**auth("sme"), **key})
        assert replay.headers.get("Idempotent-Replayed") == "true"

        profile = await eventually(
            lambda: _get(mat, f"/v1/profiles/{actor_id}"),
            lambda b: bool(b.get("shared_contacts")),
            timeout=WAIT,
            what="matching showing the shared contact",
        )
        assert profile["shared_contacts"] == [{**SHARED, "role": "CEO"}]
        beneficiary = await eventually(
            lambda: _get(fun, f"/v1/beneficiaries/{actor_id}"),
            lambda b: bool(b.get("shared_contacts")),
            timeout=WAIT,
            what="funding showing the shared contact",
        )
        assert beneficiary["shared_contacts"] == [{**SHARED, "role": "CEO"}]

        # Before: where they are expected, and only there (so the scan can fail).
        before = await database_hits(stack, PEOPLE)
        for value in SHARED.values():
            assert (
                "registry.public.contact_persons."
                + ("name" if value == SHARED["name"] else "email")
                in before[value.lower()]
            )
            assert any(
                h.startswith("registry.public.idempotency_keys.") for h in before[value.lower()]
            )
            assert "matching.public.actor_profiles.shared_contacts" in before[value.lower()]
            assert "funding.public.beneficiaries.shared_contacts" in before[value.lower()]
        for value in PRIVATE.values():
            assert before[value.lower()], "the private contact is in the registry"
            assert all(h.startswith("registry.") for h in before[value.lower()]), (
                "a contact not shared never leaves the registry"
            )
        records = await topic_records(stack)
        assert topic_hits(records, [LEGAL_NAME])[LEGAL_NAME], "the scan reads the actor's events"
        assert nowhere(topic_hits(records, PEOPLE)), "contacts never travel on the event log"

        erased = await reg.delete(
            f"/v1/actors/{actor_id}/personal-data", headers=auth("sme", actor_id=actor_id)
        )
        assert erased.status_code == 204, erased.text

        # Every service has applied the erasure.
        for service in ("matching", "funding"):
            await eventually(
                lambda service=service: fetchval(
                    stack.dsn(service),
                    "SELECT contacts_erased_at_sequence FROM actor_lifecycle_marks "
                    "WHERE actor_id = $1",
                    uuid.UUID(actor_id),
                ),
                lambda mark: mark == 2,
                timeout=WAIT,
                what=f"{service} applying the erasure",
            )
        for http, path in ((mat, "/v1/profiles"), (fun, "/v1/beneficiaries")):
            assert (await _get(http, f"{path}/{actor_id}"))["shared_contacts"] == []
        again = await reg.post("/v1/actors", json=body, headers={**auth("sme"), **key})
        assert again.status_code == 201, "a retry of the create still gets its answer"
        assert again.json()["contacts"] == []

    after = await database_hits(stack, PEOPLE)
    assert nowhere(after), f"still stored: {after}"
    records = await topic_records(stack)
    assert topic_hits(records, [LEGAL_NAME])[LEGAL_NAME]
    assert nowhere(topic_hits(records, PEOPLE)), "on a topic"
    services.stop_all()  # every line written
    assert nowhere(log_hits(services, PEOPLE)), "in a log"
