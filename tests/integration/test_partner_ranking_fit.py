"""Partner search puts fit first (issue 17): what a candidate offers of the need decides,
its country, sector and size count in proportion to that; a competence it shares without
saying any needed term counts less than an offer that says it; the searcher's keywords
weigh more than the words of its free text. Through the real path (registry → events →
matching → HTTP)."""

from __future__ import annotations

import httpx
import pytest
from synergia_matching.partners import scoring

from tests.integration.test_partner_ranking_evidence import offer
from tests.integration.test_partner_search import component, names, search
from tests.support.actors import LARGE, projected, register


async def test_an_offer_of_the_need_outranks_a_shared_competence_from_a_better_placed_firm(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    ids = {
        # Says what is needed (without naming the competence), but is large, at home and
        # in the searcher's own sector.
        "packer": await register(
            registry,
            "Papierverpackung Süd AG",
            "DE",
            kind="large_enterprise",
            figures=LARGE,
            nace_codes=["C17.21"],
            offers=[offer("Paper food packaging")],
        ),
        # A foreign SME in another sector sharing only the broad competence: green roofs.
        "roofer": await register(
            registry,
            "Groene Daken B.V.",
            "NL",
            nace_codes=["F43.91"],
            offers=[offer("Green roofs for industrial buildings", competences=["eco_innovation"])],
        ),
    }
    await projected(matching, *ids.values())

    page = await search(
        matching,
        {
            "needs": {"text": "paper food packaging", "competences": ["eco_innovation"]},
            "origin_country": "DE",
            "origin_nace_codes": ["C17.21"],
        },
    )

    assert names(page) == ["Papierverpackung Süd AG", "Groene Daken B.V."], (
        "still found through the competence, ranked after the offer that says it"
    )
    roofer = page["items"][1]
    fit = component(roofer, "complementarity")
    assert fit["value"] == pytest.approx(scoring.UNCORROBORATED_EVIDENCE * 0.3 / 0.8, abs=1e-4), (
        "the competence share, uncorroborated by any needed term"
    )
    assert "none of the 3 needed terms" in fit["explanation"]
    assert (
        "with none of the needed terms in its offers or text, these count 0.25"
        in (fit["explanation"])
    )
    for item in page["items"]:
        applicable = {c["name"]: c["value"] for c in item["components"] if c["weight"]}
        assert item["score"] == pytest.approx(scoring.total(applicable), abs=1e-4)


async def test_an_exact_offer_from_a_large_lab_outranks_an_sme_offering_part_of_it(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    ids = {
        "lab": await register(
            registry,
            "Centre d'Essais Piles SA",
            "FR",
            kind="research_organisation",
            figures=LARGE,
            offers=[offer("Durability testing of PEM stacks on test benches")],
        ),
        # Registered last, so it would come first on a tie: an SME abroad too, offering
        # four of the five needed terms.
        "sme": await register(
            registry,
            "Banc d'Essai SARL",
            "FR",
            offers=[offer("Testing of PEM stacks on test benches")],
        ),
    }
    await projected(matching, *ids.values())

    page = await search(
        matching,
        {"needs": {"text": "durability testing PEM stacks benches"}, "origin_country": "DE"},
    )

    assert names(page) == ["Centre d'Essais Piles SA", "Banc d'Essai SARL"], (
        "being an SME counts in proportion to the fit: it does not lift four fifths of the "
        "need above all of it"
    )
    lab, sme = page["items"]
    assert component(lab, "complementarity")["value"] == 1.0
    assert component(sme, "complementarity")["value"] == 0.8
    assert component(lab, "sme_focus")["value"] == 0.0
    assert component(sme, "sme_focus")["value"] == 1.0


async def test_the_searchers_keywords_weigh_more_than_the_words_of_its_text(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    ids = {
        "drones": await register(
            registry, "Dron Rolny Sp. z o.o.", "PL", offers=[offer("Drone flights for farms")]
        ),
        # Registered last, so it would come first on a tie: one word of the free text.
        "maize": await register(
            registry, "Semințe Porumb SRL", "RO", offers=[offer("Maize seed supply")]
        ),
    }
    await projected(matching, *ids.values())

    page = await search(
        matching,
        {"needs": {"keywords": ["drones"], "text": "monitoring of maize and sunflower fields"}},
    )

    assert names(page) == ["Dron Rolny Sp. z o.o.", "Semințe Porumb SRL"]
    drones, maize = (component(item, "complementarity") for item in page["items"])
    # The keyword weighs two words of the text (monitoring, maize, sunflower, fields).
    assert scoring.KEYWORD_WEIGHT == 2
    assert drones["value"] == pytest.approx(2 / 6, abs=1e-4)
    assert maize["value"] == pytest.approx(1 / 6, abs=1e-4)
