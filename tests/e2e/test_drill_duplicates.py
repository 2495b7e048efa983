"""Drill: the same event delivered more than once is applied once."""

from __future__ import annotations

import functools

import pytest

from tests.e2e.conftest import (
    ACTOR_TOPIC,
    CONTENT_TYPE_HEADERS,
    FUNDING_CONSUMER,
    MATCHING_CONSUMER,
    Services,
    assert_exactly_once,
    client,
    create_actors,
    eventually,
    fetch,
    fetchval,
    raw_producer,
    wait_for_projections,
)
from tests.support.events import actor_event, metric
from tests.support.stack import TestStack, auth

pytestmark = pytest.mark.drill


async def test_redelivered_and_duplicated_events_are_applied_once(
    stack: TestStack, services: Services
) -> None:
    registry, matching, funding = await services.start_all()
    async with client(registry) as reg:
        ids = await create_actors(reg, 5, name_prefix="Delivered Twice")
    await wait_for_projections(stack, len(ids), timeout=30)

    # An event that was consumed already, published again byte for byte (a relay that
    # published and died before marking the row sent does exactly this).
    consumed = (
        await fetch(
            stack.dsn("registry"),
            "SELECT aggregate_id, payload FROM outbox ORDER BY id LIMIT 1",
        )
    )[0]
    applied_at = {
        service: await fetchval(
            stack.dsn(service),
            f"SELECT updated_at FROM {table} WHERE actor_id = $1",
            consumed["aggregate_id"],
        )
        for service, table in (("matching", "actor_profiles"), ("funding", "beneficiaries"))
    }
    # A new event, published twice in a row (a producer retry after a lost ack).
    fresh = actor_event("Twice Published Sp. z o.o.")

    async with raw_producer(stack.kafka) as producer:
        topic = f"{stack.topic_prefix}{ACTOR_TOPIC}"
        for key, value in [
            (consumed["aggregate_id"].encode(), consumed["payload"]),
            (consumed["aggregate_id"].encode(), consumed["payload"]),
            (fresh.subject.encode(), fresh.to_bytes()),
            (fresh.subject.encode(), fresh.to_bytes()),
        ]:
            await producer.send_and_wait(topic, value=value, key=key, headers=CONTENT_TYPE_HEADERS)

    async with client(matching) as mat, client(funding) as fun:
        for http, consumer, path in (
            (mat, MATCHING_CONSUMER, "/v1/profiles"),
            (fun, FUNDING_CONSUMER, "/v1/beneficiaries"),
        ):
            # Three copies were redundant: two of the consumed event, one of the new one.
            await eventually(
                functools.partial(
                    metric, http, "synergia_events_duplicate_total", consumer=consumer
                ),
                lambda n: n >= 3,
                timeout=30,
                what=f"{consumer} to skip the duplicates",
            )
            assert await metric(http, "synergia_events_duplicate_total", consumer=consumer) == 3
            response = await http.get(f"{path}/{fresh.subject}", headers=auth("viewer"))
            assert response.status_code == 200
            assert response.json()["legal_name"] == "Twice Published Sp. z o.o."

    tallies = await wait_for_projections(stack, len(ids) + 1, timeout=5)
    assert_exactly_once(tallies, len(ids) + 1)
    for service, table in (("matching", "actor_profiles"), ("funding", "beneficiaries")):
        inbox_rows = await fetchval(
            stack.dsn(service), "SELECT count(*) FROM inbox WHERE event_id = $1", fresh.id
        )
        assert inbox_rows == 1
        # The redelivered event did not touch the row it had written the first time.
        updated_at = await fetchval(
            stack.dsn(service),
            f"SELECT updated_at FROM {table} WHERE actor_id = $1",
            consumed["aggregate_id"],
        )
        assert updated_at == applied_at[service]
