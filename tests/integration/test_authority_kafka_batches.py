"""Authority messages on Kafka that the consumer fetches together are applied together:
one transaction and one recording of all their items (the HTTP batch's code), with each
item's outcome and each event's cause as if the messages had come one at a time. A
poison message still costs only itself; a redelivery applies nothing twice."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from sqlalchemy import event
from sqlalchemy.engine import Engine
from synergia_funding.app import create_app as create_funding
from synergia_funding.settings import FundingSettings
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.funding import AuthorityEventsSubmittedV1
from synergia_shared.events.topics import FUNDING_AUTHORITY_INBOUND
from synergia_shared.messaging.outbox import build_event

from tests.support.funding import (
    API_KEYS,
    BATCH,
    LOMBARDIA,
    beneficiary,
    commitment,
    eventually,
    payment,
    query,
)
from tests.support.stack import TestStack, running_app

CONSUMER = "funding.authority-inbound"
REJECTED = "eu.synergia.funding.authority-item.rejected.v1"


def message(authority: str, items: list[Any]) -> CloudEvent:
    """A message as a producer sends it; ``items`` may break the contract (the consumer
    refuses such an item alone)."""
    event = build_event(
        AuthorityEventsSubmittedV1(authority=authority, items=[{"external_id": "X"}]),
        subject=authority,
    )
    return event.model_copy(update={"data": {"authority": authority, "items": items}})


async def send(stack: TestStack, messages: Sequence[CloudEvent]) -> None:
    """On one partition (the authority's key), in order."""
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, acks="all")
    await producer.start()
    try:
        topic = f"{stack.topic_prefix}{FUNDING_AUTHORITY_INBOUND}"
        sent = [
            await producer.send(topic, value=event.to_bytes(), key=b"lombardia")
            for event in messages
        ]
        for delivered in sent:
            await delivered  # every message is on the broker before the service starts
    finally:
        await producer.stop()


@asynccontextmanager
async def funding(stack: TestStack) -> AsyncIterator[httpx.AsyncClient]:
    """Started once the messages wait on the topic: its first fetch holds them all."""
    settings = FundingSettings(  # type: ignore[arg-type]
        **stack.settings_kwargs("funding"), api_keys=json.dumps(API_KEYS)
    )
    async with running_app(create_funding(settings), "http://funding") as client:
        yield client


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements this process sends meanwhile (every engine's)."""
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", count)


async def recorded(stack: TestStack) -> dict[str, dict[str, Any]]:
    """The entries' ``*.recorded`` events, by external id."""
    rows = await query(stack, "SELECT payload FROM outbox WHERE event_type LIKE '%.recorded.v1'")
    events = [json.loads(r["payload"]) for r in rows]
    return {e["data"]["external_id"]: e for e in events}


async def refusals(stack: TestStack) -> dict[str, dict[str, Any]]:
    rows = await query(stack, "SELECT payload FROM outbox WHERE event_type = $1", REJECTED)
    events = [json.loads(r["payload"]) for r in rows]
    return {e["data"]["external_id"]: e for e in events}


async def test_messages_fetched_together_are_applied_in_one_transaction_each_item_as_alone(
    stack: TestStack,
) -> None:
    smes = [await beneficiary(stack) for _ in range(10)]
    early_payment = message("lombardia", [payment("B-P0", smes[0], of="B-C0")])
    its_commitment = message("lombardia", [commitment("B-C0", smes[0])])
    others = [message("lombardia", [commitment(f"B-C{n}", smes[n])]) for n in range(1, 10)]
    with_bad_item = message(
        "lombardia", ["not an item", commitment("B-C10", smes[1], date="2204-01-01")]
    )
    resent_items = message("lombardia", [commitment("B-C0", smes[0])])  # a new message id
    messages = [early_payment, its_commitment, *others, with_bad_item, resent_items]
    await send(stack, messages)

    with statements() as sent:
        async with funding(stack) as client:

            async def settled() -> bool:
                return len(await refusals(stack)) == 2 and len(await recorded(stack)) == 11

            await eventually(settled)
            # Their items were decided and written together: their ids claimed in one
            # statement (one at a time, each message claimed its own).
            claims = [s for s in sent if s.startswith("INSERT INTO ledger_entry_ids")]
            assert len(claims) == 1
            transactions = await query(
                stack,
                "SELECT xmin::text AS tx FROM ledger_entries "
                "UNION ALL SELECT xmin::text FROM inbox WHERE consumer = $1",
                CONSUMER,
            )
            assert len(transactions) == 11 + len(messages)
            assert len({r["tx"] for r in transactions}) == 1  # one transaction for all

            # Each item's outcome is its own, named in the sender's ids.
            refused = await refusals(stack)
            assert refused["#0"]["data"]["reason"] == (
                "data.items.0: an item is an object of the item fields, not a string"
            )
            assert "data.items.1.date: 2204-01-01" in refused["B-C10"]["data"]["reason"]
            # Each event is caused by the message its item came in, even the early payment
            # that waited in the batch for its commitment.
            events = await recorded(stack)
            assert events["B-C3"]["causationid"] == str(others[2].id)
            assert events["B-C0"]["causationid"] == str(its_commitment.id)
            assert events["B-P0"]["causationid"] == str(early_payment.id)
            assert refused["B-C10"]["causationid"] == str(with_bad_item.id)
            assert refused["#0"]["causationid"] == str(with_bad_item.id)

            # Redelivered (the same records again), then a marker behind them on the
            # partition: once the marker is in, the redelivery was dealt with.
            outbox_before = len(await query(stack, "SELECT 1 FROM outbox"))
            marker = message("lombardia", [commitment("B-MARK", smes[2])])
            await send(stack, [*messages, marker])

            async def marker_in() -> bool:
                return "B-MARK" in await recorded(stack)

            await eventually(marker_in)
            rows = await query(stack, "SELECT external_id FROM ledger_entries")
            assert len(rows) == 12
            assert len(await query(stack, "SELECT 1 FROM outbox")) == outbox_before + 1

            # The same authority over HTTP is the same sender: its items count once.
            response = await client.post(
                BATCH, json={"items": [commitment("B-C5", smes[5])]}, headers=LOMBARDIA
            )
            assert response.status_code == 200, response.text
            assert response.json()["items"][0]["replayed"] is True
            assert len(await query(stack, "SELECT 1 FROM ledger_entries")) == 12
    assert not await query(stack, "SELECT 1 FROM dead_letters")


async def test_a_poison_message_fetched_with_others_goes_to_the_dlq_alone(
    stack: TestStack,
) -> None:
    sme = await beneficiary(stack)
    before = message("lombardia", [commitment("Q-1", sme)])
    poison = message("atlantis", [commitment("Q-2", sme)])
    after = message("lombardia", [commitment("Q-3", sme), commitment("Q-4", sme, amount="-5")])
    await send(stack, [before, poison, after])

    async with funding(stack):

        async def settled() -> bool:
            dead = await query(stack, "SELECT 1 FROM dead_letters")
            return bool(dead) and "Q-4" in await refusals(stack)

        await eventually(settled)
        dead = await query(stack, "SELECT consumer, error FROM dead_letters")
        assert [r["consumer"] for r in dead] == [CONSUMER]
        assert "unknown authority 'atlantis'" in dead[0]["error"]
        rows = await query(stack, "SELECT external_id FROM ledger_entries ORDER BY seq")
        assert [r["external_id"] for r in rows] == ["Q-1", "Q-3"]
        assert "must be positive" in (await refusals(stack))["Q-4"]["data"]["reason"]
        applied = await query(stack, "SELECT event_id FROM inbox WHERE consumer = $1", CONSUMER)
        assert {r["event_id"] for r in applied} == {before.id, after.id}
    assert uuid.UUID(str(poison.id)) not in {r["event_id"] for r in applied}
