"""Partner search on uneven profiles (issue 17): inflections are one term, a multi-word
keyword is a phrase, evidence counts by where it is written, and each result says which
of its offers matched — through the real path (registry → events → matching → HTTP)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.integration.test_partner_search import component, names, search
from tests.support.actors import projected, register
from tests.support.stack import auth


def offer(title: str, **fields: Any) -> dict[str, Any]:
    return {"type": "technology_offer", "title": title, **fields}


async def test_inflections_of_a_term_are_one_term_named_once(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    recycler = await register(
        registry, "Akku Kreislauf GmbH", "AT", offers=[offer("Recycled battery packs")]
    )
    await projected(matching, recycler)

    page = await search(
        matching,
        {
            "needs": {
                "keywords": ["batteries"],
                "text": "Recycling of batteries: a battery recycled, recycling batteries",
            }
        },
    )

    assert page["searched_terms"] == ["batteries", "recycling"], "one term per stem"
    top = page["items"][0]
    assert top["legal_name"] == "Akku Kreislauf GmbH"
    complementarity = component(top, "complementarity")
    assert complementarity["value"] == 1.0, complementarity["explanation"]
    terms = complementarity["explanation"].split(";")[0]
    assert terms == "its offers cover 2 of 2 needed terms (batteries, recycling)", terms


async def test_a_multi_word_keyword_matches_as_a_phrase_on_its_stems(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    ids = {
        "collector": await register(
            registry, "Zbiórka Baterii Sp. z o.o.", "PL", offers=[offer("Battery collection")]
        ),
        "inflected": await register(
            registry, "Sammelstelle GmbH", "DE", offers=[offer("Batteries collection points")]
        ),
        # Has both words, not as the phrase.
        "scattered": await register(
            registry,
            "Museum Services BV",
            "NL",
            offers=[offer("Art collection care; battery-powered lighting")],
        ),
    }
    await projected(matching, *ids.values())

    page = await search(matching, {"needs": {"keywords": ["battery collection"]}})

    assert page["searched_terms"] == ["battery collection"]
    found = names(page)
    assert set(found) == {"Zbiórka Baterii Sp. z o.o.", "Sammelstelle GmbH"}, found
    for item in page["items"]:
        assert component(item, "complementarity")["value"] == 1.0


async def test_s3_priority_keywords_of_several_words_match_as_phrases(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    collector = await register(
        registry,
        "Raccolta Pile Srl",
        "IT",
        nuts_code="ITC4C",
        offers=[offer("Battery collection")],
    )
    await projected(matching, collector)
    put = await matching.put(
        "/v1/regions/ITC4/s3-priorities",
        json={"domains": [{"name": "Circular batteries", "keywords": ["battery collection"]}]},
        headers={**auth("authority", region="ITC"), "If-Match": '"0"'},
    )
    assert put.status_code == 200, put.text

    for needs in (
        {"keywords": ["battery collection"]},
        {"text": "we organise the collection of spent batteries and batteries collection"},
    ):
        page = await search(matching, {"needs": needs})
        s3 = component(page["items"][0], "s3_alignment")
        assert s3["value"] == 0.3333, (needs, s3["explanation"])
        assert "battery collection" in s3["explanation"]

    page = await search(matching, {"needs": {"text": "collection of spent batteries"}})
    s3 = component(page["items"][0], "s3_alignment")
    assert s3["value"] == 0.0, "the words of the phrase apart are not the phrase"


async def test_a_structured_offer_beats_keyword_stuffing_and_repetition_adds_nothing(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    words = "battery recycling lithium hydrometallurgy"
    ids = {
        "recycler": await register(
            registry,
            "Lithium Loop Oy",
            "FI",
            offers=[offer("Lithium battery recycling by hydrometallurgy")],
        ),
        # Says it once, in its description, and offers something else.
        "mention": await register(
            registry,
            "Mention Consulting Oy",
            "FI",
            description=f"Consultancy; we follow {words}.",
            offers=[offer("Office relocation")],
        ),
        # Registered last, so it would come first on a tie: every word, over and over,
        # in its keywords and description; its only offer is something else.
        "stuffer": await register(
            registry,
            "Stuffed Profile Oy",
            "FI",
            keywords=["battery", "recycling", "lithium", "hydrometallurgy", "batteries"],
            description=" ".join([words] * 30),
            offers=[offer("Office relocation")],
        ),
    }
    await projected(matching, *ids.values())

    page = await search(
        matching, {"needs": {"text": "lithium battery recycling by hydrometallurgy"}}
    )

    by_name = {item["legal_name"]: item for item in page["items"]}
    assert names(page)[0] == "Lithium Loop Oy", names(page)
    recycler = component(by_name["Lithium Loop Oy"], "complementarity")
    stuffer = component(by_name["Stuffed Profile Oy"], "complementarity")
    mention = component(by_name["Mention Consulting Oy"], "complementarity")
    assert recycler["value"] == 1.0
    assert stuffer["value"] == 0.4, "free text counts 0.4 of an offer"
    assert mention["value"] == stuffer["value"], "thirty repetitions count as one mention"
    assert by_name["Stuffed Profile Oy"]["score"] == by_name["Mention Consulting Oy"]["score"]
    assert "only in its own keywords or description" in stuffer["explanation"]
    assert "only in its own" not in recycler["explanation"]


async def test_a_result_names_the_offers_that_matched_and_weights_carry_no_float_noise(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    recycler = await register(
        registry,
        "Two Offers SIA",
        "LV",
        offers=[
            offer("Freight forwarding"),
            offer("Battery recycling line", competences=["materials_recycling"]),
            offer("Recovery of cobalt", keywords=["hydrometallurgy"]),
        ],
    )
    await projected(matching, recycler)

    response = await matching.post(
        "/v1/partner-searches",
        json={
            "needs": {
                "text": "battery recycling",
                "competences": ["materials_recycling"],
            },
            "origin_country": "DE",
            "origin_nace_codes": ["H49.41"],
        },
        headers=auth("viewer"),
    )
    assert response.status_code == 200, response.text
    assert not re.search(r"\d\.\d{5,}", response.text), "no float noise anywhere"
    item = response.json()["items"][0]

    assert [(o["title"], o["terms"], o["competences"]) for o in item["matched_offers"]] == [
        ("Battery recycling line", ["battery", "recycling"], ["materials_recycling"]),
        ("Recovery of cobalt", ["recycling"], []),
    ], "recovery ≈ recycling; the freight offer matched nothing"
    explanation = component(item, "complementarity")["explanation"]
    assert "'Battery recycling line'" in explanation
    weights = [c["weight"] for c in item["components"]]
    assert all(w == round(w, 4) for w in weights), weights
    assert round(sum(weights), 4) == 1.0, "the shown weights still add up to 1"
