"""The three services as separate processes, talking HTTP and Kafka."""

from __future__ import annotations

import functools
import uuid

import httpx

from tests.e2e.conftest import (
    MATCHING_CONSUMER,
    Services,
    client,
    create_actor,
    eventually,
    fetchval,
    log_lines,
    tally,
)
from tests.support.stack import TestStack, auth


async def test_actor_registered_in_registry_appears_in_matching_and_funding(
    stack: TestStack, services: Services
) -> None:
    registry, matching, funding = await services.start_all()
    correlation_id = f"e2e-{uuid.uuid4()}"
    async with client(registry) as reg, client(matching) as mat, client(funding) as fun:
        projections = {mat: "/v1/profiles", fun: "/v1/beneficiaries"}
        for http, path in projections.items():
            unknown = await http.get(f"{path}/{uuid.uuid4()}", headers=auth("viewer"))
            assert unknown.status_code == 404
            assert unknown.headers["content-type"] == "application/problem+json"

        actor = await create_actor(
            reg, "Baltic Photonics UAB", country="LT", headers={"X-Correlation-ID": correlation_id}
        )

        for http, path in projections.items():
            statuses: list[int] = []
            found = await eventually(
                functools.partial(_get, http, f"{path}/{actor['id']}", statuses),
                lambda r: r.status_code == 200,
                timeout=30,
                what=f"{path}/{actor['id']}",
            )
            # Until the event arrived the answer is a plain "not known here (yet)".
            assert set(statuses) <= {404, 200}
            assert found.json()["actor_id"] == actor["id"]
            assert found.json()["legal_name"] == "Baltic Photonics UAB"
            assert found.json()["country"] == "LT"

    # The correlation id of the POST travelled in the event into matching's logs.
    event_id = await _event_id_of(stack, actor["id"])
    applied = [
        entry
        for entry in log_lines(services.log_path("matching"))
        if entry.get("event_id") == event_id and entry.get("consumer") == MATCHING_CONSUMER
    ]
    assert applied, "matching logged nothing for the event"
    assert {e["correlation_id"] for e in applied} == {correlation_id}
    assert any(e["msg"] == "event applied" for e in applied)

    for service in ("matching", "funding"):
        counts = await tally(stack, service)
        assert (counts.rows, counts.inbox, counts.dead_letters) == (1, 1, 0)


async def _get(http: httpx.AsyncClient, path: str, statuses: list[int]) -> httpx.Response:
    response = await http.get(path, headers=auth("viewer"))
    statuses.append(response.status_code)
    return response


async def _event_id_of(stack: TestStack, actor_id: str) -> str:
    event_id = await fetchval(
        stack.dsn("registry"), "SELECT event_id FROM outbox WHERE aggregate_id = $1", actor_id
    )
    return str(event_id)
