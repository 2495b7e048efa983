"""Partner search over profiles written in the EU's languages: each free text is stemmed
in its language (migration 0009), a search in its own, and the controlled vocabularies
carry matching across languages."""

# ruff: noqa: RUF001  (Greek text on purpose)
from __future__ import annotations

from typing import Any

import asyncpg
import httpx
from synergia_matching import languages

from tests.integration.test_partner_search import component, names, search
from tests.support.actors import projected, register
from tests.support.stack import TestStack, auth


async def _document(stack: TestStack, actor_id: str) -> str:
    connection = await asyncpg.connect(stack.dsn("matching"))
    try:
        document: str = await connection.fetchval(
            "SELECT offers_document::text FROM actor_profiles WHERE actor_id = $1::uuid", actor_id
        )
    finally:
        await connection.close()
    return document


async def test_every_language_has_a_configuration_postgresql_ships(stack: TestStack) -> None:
    connection = await asyncpg.connect(stack.dsn("matching"))
    try:
        shipped = {r["cfgname"] for r in await connection.fetch("SELECT cfgname FROM pg_ts_config")}
    finally:
        await connection.close()
    assert set(languages.TEXT_SEARCH_CONFIGURATIONS.values()) <= shipped
    # Where PostgreSQL has a stemmer for the language, it is used.
    assert languages.text_search_configuration("et") in shipped - {"simple"}


def _offer(title: str, description: str, **fields: Any) -> dict[str, Any]:
    return {"type": "technology_offer", "title": title, "description": description, **fields}


async def test_a_german_and_a_greek_description_are_stemmed_and_found(
    stack: TestStack, registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    german = await register(
        registry,
        "Kreislauf Batterien GmbH",
        "DE",
        description="Wir recyceln gebrauchte Lithium-Ionen-Batterien aus Elektrofahrzeugen.",
        offers=[
            _offer(
                "Batterierecycling",
                "Hydrometallurgische Rückgewinnung von Lithium und Kobalt aus Batterien.",
            )
        ],
    )
    greek = await register(
        registry,
        "Ανακύκλωση Ενέργειας ΑΕ",
        "EL",
        description="Ανακύκλωση μπαταριών λιθίου από ηλεκτρικά οχήματα στη Θεσσαλονίκη.",
    )
    english = await register(
        registry,
        "Battery Loop Ltd",
        "IE",
        description="We recycle lithium-ion batteries from electric vehicles.",
        # Offered, as the German one's batteries are: a description alone counts less than
        # an offer (docs/matching.md, "Evidence counts by where it is").
        offers=[_offer("Battery recycling", "Recycling of lithium-ion batteries.")],
    )
    await projected(matching, german, greek, english)

    assert "'batteri'" in await _document(stack, german), "German stems (Batterien → batteri)"

    # "Batterie" (singular) finds "Batterien" only through the German stemmer.
    found = names(await search(matching, {"needs": {"text": "Recycling einer Batterie"}}))
    assert "Kreislauf Batterien GmbH" in found
    # A Greek need in another inflection: μπαταρία / μπαταριών, ανακυκλώνουμε / ανακύκλωση.
    greek_need = {"needs": {"text": "Ανακύκλωση της μπαταρίας λιθίου για ηλεκτρικό όχημα"}}
    assert names(await search(matching, greek_need))[0] == "Ανακύκλωση Ενέργειας ΑΕ"
    # An English search still finds the English profile, and is not stemmed in German.
    english_page = await search(matching, {"needs": {"text": "recycling of batteries"}})
    assert names(english_page)[0] == "Battery Loop Ltd"


async def test_german_stop_words_do_not_count_as_needed_terms(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    await projected(
        matching,
        await register(
            registry,
            "Die Casting Works Ltd",
            "IE",
            description="Die casting of aluminium parts for the automotive industry.",
        ),
    )
    page = await search(
        matching, {"needs": {"text": "Wir suchen die Rückgewinnung von Aluminium aus Schrott"}}
    )
    assert "die" not in page["searched_terms"], "a German stop word in a German search"
    assert {"rückgewinnung", "aluminium", "schrott"} <= set(page["searched_terms"])


async def test_a_polish_sme_whose_competence_fits_an_english_need_is_found(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    polish = await register(
        registry,
        "Odzysk Metali Sp. z o.o.",
        "PL",
        description="Odzyskujemy metale z zużytych baterii litowo-jonowych z pojazdów.",
        competences=["materials_recycling"],
        offers=[
            _offer(
                "Odzysk litu",
                "Hydrometalurgiczny odzysk litu i kobaltu z baterii.",
                competences=["materials_recycling"],
            )
        ],
    )
    unrelated = await register(
        registry,
        "Meble Drewniane Sp. z o.o.",
        "PL",
        description="Produkujemy meble z drewna litego dla hoteli i restauracji w Polsce.",
    )
    await projected(matching, polish, unrelated)
    need = {
        "needs": {"text": "battery recycling", "competences": ["materials_recycling"]},
        "origin_country": "DE",
    }
    page = await search(matching, need)
    assert names(page)[0] == "Odzysk Metali Sp. z o.o."
    assert "Meble Drewniane Sp. z o.o." not in names(page)
    # The English label of its structured competence ("Materials recycling") is indexed
    # in English on a Polish profile, so even the text alone reaches it.
    text_only = await search(matching, {"needs": {"text": "recycled materials"}})
    assert "Odzysk Metali Sp. z o.o." in names(text_only)


async def test_a_declared_language_wins_and_a_text_too_short_to_tell_is_stemmed_in_it(
    stack: TestStack, registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    declared = await register(
        registry,
        "Akku Kreis GmbH",
        "DE",
        language="de",
        offers=[_offer("Batterien", "Akkus, Zellen")],
    )
    shown = await registry.get(f"/v1/actors/{declared}", headers=auth())
    assert shown.json()["language"] == "de"
    await projected(matching, declared)
    assert "'batteri'" in await _document(stack, declared), "German stems, as declared"
    found = names(await search(matching, {"needs": {"text": "Batterie"}}))
    assert "Akku Kreis GmbH" in found

    refused = await registry.post(
        "/v1/actors",
        json={"legal_name": "Nowhere Ltd", "kind": "sme", "country": "IE", "language": "xx"},
        headers=auth(),
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["loc"] == ["body", "language"]


async def test_evidence_is_weighed_by_where_it_is_in_a_german_search_too(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    """Offered (weight A) or only said about itself (D), in German, found by a German
    search on German stems: "Rückgewinnungen" finds "Rückgewinnung" only through the German
    stemmer, in the A-only queries as in the plain ones."""
    said = "Rückgewinnung von Kobalt aus gebrauchten Batterien"
    offered = await register(
        registry,
        "Kobalt Kreislauf GmbH",
        "DE",
        language="de",
        offers=[_offer("Kobaltrückgewinnung", f"Hydrometallurgische {said}.")],
    )
    mentioned = await register(
        registry,
        "Kobalt Beratung GmbH",
        "AT",
        language="de",
        description=f"Wir beraten Unternehmen zur {said}.",
        offers=[_offer("Büroumzüge", "Umzüge von Büros und Lagern für Unternehmen.")],
    )
    await projected(matching, offered, mentioned)

    page = await search(
        matching, {"needs": {"text": "Rückgewinnungen von Kobalt aus gebrauchten Batterien"}}
    )

    assert names(page)[0] == "Kobalt Kreislauf GmbH", names(page)
    assert "von" not in page["searched_terms"], "German stop words are not terms"
    by_name = {item["legal_name"]: item for item in page["items"]}
    structured = component(by_name["Kobalt Kreislauf GmbH"], "complementarity")
    free = component(by_name["Kobalt Beratung GmbH"], "complementarity")
    assert structured["value"] == 1.0, structured["explanation"]
    assert free["value"] == 0.4, "said only in its own German description"
    assert "only in its own keywords or description" in free["explanation"]
    [matched] = by_name["Kobalt Kreislauf GmbH"]["matched_offers"]
    assert matched["title"] == "Kobaltrückgewinnung"
    assert "rückgewinnungen" in matched["terms"], "its offer named, on German stems"
    assert by_name["Kobalt Beratung GmbH"]["matched_offers"] == []


async def test_suggestions_search_in_the_language_the_needs_are_written_in(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient
) -> None:
    """A Portuguese mill asking in English: its needs are stemmed and their stop words
    dropped in English (not in Portuguese, which keeps "our" and "and" as terms nobody
    offers), so an offer of exactly that covers every term."""
    mill = await register(
        registry,
        "Papeleira do Tejo SA",
        "PT",
        description="Fábrica de papel e celulose com três máquinas de papel no vale do Tejo.",
        needs=[
            {
                "type": "technology_request",
                "title": "Predictive maintenance of our paper machines",
                "description": "Vibration analytics and maintenance of our pumps and bearings.",
            }
        ],
    )
    vendor = await register(
        registry,
        "Vibration Analytics Oy",
        "FI",
        offers=[
            _offer(
                "Predictive maintenance for paper machines",
                "Vibration analytics of pumps and bearings.",
            )
        ],
    )
    await projected(matching, mill, vendor)

    response = await matching.get(f"/v1/profiles/{mill}/partners", headers=auth("sme"))
    assert response.status_code == 200, response.text
    page = response.json()
    assert not {"our", "and", "of"} & set(page["searched_terms"]), page["searched_terms"]
    assert names(page)[0] == "Vibration Analytics Oy"
    assert component(page["items"][0], "complementarity")["value"] == 1.0
