"""What the OpenAPI documents say is what the services do: a 405 names every method of
the path, a body that is not UTF-8 is a documented 422, dates are ISO dates only, and a
write that needs If-Match is a 428 without it."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support.actors import register
from tests.support.stack import auth


def _problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status
    return body


async def test_a_405_allows_every_method_of_the_path(registry: httpx.AsyncClient) -> None:
    response = await registry.delete(f"/v1/actors/{uuid.uuid4()}", headers=auth())
    _problem(response, 405)
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert {"GET", "PATCH"} <= allowed, response.headers["allow"]
    assert "DELETE" not in allowed

    collection = await registry.put("/v1/actors", headers=auth())
    _problem(collection, 405)
    assert {m.strip() for m in collection.headers["allow"].split(",")} >= {"GET", "POST"}


async def test_a_body_that_is_not_utf8_is_a_422_naming_the_body(
    registry: httpx.AsyncClient,
) -> None:
    response = await registry.post(
        "/v1/actors",
        content=b'{"legal_name": "Caf\xe9 Ltd"}',
        headers={**auth(), "Content-Type": "application/json"},
    )
    problem = _problem(response, 422)
    assert problem["errors"] == [
        {"loc": ["body"], "msg": "not UTF-8 text (invalid byte at offset 19)"}
    ]


@pytest.mark.parametrize("on", ["0", "1700000000", "2026-6-30", "30.06.2026", "2026-02-30"])
async def test_a_date_parameter_takes_iso_dates_only(funding: httpx.AsyncClient, on: str) -> None:
    response = await funding.get(
        f"/v1/beneficiaries/{uuid.uuid4()}", params={"on": on}, headers=auth()
    )
    problem = _problem(response, 422)
    assert problem["errors"][0]["loc"] == ["query", "on"], problem  # type: ignore[index]


async def test_a_date_field_takes_iso_dates_only(registry: httpx.AsyncClient) -> None:
    cluster = await register(registry, "Date Cluster", "DE", kind="cluster_organisation")
    member = await register(registry, "Date Member GmbH", "DE")
    response = await registry.post(
        f"/v1/clusters/{cluster}/members",
        json={"actor_id": member, "joined_on": 0},
        headers=auth(),
    )
    problem = _problem(response, 422)
    assert problem["errors"] == [  # type: ignore[comparison-overlap]
        {
            "loc": ["body", "joined_on"],
            "msg": "a date is written YYYY-MM-DD, as in 2026-06-30 (not a number, nor a time)",
        }
    ]
    iso = await registry.post(
        f"/v1/clusters/{cluster}/members",
        json={"actor_id": member, "joined_on": "2026-01-15"},
        headers=auth(),
    )
    assert iso.status_code == 201, iso.text


async def test_deactivation_without_if_match_is_a_428_and_with_a_stale_one_a_412(
    registry: httpx.AsyncClient,
) -> None:
    actor = await register(registry, "Precondition SME", "DE")
    blind = await registry.post(f"/v1/actors/{actor}/deactivate", headers=auth())
    problem = _problem(blind, 428)
    assert problem["title"] == "Precondition Required"
    stale = await registry.post(
        f"/v1/actors/{actor}/deactivate", headers={**auth(), "If-Match": '"7"'}
    )
    _problem(stale, 412)
    done = await registry.post(
        f"/v1/actors/{actor}/deactivate", headers={**auth(), "If-Match": '"1"'}
    )
    assert done.status_code == 200, done.text


async def test_a_missing_if_match_beside_other_errors_is_listed_with_them(
    registry: httpx.AsyncClient,
) -> None:
    actor = await register(registry, "Two Errors SME", "DE")
    response = await registry.patch(f"/v1/actors/{actor}", json={"legal_name": 5}, headers=auth())
    problem = _problem(response, 422)
    locs = [e["loc"] for e in problem["errors"]]  # type: ignore[attr-defined]
    assert ["header", "If-Match"] in locs, locs
    assert ["body", "legal_name"] in locs, locs
