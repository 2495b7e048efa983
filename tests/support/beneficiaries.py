"""Beneficiary registration for tests: a regional authority's API key, valid national
identifiers made on demand, item builders, and reads of what the registry holds."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer
from stdnum.bg import vat as bg_vat
from stdnum.ro import cui as ro_cui
from synergia_shared.events.envelope import CloudEvent

from tests.support.stack import TestStack, auth

BATCH = "/v1/actors:batch-register"
CSV = "/v1/actors:batch-register-csv"

# Yugozapaden (BG41): Sofia city BG411, Blagoevgrad BG413; Burgas BG341 lies outside it.
REGION = "BG41"
YUGOZAPADEN_KEY = "yugozapaden-secret-key"
API_KEYS = json.dumps(
    [
        {
            "name": "yugozapaden",
            "sha256": hashlib.sha256(YUGOZAPADEN_KEY.encode()).hexdigest(),
            "roles": ["authority"],
            "region": REGION,
        }
    ]
)
BY_KEY = {"X-API-Key": YUGOZAPADEN_KEY}


def by_token() -> dict[str, str]:
    """An official of the same authority, signed in."""
    return auth("authority", region=REGION, subject="official-1")


def eik(n: int) -> str:
    """The ``n``-th valid Bulgarian EIK of a legal entity (9 digits)."""
    body = f"{20000000 + n:08d}"
    return body + bg_vat.calc_check_digit_legal(body)


def cui(n: int) -> str:
    """A valid Romanian CUI."""
    body = f"{1000000 + n}"
    return body + ro_cui.calc_check_digit(body)


def beneficiary(external_id: str, name: str, **fields: Any) -> dict[str, Any]:
    """A Bulgarian beneficiary in Blagoevgrad, as an authority sends it."""
    return {
        "external_id": external_id,
        "legal_name": name,
        "country": "BG",
        "nuts_code": "BG413",
        **fields,
    }


async def register(
    registry: httpx.AsyncClient, items: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = await registry.post(BATCH, json={"items": items}, headers=headers or BY_KEY)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_external_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["external_id"]: item for item in body["items"]}


async def fetch(stack: TestStack, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.dsn("registry"))
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def counts(stack: TestStack) -> tuple[int, int]:
    """(actors, actor.registered events in the outbox)."""
    actors = await fetch(stack, "SELECT count(*) FROM actors")
    events = await fetch(
        stack,
        "SELECT count(*) FROM outbox WHERE event_type = 'eu.synergia.registry.actor.registered.v1'",
    )
    return int(actors[0][0]), int(events[0][0])


async def published(stack: TestStack, expected: int, timeout: float = 30.0) -> list[CloudEvent]:
    """The events on the registry's actor topic, once ``expected`` have arrived."""
    consumer = AIOKafkaConsumer(
        f"{stack.topic_prefix}registry.actor",
        bootstrap_servers=stack.kafka,
        group_id=f"{stack.topic_prefix}beneficiaries-check",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    events: list[CloudEvent] = []
    try:
        async with asyncio.timeout(timeout):
            while len(events) < expected:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    events.extend(CloudEvent.from_bytes(r.value) for r in records)
    finally:
        await consumer.stop()
    return events
