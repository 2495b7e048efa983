"""Beneficiary lists name regions in words: an item's ``region`` is resolved to its NUTS
code (any language or script), and a name that is ambiguous, unknown or contradicts the
item's ``nuts_code`` refuses that item alone, saying which regions it could be."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from synergia_registry.app import create_app as create_registry
from synergia_registry.settings import RegistrySettings

from tests.support.beneficiaries import API_KEYS, BATCH, BY_KEY, CSV, by_external_id, counts, eik
from tests.support.stack import TestStack, auth, running_app


@pytest.fixture
async def registry(stack: TestStack) -> AsyncIterator[httpx.AsyncClient]:
    settings = RegistrySettings(  # type: ignore[arg-type]
        **stack.settings_kwargs("registry"), api_keys=API_KEYS
    )
    async with running_app(create_registry(settings), "http://registry") as client:
        yield client


async def test_an_authority_names_regions_in_words_in_a_csv(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    csv = (
        "external_id;legal_name;country;region;nuts_code;national_id\n"
        f"R-1;Pirin Wood OOD;BG;Blagoevgrad Province;;{eik(70)}\n"
        f"R-2;Burgas Shipyards AD;BG;Бургас;;{eik(71)}\n"
        f"R-3;Sofia Optics EOOD;BG;Sofia;BG413;{eik(72)}\n"
        f"R-4;Struma Foods EOOD;BG;Югозападен;BG413;{eik(73)}\n"
        f"R-5;Kresna Stone EOOD;BG;Blagoevgrad Provinse;;{eik(74)}\n"
    ).encode()

    response = await registry.post(CSV, content=csv, headers={**BY_KEY, "Content-Type": "text/csv"})

    assert response.status_code == 200, response.text
    items = by_external_id(response.json())
    assert [items[f"R-{n}"]["status"] for n in range(1, 6)] == [
        "registered",
        "rejected",
        "rejected",
        "registered",
        "rejected",
    ]
    blagoevgrad = await registry.get(
        f"/v1/actors/{items['R-1']['actor_id']}", headers=auth("viewer")
    )
    assert blagoevgrad.json()["nuts_code"] == "BG413"
    struma = await registry.get(f"/v1/actors/{items['R-4']['actor_id']}", headers=auth("viewer"))
    assert struma.json()["nuts_code"] == "BG413", "Югозападен (BG41) contains BG413: they agree"

    burgas = items["R-2"]["problem"]
    assert burgas["status"] == 403, "Бургас is BG341, outside the authority's BG41"
    assert "BG341" in burgas["detail"]

    mismatch = items["R-3"]["problem"]
    assert (mismatch["status"], mismatch["type"].rsplit("/", 1)[1]) == (422, "region-mismatch")
    assert "BG412" in mismatch["detail"]
    assert mismatch["errors"][0]["loc"] == ["body", "row", 4, "region"]

    unknown = items["R-5"]["problem"]
    assert unknown["type"].endswith("/unknown-region-name")
    assert unknown["errors"][0]["loc"] == ["body", "row", 6, "region"]
    assert "BG413" in [c["code"] for c in unknown["candidates"]], "the near miss is hinted at"
    assert await counts(stack) == (2, 2)


async def test_an_ambiguous_region_name_is_refused_listing_every_region_it_names(
    registry: httpx.AsyncClient, stack: TestStack
) -> None:
    body = {
        "items": [
            {
                "external_id": "A-1",
                "legal_name": "Spree Robotics GmbH",
                "country": "DE",
                "region": "Berlin",
            },
            {
                "external_id": "A-2",
                "legal_name": "Burgas Port EAD",
                "country": "BG",
                "region": "Бургас",
            },
        ]
    }

    response = await registry.post(BATCH, json=body, headers=auth("admin"))

    assert response.status_code == 200, response.text
    items = by_external_id(response.json())
    problem = items["A-1"]["problem"]
    assert (problem["status"], problem["title"]) == (422, "Ambiguous region name")
    assert [(c["code"], c["name"], c["level"]) for c in problem["candidates"]] == [
        ("DE3", "Berlin", 1),
        ("DE30", "Berlin", 2),
        ("DE300", "Berlin", 3),
    ]
    assert problem["errors"][0]["loc"] == ["body", "items", 0, "region"]
    assert items["A-2"]["status"] == "registered"
    burgas = await registry.get(f"/v1/actors/{items['A-2']['actor_id']}", headers=auth("viewer"))
    assert burgas.json()["nuts_code"] == "BG341"

    given_code = {
        "items": [
            {
                "external_id": "A-3",
                "legal_name": "Mitte Lab GmbH",
                "country": "DE",
                "region": "Berlin",
                "nuts_code": "DE300",
            }
        ]
    }
    agreed = await registry.post(BATCH, json=given_code, headers=auth("admin"))
    assert agreed.json()["items"][0]["status"] == "registered", "the code picks one of them"
    assert await counts(stack) == (2, 2)
