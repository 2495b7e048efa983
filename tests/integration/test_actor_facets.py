"""registry: GET /v1/actors?total=true&facets=… — how many actors match, and how many per
country, kind, ecosystem and NACE section, each facet counted with every filter but its
own. Exact counts against real PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from synergia_registry.actors import queries

from tests.integration.test_actor_search import seed
from tests.support.stack import auth

ALL_FACETS = "country,kind,ecosystem,nace_section"


async def search(registry: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await registry.get("/v1/actors", params=params, headers=auth("viewer"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def counts(page: dict[str, Any], facet: str) -> list[tuple[str, int]]:
    return [(c["value"], c["count"]) for c in page["facets"][facet]]


async def test_without_a_filter_every_actor_is_counted(registry: httpx.AsyncClient) -> None:
    await seed(registry)
    page = await search(registry, total="true", facets=ALL_FACETS)
    assert page["total"] == {"value": 5, "exact": True}
    assert counts(page, "country") == [("DE", 1), ("EE", 1), ("ES", 1), ("IT", 1), ("SE", 1)]
    assert counts(page, "kind") == [("sme", 3), ("cluster_organisation", 1), ("university", 1)]
    assert counts(page, "ecosystem") == [
        ("agri_food", 1),
        ("digital", 1),
        ("electronics", 1),
        ("energy_intensive", 1),
        ("mobility_transport_automotive", 1),
    ]
    assert counts(page, "nace_section") == [("A", 1), ("C", 1), ("E", 1), ("N", 1)]


async def test_each_facet_is_counted_without_its_own_filter(registry: httpx.AsyncClient) -> None:
    await seed(registry)
    page = await search(registry, kind="sme", country=["DE", "IT"], total="true", facets=ALL_FACETS)
    assert [a["legal_name"] for a in page["items"]] == [
        "Dresden Photonics GmbH",
        "Emilia Agritech S.r.l.",
    ]
    assert page["total"] == {"value": 2, "exact": True}
    # Countries of SMEs, whatever the country filter: choosing EE too would add one.
    assert counts(page, "country") == [("DE", 1), ("EE", 1), ("IT", 1)]
    # Kinds in DE and IT, whatever the kind filter.
    assert counts(page, "kind") == [("sme", 2)]
    # The others are counted within the result.
    assert counts(page, "ecosystem") == [("agri_food", 1), ("digital", 1), ("electronics", 1)]
    assert counts(page, "nace_section") == [("A", 1), ("C", 1)]


async def test_array_facets_leave_out_their_own_filter_too(registry: httpx.AsyncClient) -> None:
    await seed(registry)
    page = await search(
        registry, ecosystem="digital", nace="C", facets=["ecosystem", "nace_section"]
    )
    assert [a["legal_name"] for a in page["items"]] == ["Dresden Photonics GmbH"]
    # Ecosystems of the actors in section C; sections of the actors in digital.
    assert counts(page, "ecosystem") == [("digital", 1), ("electronics", 1)]
    assert counts(page, "nace_section") == [("C", 1)]
    assert page["total"] is None
    asked = {facet for facet, found in page["facets"].items() if found is not None}
    assert asked == {"ecosystem", "nace_section"}


async def test_a_full_text_query_and_deactivation_narrow_the_counts(
    registry: httpx.AsyncClient,
) -> None:
    ids = await seed(registry)
    gone = ids["Baltic Battery Recyclers OU"]
    deactivated = await registry.post(
        f"/v1/actors/{gone}/deactivate", headers={**auth(), "If-Match": '"1"'}
    )
    assert deactivated.status_code == 200
    # "battery" is in four actors' names, descriptions, offers or needs.
    page = await search(registry, q="battery", total="true", facets="kind")
    assert page["total"] == {"value": 3, "exact": True}
    assert counts(page, "kind") == [("cluster_organisation", 1), ("sme", 1), ("university", 1)]
    page = await search(registry, q="battery", include_inactive="true", total="true", facets="kind")
    assert page["total"] == {"value": 4, "exact": True}
    assert counts(page, "kind") == [("sme", 2), ("cluster_organisation", 1), ("university", 1)]


async def test_above_the_cap_the_total_says_at_least(
    registry: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(registry)
    monkeypatch.setattr(queries, "TOTAL_EXACT_UP_TO", 3)
    page = await search(registry, total="true", limit=2)
    assert page["total"] == {"value": 3, "exact": False}
    assert len(page["items"]) == 2
    page = await search(registry, total="true", kind="sme")
    assert page["total"] == {"value": 3, "exact": True}


async def test_the_plain_search_counts_nothing_and_unknown_facets_are_refused(
    registry: httpx.AsyncClient,
) -> None:
    await seed(registry)
    page = await search(registry)
    assert (page["total"], page["facets"]) == (None, None)
    refused = await registry.get(
        "/v1/actors", params={"facets": "country,colour"}, headers=auth("viewer")
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert ["query", "facets"] in [e["loc"] for e in refused.json()["errors"]]
