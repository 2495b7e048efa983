"""Code lists: each one is what the validators accept, no more and no less, and it is
served with a strong ETag, 304 on If-None-Match and a long Cache-Control, without
credentials."""

from __future__ import annotations

import itertools
import json
import string
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from synergia_registry.code_lists import catalogue
from synergia_shared.contracts.services import create_app
from synergia_shared.events.registry import ActorKind
from synergia_shared.reference.competences import Competence
from synergia_shared.reference.countries import UnknownCountry, lookup_country
from synergia_shared.reference.ecosystems import Ecosystem
from synergia_shared.reference.nace import NACE_REVISIONS, InvalidNace, validate_nace
from synergia_shared.reference.nuts import NUTS_VERSIONS, InvalidNuts, validate_nuts


def items(body: catalogue.CacheableBody) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(body.body)["items"]
    return listed


# --- the lists are the validators' -----------------------------------------------------


def test_countries_are_exactly_the_codes_the_validator_accepts() -> None:
    listed = {c["code"]: c for c in items(catalogue.countries())}
    accepted = set()
    for pair in itertools.product(string.ascii_uppercase, repeat=2):
        try:
            accepted.add(lookup_country("".join(pair)).code)
        except UnknownCountry:
            continue
    assert accepted == set(listed)
    for code, entry in listed.items():
        country = lookup_country(code)
        assert country.code == code
        assert entry["horizon_2020"] == country.standing.value
        assert entry["horizon_europe"] == country.horizon_europe.value
        assert entry["eligible_for_consortium"] is country.eligible_for_consortium
    assert (listed["XK"]["horizon_2020"], listed["XK"]["horizon_europe"]) == (
        "third_country",
        "associated_country",
    )
    assert listed["CH"]["horizon_2020"] == "associated_country"
    assert listed["EL"]["horizon_europe"] == "member_state"
    assert "GR" not in listed
    assert "GB" not in listed


def test_country_names_are_offered_in_the_eu_languages() -> None:
    listed = {c["code"]: c for c in items(catalogue.countries())}
    greece, poland = listed["EL"]["names"], listed["PL"]["names"]
    assert (greece["en"], greece["de"], greece["el"]) == ("Greece", "Griechenland", "Ελλάδα")
    assert (poland["pl"], poland["fr"], poland["bg"]) == ("Polska", "Pologne", "Полша")
    assert len(greece) == 24, "every EU official language"
    assert listed["UK"]["names"]["de"] == "Vereinigtes Königreich"
    assert listed["XK"]["names"] == {}, "outside ISO 3166-1: no maintained translations"


@pytest.mark.parametrize("version", NUTS_VERSIONS)
def test_every_listed_nuts_region_is_accepted_as_listed(version: str) -> None:
    listed = items(catalogue.nuts_regions(version, None, None))
    assert len(listed) > (200 if version == "2016" else 1500)
    for region in listed:
        found = validate_nuts(region["code"], region["country"], version)
        assert (found.name, found.level) == (region["name"], region["level"])


NUTS_SHAPED = st.from_regex(r"[A-Z]{2}[A-Z0-9]{0,3}", fullmatch=True)
LISTED_NUTS = {
    v: {r["code"] for r in items(catalogue.nuts_regions(v, None, None))} for v in NUTS_VERSIONS
}


@settings(max_examples=400, deadline=None)
@given(
    code=st.one_of(
        NUTS_SHAPED,
        # Near the real ones: a listed code with a character more or less.
        st.sampled_from(sorted(LISTED_NUTS["2024"])).flatmap(
            lambda c: st.sampled_from([c[:-1], c + "1", c + "Z", c[:-1] + "9"])
        ),
    ),
    version=st.sampled_from(NUTS_VERSIONS),
)
def test_a_nuts_code_is_accepted_exactly_when_it_is_listed(code: str, version: str) -> None:
    try:
        validate_nuts(code, code[:2] if code[:2] != "XK" else "XK", version)
        accepted = True
    except (InvalidNuts, UnknownCountry):
        accepted = False
    if code[:2] in {"GR", "GB"}:  # the ISO forms: NUTS writes EL and UK
        assert not accepted
    assert accepted == (code in LISTED_NUTS[version])


@pytest.mark.parametrize("revision", NACE_REVISIONS)
def test_nace_codes_are_exactly_the_codes_the_validator_accepts(revision: str) -> None:
    listed = {e["code"]: e for e in items(catalogue.nace(revision, None, None))}
    accepted: dict[str, str] = {}
    candidates = [
        *string.ascii_uppercase,
        *(f"{n:02d}" for n in range(100)),
        *(f"{n:03d}" for n in range(1000)),
        *(f"{n:04d}" for n in range(10000)),
    ]
    for candidate in candidates:
        try:
            found = validate_nace(candidate, revision)
        except InvalidNace:
            continue
        accepted[found.code] = found.label
    assert set(accepted) == set(listed)
    for code, entry in listed.items():
        assert accepted[code] == entry["label"]
        assert validate_nace(code, revision).section == entry["section"] == code[0]
        assert entry["parent"] is None or entry["parent"] in listed


def test_the_correspondence_links_real_classes_with_the_same_label() -> None:
    links = items(catalogue.correspondence())
    assert {"rev2": "J62.01", "rev2_1": "K62.10", "label": "Computer programming activities"} in (
        links
    )
    for link in links:
        old, new = validate_nace(link["rev2"], "2"), validate_nace(link["rev2_1"], "2.1")
        same = {
            " ".join(label.casefold().split()) for label in (old.label, new.label, link["label"])
        }
        assert len(same) == 1
    assert len({link["rev2"] for link in links}) == len(links)


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("competences", {c.value for c in Competence}),
        ("ecosystems", {e.value for e in Ecosystem}),
        ("actor-kinds", {k.value for k in ActorKind}),
    ],
)
def test_enumerations_are_the_values_the_api_accepts(name: str, values: set[str]) -> None:
    assert {i["code"] for i in items(catalogue.enumeration(name))} == values


def test_enumerations_match_the_published_schemas(registry_doc: dict[str, Any]) -> None:
    schemas = registry_doc["components"]["schemas"]
    for name, schema in {
        "competences": "Competence",
        "ecosystems": "Ecosystem",
        "actor-kinds": "ActorKind",
        "offer-types": "OfferType",
        "participant-roles": "ParticipantRole",
        "sme-categories": "SmeCategory",
    }.items():
        assert {i["code"] for i in items(catalogue.enumeration(name))} == set(
            schemas[schema]["enum"]
        ), name
    groups = {i["code"]: i["group"] for i in items(catalogue.enumeration("offer-types"))}
    assert groups["technology_offer"] == "offer"
    assert groups["rd_request"] == "need"


# --- filters ---------------------------------------------------------------------------


def test_nuts_filters_by_country_and_level() -> None:
    bulgarian = items(catalogue.nuts_regions("2024", "BG", 3))
    assert len(bulgarian) == 28 + 1  # 28 oblasti and Extra-Regio
    assert {r["country"] for r in bulgarian} == {"BG"}
    assert {r["level"] for r in bulgarian} == {3}
    burgas = next(r for r in bulgarian if r["code"] == "BG341")
    assert (burgas["name"], burgas["latin_name"], burgas["parent"]) == ("Бургас", "Burgas", "BG34")


def test_nace_filters_by_level_and_section() -> None:
    sections = items(catalogue.nace("2.1", 1, None))
    assert [s["code"] for s in sections] == list("ABCDEFGHIJKLMNOPQRSTUV")
    assert [s["code"] for s in items(catalogue.nace("2", 1, None))] == list("ABCDEFGHIJKLMNOPQRSTU")
    k_divisions = {d["code"] for d in items(catalogue.nace("2.1", 2, "K"))}
    assert "K62" in k_divisions


# --- HTTP ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app("registry")  # no lifespan: code lists need no database nor token


@pytest.fixture(scope="module")
def registry_doc(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_a_list_has_a_strong_etag_and_answers_304_when_it_is_current(
    client: httpx.AsyncClient,
) -> None:
    first = await client.get("/v1/code-lists/countries")  # no credentials
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    assert first.headers["cache-control"] == "public, max-age=86400"
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await client.get("/v1/code-lists/countries", headers={"If-None-Match": sent})
        assert again.status_code == 304, sent
        assert again.content == b""
        assert again.headers["etag"] == etag
    changed = await client.get("/v1/code-lists/countries", headers={"If-None-Match": '"old"'})
    assert changed.status_code == 200
    assert changed.json() == first.json()


async def test_the_index_links_each_list_with_its_version_cached_for_a_year(
    client: httpx.AsyncClient,
) -> None:
    index = await client.get("/v1/code-lists")
    assert index.status_code == 200
    assert index.headers["cache-control"] == "public, max-age=3600"
    links = {item["name"]: item for item in index.json()["items"]}
    assert set(links) >= {"countries", "nuts-regions", "nace", "nace-correspondence", "ecosystems"}
    for name, link in links.items():
        answer = await client.get(link["href"])
        assert answer.status_code == 200, name
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable", name
    stale = await client.get("/v1/code-lists/countries?v=0000")
    assert stale.headers["cache-control"] == "public, max-age=86400"


async def test_each_filter_has_its_own_etag(client: httpx.AsyncClient) -> None:
    bg = await client.get("/v1/code-lists/nuts-regions", params={"country": "BG", "level": 2})
    gr = await client.get("/v1/code-lists/nuts-regions", params={"country": "GR", "level": 2})
    el = await client.get("/v1/code-lists/nuts-regions", params={"country": "EL", "level": 2})
    assert bg.headers["etag"] != gr.headers["etag"] == el.headers["etag"]
    assert {r["country"] for r in gr.json()["items"]} == {"EL"}
    uk = await client.get("/v1/code-lists/nuts-regions", params={"version": "2016", "level": 1})
    assert {r["country"] for r in uk.json()["items"]} == {"UK"}
    nace = await client.get("/v1/code-lists/nace", params={"revision": "2", "level": 1})
    assert [s["code"] for s in nace.json()["items"]][:3] == ["A", "B", "C"]


async def test_bad_filters_are_problems(client: httpx.AsyncClient) -> None:
    for url, params, where in [
        ("/v1/code-lists/nuts-regions", {"country": "QQ"}, ["query", "country"]),
        ("/v1/code-lists/nuts-regions", {"version": "2013"}, ["query", "version"]),
        ("/v1/code-lists/nace", {"level": "5"}, ["query", "level"]),
        ("/v1/code-lists/colours", {}, ["path", "name"]),
    ]:
        answer = await client.get(url, params=params)
        assert answer.status_code == 422, url
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert where in [e["loc"] for e in answer.json()["errors"]]
