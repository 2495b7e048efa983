"""registry: GET /v1/actors — filters, full-text search, sorting and cursor pagination."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from synergia_shared.http.pagination import encode_cursor

from tests.support.stack import auth

ACTORS: list[dict[str, Any]] = [
    {
        "legal_name": "Baltic Battery Recyclers OU",
        "kind": "sme",
        "country": "EE",
        "nuts_code": "EE001",
        "nuts_version": "2021",
        "nace_codes": ["E38.32"],
        "ecosystems": ["energy_intensive"],
        "competences": ["materials_recycling"],
        "offers": [{"type": "technology_offer", "title": "Hydrometallurgical recycling of cells"}],
        "financials": [
            {"year": 2024, "headcount": "8", "turnover": "900000", "balance_sheet": "500000"}
        ],
    },
    {
        "legal_name": "Aragon Mobility Cluster",
        "kind": "cluster_organisation",
        "country": "ES",
        "nuts_code": "ES24",
        "nuts_version": "2021",
        "ecosystems": ["mobility_transport_automotive"],
        "needs": [{"type": "business_request", "title": "Battery suppliers for e-buses"}],
    },
    {
        "legal_name": "Chalmers Materials Lab",
        "kind": "university",
        "country": "SE",
        "nuts_code": "SE232",
        "nuts_version": "2021",
        "nace_codes": ["N72.10"],
        "competences": ["advanced_materials"],
        "description": "Solid-state electrolytes for recycled battery materials.",
    },
    {
        "legal_name": "Dresden Photonics GmbH",
        "kind": "sme",
        "country": "DE",
        "nuts_code": "DED21",
        "nuts_version": "2021",
        "nace_codes": ["C26.70"],
        "ecosystems": ["electronics", "digital"],
        "competences": ["photonics"],
        "needs": [{"type": "rd_request", "title": "Laser welding of battery tabs"}],
    },
    {
        "legal_name": "Emilia Agritech S.r.l.",
        "kind": "sme",
        "country": "IT",
        "nuts_code": "ITH5",
        "nuts_version": "2021",
        "nace_codes": ["A01.61"],
        "ecosystems": ["agri_food"],
    },
]


async def seed(registry: httpx.AsyncClient) -> dict[str, str]:
    ids = {}
    for body in ACTORS:
        response = await registry.post("/v1/actors", json=body, headers=auth())
        assert response.status_code == 201, response.text
        ids[body["legal_name"]] = response.json()["id"]
    return ids


async def names(registry: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await registry.get("/v1/actors", params=params, headers=auth("viewer"))
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return [a["legal_name"] for a in response.json()["items"]]


async def test_filters_combine_and_each_narrows_the_result(registry: httpx.AsyncClient) -> None:
    await seed(registry)

    assert await names(registry) == sorted(a["legal_name"] for a in ACTORS), "sorted by name"
    assert await names(registry, kind="sme") == [
        "Baltic Battery Recyclers OU",
        "Dresden Photonics GmbH",
        "Emilia Agritech S.r.l.",
    ]
    assert await names(registry, kind="sme", country=["DE", "IT"]) == [
        "Dresden Photonics GmbH",
        "Emilia Agritech S.r.l.",
    ]
    assert await names(registry, nuts="DED") == ["Dresden Photonics GmbH"]
    assert await names(registry, nace="C") == ["Dresden Photonics GmbH"]
    assert await names(registry, nace="E38") == ["Baltic Battery Recyclers OU"]
    assert await names(registry, ecosystem="digital") == ["Dresden Photonics GmbH"]
    assert await names(registry, competence=["photonics", "advanced_materials"]) == [
        "Chalmers Materials Lab",
        "Dresden Photonics GmbH",
    ]
    assert await names(registry, sme_category="micro") == ["Baltic Battery Recyclers OU"]
    assert await names(registry, offer_type="technology_offer") == ["Baltic Battery Recyclers OU"]
    assert await names(registry, offer_type=["business_request", "rd_request"]) == [
        "Aragon Mobility Cluster",
        "Dresden Photonics GmbH",
    ]


async def test_full_text_search_stems_and_looks_into_offers_and_needs(
    registry: httpx.AsyncClient,
) -> None:
    await seed(registry)

    # "recycled" in a description and "recycling" in an offer title both stem to "recycl".
    assert await names(registry, q="recycle") == [
        "Baltic Battery Recyclers OU",
        "Chalmers Materials Lab",
    ]
    assert await names(registry, q="batteries", kind="sme") == [
        "Baltic Battery Recyclers OU",
        "Dresden Photonics GmbH",
    ]
    assert await names(registry, q="battery -laser", kind="sme") == ["Baltic Battery Recyclers OU"]
    ranked = await names(registry, q="battery recycling", sort="relevance")
    assert ranked[0] == "Baltic Battery Recyclers OU"


async def test_cluster_membership_filter(registry: httpx.AsyncClient) -> None:
    ids = await seed(registry)
    cluster = ids["Aragon Mobility Cluster"]
    for member in ("Baltic Battery Recyclers OU", "Dresden Photonics GmbH"):
        joined = await registry.post(
            f"/v1/clusters/{cluster}/members", json={"actor_id": ids[member]}, headers=auth()
        )
        assert joined.status_code == 201, joined.text

    assert await names(registry, cluster_id=cluster) == [
        "Baltic Battery Recyclers OU",
        "Dresden Photonics GmbH",
    ]


async def test_deactivated_actors_are_left_out_unless_asked_for(
    registry: httpx.AsyncClient,
) -> None:
    ids = await seed(registry)
    gone = ids["Emilia Agritech S.r.l."]
    response = await registry.post(
        f"/v1/actors/{gone}/deactivate", headers={**auth(), "If-Match": '"1"'}
    )
    assert response.status_code == 200

    assert "Emilia Agritech S.r.l." not in await names(registry)
    assert "Emilia Agritech S.r.l." in await names(registry, include_inactive=True)


@pytest.mark.parametrize("sort", ["name", "newest", "relevance"])
async def test_cursor_pagination_walks_every_result_once(
    registry: httpx.AsyncClient, sort: str
) -> None:
    for index in range(23):
        body = {"legal_name": f"Battery maker {index:02d}", "kind": "sme", "country": "PL"}
        assert (await registry.post("/v1/actors", json=body, headers=auth())).status_code == 201

    seen: list[str] = []
    params: dict[str, Any] = {"limit": 5, "sort": sort, "q": "battery"}
    pages = 0
    while True:
        response = await registry.get("/v1/actors", params=params, headers=auth("viewer"))
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [a["legal_name"] for a in page["items"]]
        pages += 1
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]

    assert pages == 5
    assert sorted(seen) == [f"Battery maker {i:02d}" for i in range(23)]
    assert len(set(seen)) == 23, "no actor twice across pages"
    if sort == "name":
        assert seen == sorted(seen)
    if sort == "newest":
        assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"country": "XX"}, ["query", "country"]),
        ({"nuts": "1234"}, ["query", "nuts"]),
        ({"nace": "Z99"}, ["query", "nace"]),
        ({"kind": "multinational"}, ["query", "kind", 0]),
        ({"limit": 0}, ["query", "limit"]),
        ({"cursor": "garbage"}, ["query", "cursor"]),
        ({"sort": "relevance"}, ["query", "sort"]),
    ],
)
async def test_bad_search_parameters_are_422_naming_the_parameter(
    registry: httpx.AsyncClient, params: dict[str, Any], loc: list[Any]
) -> None:
    response = await registry.get("/v1/actors", params=params, headers=auth("viewer"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [e["loc"] for e in response.json()["errors"]]


async def test_search_needs_a_token_and_any_role_may_search(registry: httpx.AsyncClient) -> None:
    assert (await registry.get("/v1/actors")).status_code == 401
    for role in ("viewer", "investor", "sme", "cluster_manager", "admin"):
        assert (await registry.get("/v1/actors", headers=auth(role))).status_code == 200, role
    authority = auth("authority", region="ITH5")
    assert (await registry.get("/v1/actors", headers=authority)).status_code == 200


async def test_a_forged_cursor_is_a_problem_not_a_server_error(registry: httpx.AsyncClient) -> None:
    for sort, values in (
        ("name", ["name", "Acme", "not-a-uuid"]),
        ("newest", ["newest", "yesterday", "00000000-0000-0000-0000-000000000001"]),
        ("name", ["name", "Acme"]),
    ):
        response = await registry.get(
            "/v1/actors",
            params={"sort": sort, "cursor": encode_cursor(values)},
            headers=auth("viewer"),
        )
        assert response.status_code == 422, (sort, values, response.text)
        assert response.json()["errors"][0]["loc"] == ["query", "cursor"]
