"""Drill: an event that cannot be applied is parked, the partition moves on, and the
parked event is replayed once its cause is fixed."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    ACTOR_TOPIC,
    CONTENT_TYPE_HEADERS,
    FUNDING_CONSUMER,
    MATCHING_CONSUMER,
    Services,
    client,
    create_actor,
    eventually,
    execute,
    fetchval,
    partition_for,
    projected_ids,
    raw_producer,
    read_topic,
    tally,
    wait_for_projections,
)
from tests.support.events import actor_event
from tests.support.stack import TestStack, auth

pytestmark = pytest.mark.drill

POISON_NAME = "Poison Pill GmbH"

# A fault in matching's database that only this actor trips, until an operator fixes it.
INSTALL_FAULT = f"""
CREATE FUNCTION reject_poison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.legal_name = '{POISON_NAME}' THEN
    RAISE EXCEPTION 'simulated fault: % cannot be stored', NEW.legal_name;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER reject_poison BEFORE INSERT OR UPDATE ON actor_profiles
FOR EACH ROW EXECUTE FUNCTION reject_poison();
"""
FIX_FAULT = "DROP TRIGGER reject_poison ON actor_profiles; DROP FUNCTION reject_poison();"

FAST_PARKING = {"CONSUMER_MAX_ATTEMPTS": "3"}


async def _parked(http: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await http.get("/v1/admin/dead-letters", params=params, headers=auth("admin"))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_poison_event_is_parked_later_events_flow_and_replay_applies_it_once(
    stack: TestStack, services: Services
) -> None:
    await execute(stack.dsn("matching"), INSTALL_FAULT)
    registry, matching, funding = await asyncio.gather(
        services.start("registry"),
        services.start("matching", **FAST_PARKING),
        services.start("funding", **FAST_PARKING),
    )
    async with client(registry) as reg, client(matching) as mat, client(funding) as fun:
        poison = await create_actor(reg, POISON_NAME)
        poison_partition = partition_for(poison["id"].encode())
        # Actors registered after it, at least three of them behind it in its partition.
        later: list[str] = []
        while sum(partition_for(i.encode()) == poison_partition for i in later) < 3:
            later.append((await create_actor(reg, f"After The Poison {len(later):02d}"))["id"])
            assert len(later) < 60

        # The partition moved on: everything after the poison is applied in matching...
        await eventually(
            lambda: projected_ids(stack, "matching"),
            lambda ids: set(later) <= ids,
            timeout=30,
            what="the actors after the poison in matching",
        )
        # ...and funding, which has no such fault, has them all.
        await wait_for_projections(stack, len(later) + 1, timeout=30, services=("funding",))
        assert poison["id"] not in await projected_ids(stack, "matching")

        # Operators see it on the admin API (admins only) ...
        assert (await mat.get("/v1/admin/dead-letters", headers=auth("viewer"))).status_code == 403
        (parked,) = await _parked(mat)
        event_id = str(
            await fetchval(
                stack.dsn("registry"),
                "SELECT event_id FROM outbox WHERE aggregate_id = $1",
                poison["id"],
            )
        )
        assert parked["event_id"] == event_id
        assert parked["event_type"] == "eu.synergia.registry.actor.registered.v1"
        assert parked["consumer"] == MATCHING_CONSUMER
        assert parked["topic"] == f"{stack.topic_prefix}{ACTOR_TOPIC}"
        assert parked["partition"] == poison_partition
        assert parked["attempts"] == 3
        assert "simulated fault" in parked["error"]
        assert await _parked(fun) == []

        # ... and on the DLQ topic, with the reason in its headers.
        dlq = await read_topic(
            stack.kafka,
            f"{stack.topic_prefix}{ACTOR_TOPIC}.dlq",
            until=lambda records: len(records) >= 1,
            timeout=15,
        )
        assert len(dlq) == 1
        headers = {k: v.decode() for k, v in dlq[0].headers}
        assert "simulated fault" in headers["x-dlq-error"]
        assert headers["x-dlq-consumer"] == MATCHING_CONSUMER
        assert headers["x-dlq-attempts"] == "3"
        assert dlq[0].key == poison["id"].encode()
        assert event_id in dlq[0].value.decode()

        # Replaying before the fault is fixed fails and keeps it parked.
        replay = f"/v1/admin/dead-letters/{parked['id']}/replay"
        still_failing = await mat.post(replay, headers=auth("admin"))
        assert still_failing.status_code == 409
        assert "simulated fault" in still_failing.json()["detail"]
        assert [p["id"] for p in await _parked(mat)] == [parked["id"]]

        await execute(stack.dsn("matching"), FIX_FAULT)
        first = await mat.post(replay, headers=auth("admin"))
        assert first.status_code == 200, first.text
        assert first.json() == {"id": parked["id"], "outcome": "applied"}
        profile = await mat.get(f"/v1/profiles/{poison['id']}", headers=auth("viewer"))
        assert profile.status_code == 200
        assert profile.json()["legal_name"] == POISON_NAME

        again = await mat.post(replay, headers=auth("admin"))
        assert again.status_code == 200
        assert again.json()["outcome"] == "already applied"
        assert await _parked(mat) == []
        (replayed,) = await _parked(mat, include_replayed="true")
        assert replayed["replayed_at"] is not None
        unknown = await mat.post(
            "/v1/admin/dead-letters/00000000-0000-4000-8000-000000000000/replay",
            headers=auth("admin"),
        )
        assert unknown.status_code == 404

    total = len(later) + 1
    matching_tally = await tally(stack, "matching")
    assert (matching_tally.rows, matching_tally.distinct_ids, matching_tally.inbox) == (
        total,
        total,
        total,
    )
    assert (
        await fetchval(
            stack.dsn("matching"), "SELECT count(*) FROM inbox WHERE event_id = $1::uuid", event_id
        )
        == 1
    )


async def test_malformed_messages_are_parked_and_the_partition_moves_on(
    stack: TestStack, services: Services
) -> None:
    registry, matching, funding = await asyncio.gather(
        services.start("registry"),
        services.start("matching", **FAST_PARKING),
        services.start("funding", **FAST_PARKING),
    )
    topic = f"{stack.topic_prefix}{ACTOR_TOPIC}"
    garbage = [b"\x00\x01 definitely not JSON", b'{"hello": "not a CloudEvent"}']
    behind = actor_event("Behind The Garbage Kft.", country="HU")
    async with raw_producer(stack.kafka) as producer:
        for value in garbage:
            await producer.send_and_wait(topic, value=value, key=b"garbage", partition=0)
        # A valid event right behind them, in the same partition.
        await producer.send_and_wait(
            topic,
            value=behind.to_bytes(),
            key=behind.subject.encode(),
            partition=0,
            headers=CONTENT_TYPE_HEADERS,
        )

    async with client(registry) as reg, client(matching) as mat, client(funding) as fun:
        registered = [(await create_actor(reg, f"Registered Normally {i}"))["id"] for i in range(3)]
        expected = {behind.subject, *registered}
        tallies = await wait_for_projections(stack, len(expected), timeout=30)
        for service in ("matching", "funding"):
            assert await projected_ids(stack, service) == expected
            assert tallies[service].rows == tallies[service].inbox == len(expected)
            assert tallies[service].dead_letters == len(garbage)

        for http, consumer in ((mat, MATCHING_CONSUMER), (fun, FUNDING_CONSUMER)):
            parked = await _parked(http)
            assert len(parked) == len(garbage)
            for item in parked:
                # Not a CloudEvent: parked at once (no retries), without an event id.
                assert item["consumer"] == consumer
                assert item["partition"] == 0
                assert item["attempts"] == 1
                assert item["event_id"] is None
                assert "not a CloudEvent" in item["error"]
            # No fix makes garbage valid: a replay fails and it stays parked.
            failed = await http.post(
                f"/v1/admin/dead-letters/{parked[0]['id']}/replay", headers=auth("admin")
            )
            assert failed.status_code == 409
            assert len(await _parked(http)) == len(garbage)

    dlq = await read_topic(
        stack.kafka, f"{topic}.dlq", until=lambda records: len(records) >= 4, timeout=15
    )
    assert sorted((dict(r.headers)["x-dlq-consumer"], r.value) for r in dlq) == sorted(
        (consumer.encode(), value)
        for consumer in (MATCHING_CONSUMER, FUNDING_CONSUMER)
        for value in garbage
    )
