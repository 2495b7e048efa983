"""Region names resolved to NUTS over HTTP: one region, or a problem listing candidates."""

from __future__ import annotations

import httpx

from tests.support.stack import auth

RESOLVE = "/v1/nuts-regions:resolve"


async def test_any_reader_resolves_a_bulgarian_name_in_english_or_cyrillic(
    registry: httpx.AsyncClient,
) -> None:
    for name in ("Blagoevgrad Province", "Благоевград"):
        answer = await registry.get(
            RESOLVE, params={"name": name, "country": "BG"}, headers=auth("authority", region="BG")
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "code": "BG413",
            "name": "Благоевград",
            "latin_name": "Blagoevgrad",
            "level": 3,
            "country": "BG",
            "version": "2024",
        }


async def test_an_ambiguous_name_is_a_problem_listing_every_candidate(
    registry: httpx.AsyncClient,
) -> None:
    answer = await registry.get(RESOLVE, params={"name": "Nord-Est"}, headers=auth("viewer"))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"].endswith("/ambiguous-region-name")
    assert [(c["code"], c["level"]) for c in problem["candidates"]] == [("ITH", 1), ("RO21", 2)]
    assert "narrow it down by country or level" in problem["detail"]

    settled = await registry.get(
        RESOLVE, params={"name": "Nord-Est", "country": "RO"}, headers=auth("viewer")
    )
    assert settled.json()["code"] == "RO21"


async def test_an_unknown_name_is_a_404_with_near_misses_never_applied(
    registry: httpx.AsyncClient,
) -> None:
    answer = await registry.get(
        RESOLVE, params={"name": "Veliko Turnovo", "country": "BG"}, headers=auth("viewer")
    )
    assert answer.status_code == 404
    problem = answer.json()
    assert problem["type"].endswith("/unknown-region-name")
    assert [c["code"] for c in problem["candidates"]] == ["BG321"]
    assert "Veliko Turnovo" in problem["detail"]


async def test_bad_filters_are_validation_problems_naming_the_parameter(
    registry: httpx.AsyncClient,
) -> None:
    for params, loc in (
        ({"name": "Burgas", "country": "XX"}, ["query", "country"]),
        ({"name": "Burgas", "level": "4"}, ["query", "level"]),
        ({"name": "Burgas", "version": "2013"}, ["query", "version"]),
        ({"name": ""}, ["query", "name"]),
    ):
        answer = await registry.get(RESOLVE, params=params, headers=auth("viewer"))
        assert answer.status_code == 422, params
        assert answer.json()["errors"][0]["loc"] == loc


async def test_the_lookup_needs_credentials(registry: httpx.AsyncClient) -> None:
    answer = await registry.get(RESOLVE, params={"name": "Burgas"})
    assert answer.status_code == 401
