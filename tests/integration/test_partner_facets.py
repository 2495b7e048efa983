"""matching: partner search with `total=true` and `facets=country,kind`: the candidates
the ranking reads, counted exactly against real PostgreSQL, each facet under every
constraint but its own."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.test_partner_search import NEED, search
from tests.integration.test_partner_search import world as world  # the same five actors
from tests.support.stack import auth


def counts(page: dict[str, Any], facet: str) -> list[tuple[str, int]]:
    return [(c["value"], c["count"]) for c in page["facets"][facet]]


async def test_the_total_is_every_candidate_not_only_the_page(
    matching: httpx.AsyncClient, world: dict[str, str]
) -> None:
    page = await search(matching, NEED, total="true", facets="country,kind", limit=2)
    assert len(page["items"]) == 2
    assert page["total"] == {"value": 4, "exact": True}  # all but the freight company
    everything = await search(matching, NEED, limit=100)
    assert len(everything["items"]) == 4
    assert counts(page, "country") == [("AT", 1), ("DE", 1), ("FI", 1), ("US", 1)]
    assert counts(page, "kind") == [("sme", 3), ("large_enterprise", 1)]


async def test_each_facet_is_counted_without_its_own_constraint(
    matching: httpx.AsyncClient, world: dict[str, str]
) -> None:
    body = {**NEED, "constraints": {"countries_in": ["FI", "DE"], "kinds": ["sme"]}}
    page = await search(matching, body, total="true", facets=["country", "kind"])
    assert page["total"] == {"value": 2, "exact": True}
    assert counts(page, "country") == [("DE", 1), ("FI", 1), ("US", 1)]  # SMEs anywhere
    assert counts(page, "kind") == [("sme", 2)]  # in FI and DE, any kind


async def test_the_plain_search_counts_nothing_and_unknown_facets_are_refused(
    matching: httpx.AsyncClient, world: dict[str, str]
) -> None:
    plain = await search(matching, NEED)
    assert (plain["total"], plain["facets"]) == (None, None)
    refused = await matching.post(
        "/v1/partner-searches",
        json=NEED,
        params={"facets": "country,ecosystem"},
        headers=auth("viewer"),
    )
    assert refused.status_code == 422
    assert ["query", "facets"] in [e["loc"] for e in refused.json()["errors"]]
