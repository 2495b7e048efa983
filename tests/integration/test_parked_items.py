"""Parked authority items: a sender (a value chain's, by its managers) lists what still
waits for its prerequisite, and an item whose prerequisite never comes is rejected after
``parked_expiry_days``, once."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from synergia_funding.app import create_app as create_funding
from synergia_funding.authority import intake
from synergia_funding.authority.schemas import AuthorityEventIn
from synergia_funding.beneficiaries.consumers import actor_projection
from synergia_funding.ledger import service as ledger_service
from synergia_funding.ledger.expiry import expire_parked
from synergia_funding.settings import FundingSettings
from synergia_shared.db import unit_of_work
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.registry import ActorRegisteredV1
from synergia_shared.events.topics import REGISTRY_ACTOR
from synergia_shared.http.auth import authority_sender
from synergia_shared.http.pagination import encode_cursor
from synergia_shared.messaging.inbox import Delivery, apply_batch

from tests.support.events import actor_event
from tests.support.funding import (
    API_KEYS,
    BATCH,
    BAVARIA_KEY,
    LEAD_CLUSTER,
    LOMBARDIA,
    announce_chain,
    beneficiary,
    chain_item,
    commitment,
    eventually,
    payment,
    query,
    record_for_chain,
)
from tests.support.stack import TestStack, auth, running_app

BAVARIA = {"X-API-Key": BAVARIA_KEY}
ADMIN = auth("admin")
LIST = "/v1/authority-events"
REJECTED = "eu.synergia.funding.authority-item.rejected.v1"
MAX_AGE = timedelta(days=30)


@dataclass
class Funding:
    client: httpx.AsyncClient
    app: FastAPI

    async def sweep(self, **kwargs: Any) -> int:
        """One run of the expiry sweep, as the background task runs it."""
        return await expire_parked(self.app.state.sessions, max_age=MAX_AGE, **kwargs)


def settings(stack: TestStack, **overrides: Any) -> FundingSettings:
    return FundingSettings(
        **{
            **stack.settings_kwargs("funding"),
            "api_keys": json.dumps(API_KEYS),
            # The tests run the sweep themselves, at moments they choose.
            "parked_expiry_enabled": False,
            **overrides,
        }
    )


@pytest.fixture
async def funding(stack: TestStack) -> AsyncIterator[Funding]:
    app = create_funding(settings(stack))
    async with running_app(app, "http://funding") as client:
        yield Funding(client, app)


async def send(
    funding: Funding, items: list[dict[str, Any]], headers: dict[str, str] = LOMBARDIA
) -> list[dict[str, Any]]:
    response = await funding.client.post(BATCH, json={"items": items}, headers=headers)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["items"]
    return results


async def listed(
    funding: Funding, headers: dict[str, str] = LOMBARDIA, **params: Any
) -> dict[str, Any]:
    response = await funding.client.get(
        LIST, params={"status": "parked", **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def status_of(funding: Funding, external_id: str) -> dict[str, Any]:
    response = await funding.client.get(f"{LIST}/{external_id}", headers=LOMBARDIA)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def park_days_ago(stack: TestStack, external_id: str, days: float) -> None:
    """As if the item had been parked ``days`` ago (the only way a test has a month)."""
    changed = await query(
        stack,
        "UPDATE parked_entries SET parked_at = now() - make_interval(secs => $2) "
        "WHERE external_id = $1 RETURNING 1",
        external_id,
        days * 86400,
    )
    assert changed, f"{external_id} is not parked"


async def rejections(stack: TestStack, external_id: str) -> list[dict[str, Any]]:
    rows = await query(stack, "SELECT payload FROM outbox WHERE event_type = $1", REJECTED)
    events = [json.loads(r["payload"])["data"] for r in rows]
    return [e for e in events if e["external_id"] == external_id]


# --- Listing ------------------------------------------------------------------------------


async def test_a_sender_lists_only_its_own_parked_items_oldest_first_and_an_admin_filters(
    funding: Funding,
    stack: TestStack,
) -> None:
    sme = await beneficiary(stack)
    await send(funding, [payment("L-P1", sme, of="L-C1"), commitment("L-C0", sme)])
    await send(funding, [payment("L-P2", sme, of="L-C2")])
    bavarian = payment("B-P1", sme, of="B-C1", region_nuts="DE212", instrument_id=None)
    assert (await send(funding, [bavarian], BAVARIA))[0]["status"] == "parked"
    official = auth("authority", region="ITC1", subject="anna")  # Piemonte's
    piemonte = payment("T-P1", sme, of="T-C1", region_nuts="ITC11")
    assert (await send(funding, [piemonte], official))[0]["status"] == "parked"

    mine = (await listed(funding))["items"]
    assert [i["external_id"] for i in mine] == ["L-P1", "L-P2"]  # not the applied L-C0
    first = mine[0]
    assert first["sender"] == "authority:ITC4"
    assert first["kind"] == "disbursement"
    assert first["status"] == "parked"
    assert first["waiting_for"] == ["L-C1"]
    parked_at = datetime.fromisoformat(first["parked_at"])
    assert datetime.fromisoformat(first["expires_at"]) - parked_at == MAX_AGE
    assert mine[0]["parked_at"] <= mine[1]["parked_at"]

    assert [i["external_id"] for i in (await listed(funding, BAVARIA))["items"]] == ["B-P1"]
    assert [i["external_id"] for i in (await listed(funding, official))["items"]] == ["T-P1"]
    # Lombardia's officials and its API key are one sender: they see the same items.
    lombardian = auth("authority", region="ITC4", subject="carla")
    assert [i["external_id"] for i in (await listed(funding, lombardian))["items"]] == [
        "L-P1",
        "L-P2",
    ]
    # Naming another sender is refused, not quietly answered with one's own items.
    peek = await funding.client.get(
        LIST, params={"status": "parked", "sender": "authority:DE2"}, headers=LOMBARDIA
    )
    assert peek.status_code == 403
    assert peek.headers["content-type"].startswith("application/problem+json")
    own = await listed(funding, sender="authority:ITC4")
    assert [i["external_id"] for i in own["items"]] == ["L-P1", "L-P2"]

    everyone = (await listed(funding, ADMIN))["items"]
    assert sorted(i["external_id"] for i in everyone) == ["B-P1", "L-P1", "L-P2", "T-P1"]
    assert [i["parked_at"] for i in everyone] == sorted(i["parked_at"] for i in everyone)
    by_sender = (await listed(funding, ADMIN, sender="authority:ITC1"))["items"]
    assert [(i["sender"], i["external_id"]) for i in by_sender] == [("authority:ITC1", "T-P1")]

    # Its commitment arrives: the payment is applied and no longer listed.
    await send(funding, [commitment("L-C1", sme)])
    assert [i["external_id"] for i in (await listed(funding))["items"]] == ["L-P2"]


async def test_a_chain_manager_lists_its_chains_parked_items_only(
    funding: Funding, stack: TestStack
) -> None:
    ours, theirs = uuid.uuid4(), uuid.uuid4()
    other_lead = uuid.uuid4()
    await announce_chain(stack, ours)
    await announce_chain(stack, theirs, lead=other_lead)
    manager = auth("cluster_manager", actor_id=str(LEAD_CLUSTER), subject="anna")
    their_manager = auth("cluster_manager", actor_id=str(other_lead), subject="bruno")

    # A payment of a grant whose commitment the chain has not recorded yet: parked.
    early = chain_item(
        "VC-P1",
        kind="disbursement",
        amount="10000.00",
        date="2024-06-01",
        commitment_external_id="VC-C1",
    )
    (parked,) = await record_for_chain(funding.client, ours, [early], manager)
    assert parked["status"] == "parked"
    theirs_early = {**early, "external_id": "VC-Q1", "commitment_external_id": "VC-D1"}
    (their_item,) = await record_for_chain(funding.client, theirs, [theirs_early], their_manager)
    assert their_item["status"] == "parked"
    sme = await beneficiary(stack)
    assert (await send(funding, [payment("L-P9", sme, of="L-C9")]))[0]["status"] == "parked"

    page = await listed(funding, manager, sender=f"value-chain:{ours}")
    [item] = page["items"]
    assert item["external_id"] == "VC-P1"
    assert item["sender"] == f"value-chain:{ours}"
    assert item["waiting_for"] == ["VC-C1"]
    assert item["kind"] == "disbursement"
    # The id spelled in capitals names the same chain.
    shouted = await listed(funding, manager, sender=f"value-chain:{str(ours).upper()}")
    assert [i["external_id"] for i in shouted["items"]] == ["VC-P1"]

    # Another chain's items, an authority's, or nobody's in particular: not theirs to see.
    for sender in (f"value-chain:{theirs}", "authority:ITC4", f"value-chain:{uuid.uuid4()}"):
        refused = await funding.client.get(
            LIST, params={"status": "parked", "sender": sender}, headers=manager
        )
        assert refused.status_code == 403, (sender, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert sender in refused.json()["detail"]
    unnamed = await funding.client.get(LIST, params={"status": "parked"}, headers=manager)
    assert unnamed.status_code == 422, unnamed.text
    assert [e["loc"] for e in unnamed.json()["errors"]] == [["query", "sender"]]
    # A cluster manager leading no chain of these sees none of them.
    stranger = auth("cluster_manager", actor_id=str(uuid.uuid4()))
    peek = await funding.client.get(
        LIST, params={"status": "parked", "sender": f"value-chain:{ours}"}, headers=stranger
    )
    assert peek.status_code == 403
    # And the authority does not see the chain's items either.
    assert [i["external_id"] for i in (await listed(funding))["items"]] == ["L-P9"]
    forbidden = await funding.client.get(
        LIST, params={"status": "parked", "sender": f"value-chain:{ours}"}, headers=LOMBARDIA
    )
    assert forbidden.status_code == 403

    # One item by its id, with the same rule: the manager names the chain.
    one = f"{LIST}/VC-P1"
    looked_up = await funding.client.get(
        one, params={"sender": f"value-chain:{ours}"}, headers=manager
    )
    assert looked_up.status_code == 200, looked_up.text
    assert looked_up.json()["status"] == "parked"
    assert looked_up.json()["waiting_for"] == ["VC-C1"]
    unnamed_one = await funding.client.get(one, headers=manager)
    assert unnamed_one.status_code == 422
    assert [e["loc"] for e in unnamed_one.json()["errors"]] == [["query", "sender"]]
    not_theirs = await funding.client.get(
        f"{LIST}/VC-Q1", params={"sender": f"value-chain:{theirs}"}, headers=manager
    )
    assert not_theirs.status_code == 403
    # The authority's own lookup never reaches the chain's items; an admin names the chain.
    assert (await funding.client.get(one, headers=LOMBARDIA)).status_code == 404
    by_admin = await funding.client.get(
        one, params={"sender": f"value-chain:{ours}"}, headers=auth("admin")
    )
    assert by_admin.status_code == 200
    assert by_admin.json()["entry_id"] == looked_up.json()["entry_id"]

    # The commitment arrives: the payment is applied and no longer listed.
    (applied,) = await record_for_chain(funding.client, ours, [chain_item("VC-C1")], manager)
    assert applied["status"] == "applied"
    assert (await listed(funding, manager, sender=f"value-chain:{ours}"))["items"] == []
    now_applied = await funding.client.get(
        one, params={"sender": f"value-chain:{ours}"}, headers=manager
    )
    assert now_applied.json()["status"] == "applied"
    their_page = await listed(funding, their_manager, sender=f"value-chain:{theirs}")
    assert [i["external_id"] for i in their_page["items"]] == ["VC-Q1"]


async def test_the_listing_pages_with_a_cursor_and_refuses_bad_parameters(
    funding: Funding,
    stack: TestStack,
) -> None:
    sme = await beneficiary(stack)
    for n in range(5):  # one batch each: five moments
        await send(funding, [payment(f"PG-{n}", sme, of=f"PG-C{n}")])
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await listed(funding, **params)
        pages += 1
        seen += [i["external_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"PG-{n}" for n in range(5)]
    assert pages == 3

    refused: list[tuple[dict[str, Any], list[str]]] = [
        ({}, ["query", "status"]),
        ({"status": "applied"}, ["query", "status"]),
        ({"status": "parked", "limit": 0}, ["query", "limit"]),
        ({"status": "parked", "cursor": "not-a-cursor"}, ["query", "cursor"]),
        # A well-formed cursor holding something else than this listing's key.
        ({"status": "parked", "cursor": encode_cursor(["2024-01-01", "x"])}, ["query", "cursor"]),
        # A timestamp without its zone: not one this service wrote.
        (
            {
                "status": "parked",
                "cursor": encode_cursor(["2024-01-01T00:00:00", str(uuid.UUID(int=0))]),
            },
            ["query", "cursor"],
        ),
    ]
    for params, loc in refused:
        response = await funding.client.get(LIST, params=params, headers=LOMBARDIA)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["loc"] for e in response.json()["errors"]] == [loc], response.text
    anonymous = await funding.client.get(LIST, params={"status": "parked"})
    assert anonymous.status_code == 401


# --- Expiry -------------------------------------------------------------------------------


async def test_expiry_rejects_only_old_items_once_and_a_late_prerequisite_does_not_apply_them(
    funding: Funding, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    await send(
        funding,
        [
            payment("X-OLD", sme, of="X-TYPO"),
            payment("X-OLDER", sme, of="X-GONE"),
            payment("X-YOUNG", sme, of="X-LATER"),
        ],
    )
    await park_days_ago(stack, "X-OLD", 31)
    await park_days_ago(stack, "X-OLDER", 45)
    await park_days_ago(stack, "X-YOUNG", 29)
    before = {i["external_id"]: i for i in (await listed(funding))["items"]}
    assert list(before) == ["X-OLDER", "X-OLD", "X-YOUNG"]  # oldest first

    assert await funding.sweep(batch_size=1) == 2  # in batches of one: all of them
    assert await funding.sweep() == 0  # run again: nothing is refused twice

    old = await status_of(funding, "X-OLD")
    assert old["status"] == "rejected"
    assert "its prerequisite X-TYPO did not arrive within 30 days" in old["problem"]["detail"]
    assert old["problem"]["type"].endswith("/prerequisite-expired"), "not a rule's refusal"
    assert (await status_of(funding, "X-YOUNG"))["status"] == "parked"
    assert [i["external_id"] for i in (await listed(funding))["items"]] == ["X-YOUNG"]

    [event] = await rejections(stack, "X-OLD")
    assert event["external_system"] == "authority:ITC4"
    assert event["entry_id"] == before["X-OLD"]["entry_id"]
    assert "X-TYPO did not arrive within 30 days" in event["reason"]
    assert [v["rule"] for v in event["violations"]] == ["prerequisite_expired"]
    assert len(await rejections(stack, "X-OLDER")) == 1
    assert await rejections(stack, "X-YOUNG") == []

    # The prerequisite arrives after all: it is recorded, the expired payment is not.
    assert (await send(funding, [commitment("X-TYPO", sme)]))[0]["status"] == "applied"
    entries = await query(stack, "SELECT external_id FROM ledger_entries")
    assert [r["external_id"] for r in entries] == ["X-TYPO"]
    assert (await status_of(funding, "X-OLD"))["status"] == "rejected"
    assert await funding.sweep() == 0
    assert len(await rejections(stack, "X-OLD")) == 1


async def test_an_item_sent_again_after_its_expiry_is_decided_afresh(
    funding: Funding, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    early = payment("R-P", sme, of="R-C")
    waiting = payment("R-Q", sme, of="R-NEVER")
    await send(funding, [early, waiting])
    await park_days_ago(stack, "R-P", 31)
    await park_days_ago(stack, "R-Q", 31)
    assert await funding.sweep() == 2

    # The sender sends the missing commitment, then the same payment again: applied.
    await send(funding, [commitment("R-C", sme)])
    again = (await send(funding, [early]))[0]
    assert again["status"] == "applied"
    assert not again["replayed"]
    assert (await status_of(funding, "R-P"))["status"] == "applied"
    rows = await query(stack, "SELECT external_id FROM parked_entries")
    assert [r["external_id"] for r in rows] == ["R-Q"]  # no refused trace of R-P left

    # Sent again while its prerequisite is still missing: parked anew, with a new month.
    parked = (await send(funding, [waiting]))[0]
    assert parked["status"] == "parked"
    [item] = (await listed(funding))["items"]
    assert item["external_id"] == "R-Q"
    assert datetime.fromisoformat(item["expires_at"]) > datetime.now(
        datetime.fromisoformat(item["parked_at"]).tzinfo
    ) + timedelta(days=29)
    assert await funding.sweep() == 0
    assert len(await rejections(stack, "R-Q")) == 1


async def test_sweeps_racing_the_prerequisites_apply_or_reject_each_item_exactly_once(
    funding: Funding, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    count = 12
    await send(funding, [payment(f"Z-P{n}", sme, of=f"Z-C{n}") for n in range(count)])
    await query(stack, "UPDATE parked_entries SET parked_at = now() - interval '31 days'")
    arrivals = [commitment(f"Z-C{n}", sme, amount="50000.00") for n in range(count)]
    # Two replicas' sweeps and the commitments, all at once.
    swept_a, swept_b, _ = await asyncio.gather(
        funding.sweep(batch_size=2),
        funding.sweep(batch_size=3),
        send(funding, arrivals),
    )
    applied = {
        r["external_id"]
        for r in await query(stack, "SELECT external_id FROM ledger_entries")
        if r["external_id"].startswith("Z-P")
    }
    refused = {
        r["external_id"]
        for r in await query(
            stack, "SELECT external_id FROM parked_entries WHERE state = $1", "rejected"
        )
    }
    assert applied | refused == {f"Z-P{n}" for n in range(count)}
    assert not applied & refused
    assert swept_a + swept_b == len(refused)
    for external_id in refused:
        assert len(await rejections(stack, external_id)) == 1
    for external_id in applied:
        assert await rejections(stack, external_id) == []
    assert not await query(stack, "SELECT 1 FROM parked_entries WHERE state = 'waiting'")


async def test_the_service_runs_the_sweep_in_the_background(stack: TestStack) -> None:
    app = create_funding(
        settings(stack, parked_expiry_enabled=True, parked_expiry_interval_seconds=0.2)
    )
    async with running_app(app, "http://funding") as client:
        funding = Funding(client, app)
        sme = await beneficiary(stack)
        await send(funding, [payment("BG-P", sme, of="BG-C")])
        await park_days_ago(stack, "BG-P", 31)

        async def refused() -> bool:
            return bool((await status_of(funding, "BG-P"))["status"] == "rejected")

        await eventually(refused, timeout=10)
        assert len(await rejections(stack, "BG-P")) == 1


# --- Beneficiaries funding does not know ---------------------------------------------------


async def register(stack: TestStack, event: CloudEvent) -> None:
    """The registry's actor event, on its topic, for funding's projection to consume."""
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            f"{stack.topic_prefix}{REGISTRY_ACTOR}", event.to_bytes(), key=event.subject.encode()
        )
    finally:
        await producer.stop()


async def lombardy_esif(funding: Funding) -> tuple[int, str]:
    """Entries and ESIF committed in Lombardy's co-funding report."""
    response = await funding.client.get("/v1/regions/ITC4/co-funding", headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["entries"], body["esif"]["committed"]


async def test_money_for_an_actor_funding_does_not_know_waits_for_its_registration(
    funding: Funding, stack: TestStack
) -> None:
    """Today's bug: such money was applied and counted in the region while the
    beneficiary's own report answered 404. Now it waits; the registry's real event
    applies it, once, also when the event comes twice and is followed by an update."""
    event = actor_event("Officina Rossi", country="IT")
    actor = uuid.UUID(event.subject)
    items = [payment("U-P", actor, of="U-C"), commitment("U-C", actor)]
    results = await send(funding, items)
    registration = f"registration of actor {actor}"
    assert [r["status"] for r in results] == ["parked", "parked"]
    assert results[1]["waiting_for"] == [registration]
    assert results[0]["waiting_for"] == ["U-C", registration]
    assert await lombardy_esif(funding) == (0, "0.00")
    assert (
        await funding.client.get(f"/v1/beneficiaries/{actor}", headers=ADMIN)
    ).status_code == 404
    listed_items = (await listed(funding))["items"]
    assert {i["external_id"]: i["waiting_for"] for i in listed_items} == {
        "U-P": ["U-C", registration],
        "U-C": [registration],
    }
    # Resent while waiting: still parked, nothing applied.
    assert (await send(funding, [commitment("U-C", actor)]))[0]["replayed"]

    await register(stack, event)
    await register(stack, event)  # delivered twice, as Kafka may

    async def applied() -> bool:
        rows = await query(stack, "SELECT 1 FROM ledger_entries WHERE beneficiary_id = $1", actor)
        return len(rows) == 2

    await eventually(applied)
    assert await lombardy_esif(funding) == (2, "100000.00")
    report = await funding.client.get(f"/v1/beneficiaries/{actor}", headers=ADMIN)
    assert report.status_code == 200, report.text
    assert report.json()["funding"]["total"]["committed"] == "100000.00"
    assert report.json()["funding"]["total"]["disbursed"] == "40000.00"
    assert not await query(stack, "SELECT 1 FROM parked_entries")
    assert (await status_of(funding, "U-P"))["status"] == "applied"
    # Sent again after its registration: a replay, counted once.
    again = await send(funding, items)
    assert all(r["status"] == "applied" and r["replayed"] for r in again)
    assert await lombardy_esif(funding) == (2, "100000.00")


async def test_money_for_an_actor_never_registered_expires_saying_so_and_is_never_counted(
    funding: Funding, stack: TestStack
) -> None:
    ghost = uuid.uuid4()  # an actor id the registry never announced (a typo, say)
    assert (await send(funding, [commitment("G-C", ghost)]))[0]["status"] == "parked"
    await park_days_ago(stack, "G-C", 31)
    assert await funding.sweep() == 1

    refused = await status_of(funding, "G-C")
    assert refused["status"] == "rejected"
    assert refused["problem"]["type"].endswith("/prerequisite-expired")
    detail = refused["problem"]["detail"]
    assert f"its beneficiary {ghost} is not a registered actor" in detail
    assert "register the beneficiary" in detail
    [announced] = await rejections(stack, "G-C")
    assert f"{ghost} is not a registered actor" in announced["reason"]
    assert await lombardy_esif(funding) == (0, "0.00")
    assert (
        await funding.client.get(f"/v1/beneficiaries/{ghost}", headers=ADMIN)
    ).status_code == 404
    assert not await query(stack, "SELECT 1 FROM ledger_entries")


@pytest.mark.parametrize("delivered", ["alone", "in a batch"])
async def test_a_registration_arriving_while_an_item_for_it_is_recorded_releases_it(
    funding: Funding, stack: TestStack, delivered: str
) -> None:
    """The race the arrival lock closes, made deterministic: an item finds its actor
    unknown and parks it, and before that commits the actor's registration arrives. The
    registration waits for the item's transaction, then finds it parked and applies it
    (without the lock it would find nothing, and the item would wait until it expired).
    Within a fetched batch of registrations, the batch waits (its arrival locks are
    taken up front), then releases it with the others'."""
    sessions = funding.app.state.sessions
    event = actor_event("Officina Bianchi", country="IT")
    actor = uuid.UUID(event.subject)
    lombardia = intake.Authority(authority_sender("ITC4"), "ITC4")
    item = AuthorityEventIn.model_validate(commitment("LOCK-1", actor))
    async with unit_of_work(sessions) as writer:
        [decision] = await ledger_service.record(writer, [intake.to_entry(lombardia, item)])
        assert decision.status == "parked"
        data = ActorRegisteredV1.model_validate(event.data)
        others = [actor_event(f"Officina {n}", country="IT") for n in range(2)]
        arrival = asyncio.create_task(
            actor_projection().apply(sessions, event, data)
            if delivered == "alone"
            else apply_batch(sessions, [registered(e) for e in (others[0], event, others[1])])
        )
        await asyncio.sleep(1.0)
        assert not arrival.done(), "the registration must wait for the item's transaction"
    await asyncio.wait_for(arrival, 20)
    rows = await query(stack, "SELECT external_id FROM ledger_entries")
    assert [r["external_id"] for r in rows] == ["LOCK-1"]
    assert not await query(stack, "SELECT 1 FROM parked_entries")


def registered(event: CloudEvent) -> Delivery:
    """The registry's event as funding's projection receives it in a fetched batch."""
    return Delivery(PROJECTION, event, ActorRegisteredV1.model_validate(event.data))


PROJECTION = actor_projection()
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def without_ids(text: str) -> str:
    """A problem's words, whichever entries and actors it is about."""
    return _ID.sub("<id>", text)


COMMITMENT_RECORDED = "eu.synergia.funding.commitment.recorded.v1"


async def test_registrations_arriving_in_one_batch_release_every_actors_money_together(
    funding: Funding, stack: TestStack
) -> None:
    """Many actors' registrations in one fetched batch (one transaction): the money
    waiting for all of them is decided together, each actor's as its registration alone
    would decide it. A payment above its commitment is refused with the same problem as
    when its registration arrives alone; a payment whose commitment has not come keeps
    waiting for it; each recorded event (and refusal) is caused by its own actor's registration; the
    batch redelivered changes nothing."""
    sessions = funding.app.state.sessions
    events = [actor_event(f"Officina {n}", country="IT") for n in range(6)]
    actors = [uuid.UUID(e.subject) for e in events]
    items = [commitment(f"B-C{n}", actor) for n, actor in enumerate(actors)]
    # Above its commitment; not the batch's first actor, so its cause is its own.
    items.append(payment("B-P0", actors[3], of="B-C3", amount="150000.00"))
    items.append(payment("B-P1", actors[1], of="B-LATER"))  # its commitment comes later
    assert {r["status"] for r in await send(funding, items)} == {"parked"}
    # The same refusal, for an actor whose registration arrives alone.
    alone = actor_event("Officina Sola", country="IT")
    sole = uuid.UUID(alone.subject)
    await send(
        funding, [commitment("S-C", sole), payment("S-P", sole, of="S-C", amount="150000.00")]
    )
    assert await apply_batch(sessions, [registered(alone)]) == [True]

    assert await apply_batch(sessions, [registered(e) for e in events]) == [True] * 6

    rows = await query(
        stack,
        "SELECT external_id, xmin::text AS tx FROM ledger_entries WHERE external_id LIKE 'B-%'",
    )
    assert sorted(r["external_id"] for r in rows) == [f"B-C{n}" for n in range(6)]
    assert len({r["tx"] for r in rows}) == 1, "released together, in the batch's transaction"
    refused, refused_alone = await status_of(funding, "B-P0"), await status_of(funding, "S-P")
    assert refused["status"] == refused_alone["status"] == "rejected"
    assert without_ids(refused["problem"]["detail"]) == without_ids(
        refused_alone["problem"]["detail"]
    )
    assert "150,000.00" in refused["problem"]["detail"]
    [announced] = await rejections(stack, "B-P0")
    assert announced["reason"] == refused["problem"]["detail"]
    still = await status_of(funding, "B-P1")
    assert (still["status"], still["waiting_for"]) == ("parked", ["B-LATER"])
    recorded = await query(
        stack, "SELECT payload FROM outbox WHERE event_type = $1", COMMITMENT_RECORDED
    )
    causes = {
        json.loads(r["payload"])["subject"]: json.loads(r["payload"])["causationid"]
        for r in recorded
    }
    assert causes == {str(e.subject): str(e.id) for e in (*events, alone)}
    rejected = await query(stack, "SELECT payload FROM outbox WHERE event_type = $1", REJECTED)
    refusal_causes = {
        json.loads(r["payload"])["data"]["external_id"]: json.loads(r["payload"])["causationid"]
        for r in rejected
    }
    assert refusal_causes["B-P0"] == str(events[3].id), "refused under its actor's registration"

    # Redelivered: nothing twice.
    assert await apply_batch(sessions, [registered(e) for e in events]) == [False] * 6
    assert len(await query(stack, "SELECT 1 FROM ledger_entries")) == 7
    # The commitment the payment waits for arrives: both are applied.
    assert (await send(funding, [commitment("B-LATER", actors[1])]))[0]["status"] == "applied"
    assert (await status_of(funding, "B-P1"))["status"] == "applied"
    assert not await query(stack, "SELECT 1 FROM parked_entries WHERE state = 'waiting'")
