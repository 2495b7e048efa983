"""Funding test helpers: the authorities' API keys, item builders, a value chain's
announcement as the registry sends it, and a few waits and reads."""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from synergia_shared.events.registry import ValueChainParticipantV1, ValueChainUpdatedV1
from synergia_shared.events.topics import REGISTRY_VALUE_CHAIN
from synergia_shared.messaging.outbox import build_event

from tests.support.stack import TestStack

# --- authorities -------------------------------------------------------------------------

LOMBARDIA_KEY = "lombardia-secret-key"
BAVARIA_KEY = "bavaria-secret-key"
API_KEYS = [
    {
        "name": "lombardia",
        "sha256": hashlib.sha256(LOMBARDIA_KEY.encode()).hexdigest(),
        "roles": ["authority"],
        "region": "ITC4",
    },
    {
        "name": "bavaria",
        "sha256": hashlib.sha256(BAVARIA_KEY.encode()).hexdigest(),
        "roles": ["authority"],
        "region": "DE2",
    },
]
LOMBARDIA = {"X-API-Key": LOMBARDIA_KEY}
BATCH = "/v1/authority-events:batch"


def commitment(external_id: str, beneficiary: uuid.UUID, **fields: Any) -> dict[str, Any]:
    """An ESIF commitment in Lombardia, as an authority sends it."""
    return {
        "external_id": external_id,
        "kind": "commitment",
        "beneficiary_id": str(beneficiary),
        "source": "esif",
        "fund": "ERDF",
        "instrument_id": "2014IT16RFOP012",
        "amount": "100000.00",
        "date": "2024-03-01",
        "region_nuts": "ITC4C",
        **fields,
    }


def payment(external_id: str, beneficiary: uuid.UUID, of: str, **fields: Any) -> dict[str, Any]:
    """A payment of commitment ``of``."""
    return {
        **commitment(external_id, beneficiary),
        "kind": "disbursement",
        "amount": "40000.00",
        "date": "2024-06-01",
        "commitment_external_id": of,
        **fields,
    }


# --- beneficiaries -----------------------------------------------------------------------


async def known_beneficiaries(stack: TestStack, *actor_ids: uuid.UUID, country: str = "IT") -> None:
    """Funding knows these actors, as if their registrations had arrived: its projection
    holds them (money for an actor it does not know waits for the registration). Tests
    of that path send the registry's real events instead."""
    conn = await asyncpg.connect(stack.dsn("funding"))
    try:
        await conn.executemany(
            "INSERT INTO beneficiaries (actor_id, legal_name, kind, country, registered_at) "
            "VALUES ($1, $2, 'sme', $3, now()) ON CONFLICT (actor_id) DO NOTHING",
            [(a, f"Beneficiary {a}", country) for a in actor_ids],
        )
    finally:
        await conn.close()


async def beneficiary(stack: TestStack, country: str = "IT") -> uuid.UUID:
    """A new actor funding knows (:func:`known_beneficiaries`)."""
    actor_id = uuid.uuid4()
    await known_beneficiaries(stack, actor_id, country=country)
    return actor_id


# --- value chains ------------------------------------------------------------------------

LEAD_CLUSTER = uuid.uuid4()
SME = uuid.uuid4()


def chain_item(external_id: str, **fields: Any) -> dict[str, Any]:
    """A Horizon 2020 commitment to SME, as a chain's manager records it."""
    return {
        "external_id": external_id,
        "kind": "commitment",
        "beneficiary_id": str(SME),
        "source": "h2020",
        "instrument_id": "824060",
        "amount": "50000.00",
        "date": "2024-05-01",
        "region_nuts": "DE212",
        **fields,
    }


async def announce_chain(
    stack: TestStack, chain: uuid.UUID, lead: uuid.UUID = LEAD_CLUSTER
) -> None:
    """The registry's event for a chain led by ``lead``, as the registry sends it; its
    participant SME is known to funding (:func:`known_beneficiaries`)."""
    await known_beneficiaries(stack, SME, country="DE")
    event = build_event(
        ValueChainUpdatedV1(
            value_chain_id=chain,
            title="Battery recycling across the Alps",
            lead_actor_ids=[lead],
            participants=[ValueChainParticipantV1(actor_id=SME, role="partner")],
            status="running",
            version=3,
            changed_at=datetime.now(UTC),
        ),
        subject=str(chain),
        sequence=3,
    )
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            f"{stack.topic_prefix}{REGISTRY_VALUE_CHAIN}", event.to_bytes(), key=str(chain).encode()
        )
    finally:
        await producer.stop()


async def record_for_chain(
    client: httpx.AsyncClient,
    chain: uuid.UUID,
    items: list[dict[str, Any]],
    headers: dict[str, str],
    timeout: float = 20.0,
) -> list[dict[str, Any]]:
    """The chain's ledger batch, sent again while funding answers 404 (the registry's
    event for the chain has not arrived yet; nothing is recorded then)."""
    url = f"/v1/value-chains/{chain}/ledger-entries:batch"
    deadline = time.monotonic() + timeout
    while (
        response := await client.post(url, json={"items": items}, headers=headers)
    ).status_code == 404:
        assert time.monotonic() < deadline, "the value-chain event never arrived"
        await asyncio.sleep(0.1)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["items"]
    return results


# --- waiting and reading -----------------------------------------------------------------


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def query(stack: TestStack, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.dsn("funding"))
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()
