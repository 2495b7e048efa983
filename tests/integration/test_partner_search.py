"""Partner search through the real path: actors registered in the registry, projected by
matching from the events, searched over HTTP; scores explained and ranked fairly."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from synergia_matching.partners import scoring

from tests.support.actors import LARGE, projected, register
from tests.support.stack import auth

NEED = {
    "needs": {
        "text": "recycling of lithium batteries",
        "competences": ["materials_recycling"],
    },
    "origin_country": "DE",
    "origin_nace_codes": ["H49.41"],
}


async def search(
    matching: httpx.AsyncClient, body: dict[str, Any], **params: Any
) -> dict[str, Any]:
    response = await matching.post(
        "/v1/partner-searches", json=body, params=params, headers=auth("viewer")
    )
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def names(page: dict[str, Any]) -> list[str]:
    return [item["legal_name"] for item in page["items"]]


def component(item: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in item["components"] if c["name"] == name)
    return found


@pytest.fixture
async def world(registry: httpx.AsyncClient, matching: httpx.AsyncClient) -> dict[str, str]:
    ids = {
        # Says "recovery" and "accumulators": only synonyms and stemming find it.
        "recycler": await register(
            registry,
            "Accu Recovery Oy",
            "FI",
            offers=[
                {
                    "type": "technology_offer",
                    "title": "Recovery of lithium from spent accumulators",
                    "competences": ["materials_recycling"],
                }
            ],
            nace_codes=["E38.32"],
        ),
        "logistics": await register(
            registry,
            "Baltic Freight UAB",
            "LT",
            offers=[{"type": "business_offer", "title": "Cross-border freight logistics"}],
            nace_codes=["H49.41"],
        ),
        "large": await register(
            registry,
            "Big Battery Recycling AG",
            "AT",
            kind="large_enterprise",
            figures=LARGE,
            offers=[{"type": "technology_offer", "title": "Battery recycling plants"}],
            nace_codes=["E38.32"],
        ),
        "domestic": await register(
            registry,
            "Heimisch Recycling GmbH",
            "DE",
            offers=[{"type": "technology_offer", "title": "Battery recycling services"}],
            nace_codes=["E38.32"],
        ),
        "outsider": await register(
            registry,
            "Far Away Recycling Ltd",
            "US",
            offers=[{"type": "technology_offer", "title": "Battery recycling"}],
            nace_codes=["E38.32"],
        ),
    }
    await projected(matching, *ids.values())
    return ids


async def test_complementary_partners_rank_first_and_each_score_is_explained(
    matching: httpx.AsyncClient, world: dict[str, str]
) -> None:
    page = await search(matching, NEED)

    ranked = names(page)
    assert "Baltic Freight UAB" not in ranked, "offers nothing that is needed"
    assert ranked[0] == "Accu Recovery Oy", ranked
    top = page["items"][0]
    complementarity = component(top, "complementarity")
    assert complementarity["value"] == pytest.approx(1.0), complementarity["explanation"]
    assert "recycling" in complementarity["explanation"]
    assert "batteries" in complementarity["explanation"]
    assert "materials_recycling" in complementarity["explanation"]
    assert component(top, "cross_border")["value"] == 1.0
    assert "FI" in component(top, "cross_border")["explanation"]
    assert component(top, "sme_focus")["value"] == 1.0
    assert component(top, "mutual_benefit")["value"] is None, "no offers given"
    assert component(top, "mutual_benefit")["weight"] == 0
    assert component(top, "s3_alignment")["weight"] == 0, "no region has S3 priorities"
    assert "Accu Recovery Oy" in top["summary"]
    assert page["searched_terms"] == ["recycling", "lithium", "batteries"], "no stop words"

    by_name = {item["legal_name"]: item for item in page["items"]}
    assert component(by_name["Heimisch Recycling GmbH"], "cross_border")["value"] == 0.0
    assert component(by_name["Big Battery Recycling AG"], "sme_focus")["value"] == 0.0
    assert by_name["Big Battery Recycling AG"]["score"] < by_name["Accu Recovery Oy"]["score"]
    for item in page["items"]:
        weights = sum(c["weight"] for c in item["components"])
        assert weights == pytest.approx(1.0)
        applicable = {c["name"]: c["value"] for c in item["components"] if c["weight"]}
        assert item["score"] == pytest.approx(scoring.total(applicable), abs=1e-4), (
            "the SQL ranks by the formula of scoring.total"
        )
    scores = [item["score"] for item in page["items"]]
    assert scores == sorted(scores, reverse=True)


async def test_constraints_filter_candidates(
    matching: httpx.AsyncClient, world: dict[str, str]
) -> None:
    def with_constraints(**c: Any) -> dict[str, Any]:
        return {**NEED, "constraints": c}

    everyone = names(await search(matching, NEED))
    assert "Far Away Recycling Ltd" in everyone

    eligible = names(await search(matching, with_constraints(eligible_countries_only=True)))
    assert "Far Away Recycling Ltd" not in eligible
    assert "Accu Recovery Oy" in eligible

    abroad = names(await search(matching, with_constraints(countries_out=["DE", "US"])))
    assert "Heimisch Recycling GmbH" not in abroad
    assert "Far Away Recycling Ltd" not in abroad

    only = names(await search(matching, with_constraints(countries_in=["at"])))
    assert only == ["Big Battery Recycling AG"]

    smes = names(await search(matching, with_constraints(sme_only=True)))
    assert "Big Battery Recycling AG" not in smes

    kinds = names(await search(matching, with_constraints(kinds=["large_enterprise"])))
    assert kinds == ["Big Battery Recycling AG"]

    excluded = names(
        await search(matching, with_constraints(exclude_actor_ids=[world["recycler"]]))
    )
    assert "Accu Recovery Oy" not in excluded


async def test_established_organisations_do_not_crowd_out_newcomers(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    offer = [{"type": "technology_offer", "title": "Bio-based packaging films"}]
    incumbent = await register(registry, "Incumbent Pack SA", "FR", offers=offer)
    # The incumbent sits in three clusters and leads a value chain.
    for i in range(3):
        cluster = await register(
            registry, f"Cluster {i}", "FR", kind="cluster_organisation", figures=LARGE
        )
        joined = await registry.post(
            f"/v1/clusters/{cluster}/members", json={"actor_id": incumbent}, headers=auth()
        )
        assert joined.status_code == 201, joined.text
    newcomer = await register(registry, "Newcomer Pack SRL", "IT", offers=offer)
    better = await register(
        registry,
        "Better Fit Pack SL",
        "ES",
        offers=[
            {
                "type": "technology_offer",
                "title": "Bio-based packaging films from agri-food residues",
            }
        ],
    )
    await projected(matching, incumbent, newcomer, better)

    page = await search(
        matching, {"needs": {"text": "bio-based packaging from agri-food residues"}}
    )
    ranked = names(page)
    assert ranked[0] == "Better Fit Pack SL", "the better fit wins, whoever is established"
    scores = {item["legal_name"]: item["score"] for item in page["items"]}
    assert scores["Newcomer Pack SRL"] == scores["Incumbent Pack SA"], "memberships earn nothing"
    assert ranked.index("Newcomer Pack SRL") < ranked.index("Incumbent Pack SA"), (
        "equal fit: the more recently registered first"
    )


async def test_pages_walk_every_result_once_and_cursors_belong_to_their_search(
    matching: httpx.AsyncClient, world: dict[str, str]
) -> None:
    full = names(await search(matching, NEED))
    walked: list[str] = []
    cursor = None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = await search(matching, NEED, **params)
        walked += names(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == full

    first = await search(matching, NEED, limit=1)
    other = {**NEED, "constraints": {"sme_only": True}}
    response = await matching.post(
        "/v1/partner-searches",
        json=other,
        params={"cursor": first["next_cursor"]},
        headers=auth("viewer"),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "cursor"]


async def test_pages_rank_candidates_found_without_a_needed_term_in_their_place(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    """Candidates found only by a competence are skipped while the best text matches
    score above anything they could reach, and ranked where they belong once not."""
    need = {
        "needs": {
            "text": "zeolite perovskite membranes",
            "competences": ["materials_recycling"],
        },
        "origin_country": "DE",
    }
    strong = await register(
        registry,
        "Zeolite Perovskite Labs SRL",
        "RO",
        offers=[
            {
                "type": "technology_offer",
                "title": "Zeolite and perovskite synthesis, membranes",
                "competences": ["materials_recycling"],
            }
        ],
    )
    # An offer of one needed term: above the most a competence alone can score, so a page
    # of one (two rows read) of these two text matches shuts the gate.
    middle = await register(
        registry,
        "Perowskit Schichten GmbH",
        "AT",
        offers=[{"type": "business_offer", "title": "Perovskite films"}],
    )
    # SMEs across the border that only mention one needed term in their description:
    # just below the competence-only candidate's score, which is the most a candidate
    # without a needed term can score (its competence, uncorroborated). Two of them, so
    # a page of one (two rows read) after the middle one has a full set of text matches.
    weak = [
        await register(
            registry,
            name,
            country,
            description="Mineral trading, zeolite among others.",
            offers=[{"type": "business_offer", "title": "Bulk minerals"}],
        )
        for name, country in (("Zeolith Handel GmbH", "AT"), ("Zeolit Polska Sp. z o.o.", "PL"))
    ]
    competent = await register(
        registry,
        "Kreislauf Kompetenz s.r.o.",
        "CZ",
        offers=[
            {
                "type": "technology_offer",
                "title": "Catalyst coatings",
                "competences": ["materials_recycling"],
            }
        ],
    )
    await projected(matching, strong, middle, *weak, competent)

    full = await search(matching, need, limit=100)
    ranked = names(full)
    assert ranked[:3] == [
        "Zeolite Perovskite Labs SRL",
        "Perowskit Schichten GmbH",
        "Kreislauf Kompetenz s.r.o.",
    ], "a needed competence alone outscores a needed term mentioned once in a description"
    assert set(ranked[3:]) == {"Zeolith Handel GmbH", "Zeolit Polska Sp. z o.o."}
    walked: list[str] = []
    cursor = None
    while True:
        page = await search(matching, need, limit=1, **({"cursor": cursor} if cursor else {}))
        walked += names(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == ranked
    scores = [item["score"] for item in full["items"]]
    assert scores == sorted(scores, reverse=True)


async def walk(matching: httpx.AsyncClient, body: dict[str, Any], limit: int) -> list[str]:
    walked: list[str] = []
    cursor = None
    while True:
        page = await search(matching, body, limit=limit, **({"cursor": cursor} if cursor else {}))
        walked += names(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return walked


async def test_candidates_one_needed_term_matches_are_ranked_in_their_place(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    """The ranking reads the candidates several needed terms match first, and those one
    term matches (with or without a needed competence) only while one of them could still
    reach the page: a term offered outranks two mentioned in a description, whichever
    tier the statement reads first, on every page size."""
    need = {
        "needs": {"text": "scandia hafnia cermets", "competences": ["advanced_materials"]},
        "origin_country": "DE",
    }
    offer = {"type": "technology_offer"}
    traders = [
        (
            name,
            await register(
                registry,
                name,
                "AT",
                description="Trading of oxides, scandia and hafnia among many others.",
                offers=[{"type": "business_offer", "title": "Bulk oxides"}],
            ),
        )
        for name in ("Oxid Handel I GmbH", "Oxid Handel II GmbH", "Oxid Handel III GmbH")
    ]
    expected = {
        # Every needed term offered, and the competence.
        "Scandia Hafnia Cermets SRL": await register(
            registry,
            "Scandia Hafnia Cermets SRL",
            "RO",
            offers=[
                {
                    **offer,
                    "title": "Scandia and hafnia cermets",
                    "competences": ["advanced_materials"],
                }
            ],
        ),
        # One term offered and the competence: above the one below, which has two terms.
        "Cermet Werkstoffe s.r.o.": await register(
            registry,
            "Cermet Werkstoffe s.r.o.",
            "CZ",
            offers=[
                {
                    **offer,
                    "title": "Cermets for cutting tools",
                    "competences": ["advanced_materials"],
                }
            ],
        ),
        # One term offered: 1 of 3 terms; found in a structured offer, it counts fully.
        "Keramik Cermet GmbH": await register(
            registry,
            "Keramik Cermet GmbH",
            "AT",
            offers=[{**offer, "title": "Cermets"}],
        ),
        # Two terms, only in their descriptions: 2 of 3 at 0.4 each, less than one offered.
        # Enough of them that the gates shut on their bounds, not for want of candidates
        # (equal scores: the more recently registered first).
        **dict(reversed(traders)),
        # No needed term, only the competence (a quarter of its share).
        "Werkstoff Kompetenz Kft.": await register(
            registry,
            "Werkstoff Kompetenz Kft.",
            "HU",
            offers=[{**offer, "title": "Coatings", "competences": ["advanced_materials"]}],
        ),
    }
    await projected(matching, *expected.values())

    full = names(await search(matching, need, limit=100))
    assert [name for name in full if name in expected] == list(expected)
    for limit in (1, 2, 3):
        assert await walk(matching, need, limit) == full, f"pages of {limit}"


async def test_s3_priorities_of_the_candidates_region_count_and_are_named(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    offer = [{"type": "technology_offer", "title": "Precision fermentation for food"}]
    emilia = await register(registry, "Fermenti Emilia Srl", "IT", nuts_code="ITH55", offers=offer)
    lazio = await register(registry, "Fermenti Lazio Srl", "IT", nuts_code="ITI43", offers=offer)
    await projected(matching, emilia, lazio)
    put = await matching.put(
        "/v1/regions/ITH5/s3-priorities",
        json={
            "domains": [
                {
                    "name": "Agri-food innovation",
                    "ecosystems": ["agri_food"],
                    "keywords": ["fermentation"],
                }
            ]
        },
        headers={**auth("authority", region="ITH"), "If-Match": '"0"'},
    )
    assert put.status_code == 200, put.text

    page = await search(
        matching, {"needs": {"text": "precision fermentation", "ecosystems": ["agri_food"]}}
    )
    by_name = {item["legal_name"]: item for item in page["items"]}
    emilia_s3 = component(by_name["Fermenti Emilia Srl"], "s3_alignment")
    assert emilia_s3["value"] == 0.6667, "ecosystem and keyword, no sector"
    assert "Agri-food innovation" in emilia_s3["explanation"]
    assert "ITH5" in emilia_s3["explanation"]
    assert component(by_name["Fermenti Lazio Srl"], "s3_alignment")["value"] == 0.0
    assert names(page)[0] == "Fermenti Emilia Srl"


async def test_suggestions_for_an_actor_use_its_needs_and_offers_and_skip_its_group(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    parent = await register(
        registry,
        "Parent Recycling SE",
        "NL",
        kind="large_enterprise",
        figures=LARGE,
        offers=[{"type": "technology_offer", "title": "Battery recycling"}],
    )
    seeker = await register(
        registry,
        "Cell Maker BV",
        "NL",
        owners=[{"owner_actor_id": parent, "share_percent": "80"}],
        needs=[{"type": "technology_request", "title": "Battery recycling partner"}],
        offers=[{"type": "technology_offer", "title": "Cathode materials"}],
    )
    partner = await register(
        registry,
        "Second Life Cells SAS",
        "FR",
        offers=[{"type": "technology_offer", "title": "Battery recycling and reuse"}],
        needs=[{"type": "technology_request", "title": "Supplier of cathode materials"}],
    )
    idle = await register(registry, "No Needs Kft", "HU")
    await projected(matching, parent, seeker, partner, idle)

    response = await matching.get(f"/v1/profiles/{seeker}/partners", headers=auth("sme"))
    assert response.status_code == 200, response.text
    page = response.json()
    ranked = names(page)
    assert ranked[0] == "Second Life Cells SAS"
    assert "Parent Recycling SE" not in ranked, "a linked enterprise is the same group"
    assert "Cell Maker BV" not in ranked
    mutual = component(page["items"][0], "mutual_benefit")
    assert mutual["value"] == pytest.approx(1.0)
    assert "cathode" in mutual["explanation"]

    none = await matching.get(f"/v1/profiles/{idle}/partners", headers=auth("sme"))
    assert none.status_code == 409
    assert "no needs" in none.json()["detail"]
    unknown = await matching.get(
        "/v1/profiles/00000000-0000-0000-0000-000000000001/partners", headers=auth("sme")
    )
    assert unknown.status_code == 404
    bad_country = await matching.get(
        f"/v1/profiles/{seeker}/partners", params={"country": "France"}, headers=auth("sme")
    )
    assert bad_country.status_code == 422


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"needs": {}}, ["body", "needs"]),
        ({"needs": {"text": "the and of"}}, ["body", "needs"]),
        ({"needs": {"nace_codes": ["Z99"]}}, ["body", "needs", "nace_codes", 0]),
        ({"needs": {"competences": ["alchemy"]}}, ["body", "needs", "competences", 0]),
        ({"needs": {"text": "x"}, "colour": "red"}, ["body", "colour"]),
        (
            {"needs": {"text": "laser"}, "constraints": {"countries_in": ["XX"]}},
            ["body", "constraints", "countries_in", 0],
        ),
        (
            {
                "needs": {"text": "laser"},
                "searcher_actor_id": "00000000-0000-0000-0000-00000000000a",
            },
            ["body", "searcher_actor_id"],
        ),
    ],
)
async def test_bad_searches_are_422_naming_the_field(
    matching: httpx.AsyncClient, body: dict[str, Any], loc: list[Any]
) -> None:
    response = await matching.post("/v1/partner-searches", json=body, headers=auth("viewer"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [e["loc"] for e in response.json()["errors"]]


async def test_partner_search_needs_a_token(matching: httpx.AsyncClient) -> None:
    response = await matching.post("/v1/partner-searches", json=NEED)
    assert response.status_code == 401
    response = await matching.get("/v1/profiles/00000000-0000-0000-0000-000000000001/partners")
    assert response.status_code == 401
