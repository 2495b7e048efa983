"""Funding reference data over HTTP against real PostgreSQL: sources of every kind, the
ESIF planned-finances import, who may write what, and the FSTP caps the ledger reads."""

from __future__ import annotations

import copy
import csv
import io
import re
import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import create_async_engine
from synergia_funding.ledger.rules import FstpCaps
from synergia_funding.reference.repository import fstp_caps
from synergia_shared.db import create_session_factory, unit_of_work

from tests.support.stack import TestStack, auth

SAMPLE = Path(__file__).parents[1] / "fixtures" / "esif_planned_finances_sample.csv"
URL = "/v1/funding-sources"
IMPORT_URL = f"{URL}/esif-programmes:import"
CSV = {"Content-Type": "text/csv"}
D = Decimal
VALUE_CHAIN = "8a1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

H2020: dict[str, Any] = {
    "kind": "h2020_grant",
    "grant_agreement_number": "824060",
    "acronym": "ClusterXchange",
    "topic": "INNOSUP-01-2018-2020",
    "call_identifier": "H2020-INNOSUP-2018-2020",
    "start_date": "2019-02-01",
    "end_date": "2022-01-31",
    "ec_contribution": "4999937.50",
    "total_eligible_cost": "4999937.50",
}
FSTP: dict[str, Any] = {
    "kind": "fstp_call",
    "value_chain_id": VALUE_CHAIN,
    "grant_agreement_number": "824060",
    "call_identifier": "CX-OC-2020-1",
    "title": "Open call for SME innovation vouchers",
    "opens_on": "2020-03-02",
    "closes_on": "2020-05-29",
    "per_third_party_cap": "60000.00",
    "per_project_cap": "150000.00",
    "total_budget": "1200000.00",
}
LOMBARDIA: dict[str, Any] = {
    "kind": "esif_programme",
    "cci": "2014IT16RFOP012",
    "title": "POR Lombardia FESR 2014-2020",
    "managing_authority": "Regione Lombardia - DG Sviluppo Economico",
    "regions": ["ITC4"],
    "lines": [
        {
            "fund": "ERDF",
            "priority_axis": "3",
            "thematic_objective": "03",
            "category_of_region": "more_developed",
            "eu_amount": "97000000.00",
            "national_amount": "97000000.00",
            "co_financing_rate": "0.5",
        }
    ],
}
EFSI: dict[str, Any] = {
    "kind": "efsi_window",
    "window": "eif_sme_window",
    "implemented_by": "EIF",
    "operation_name": "InnovFin SME Guarantee - Banca Example",
    "operation_reference": "EIF-2018-0042",
    "financial_intermediary": "Banca Example S.p.A.",
    "finance_type": "guarantee",
    "amount": "50000000.00",
    "country": "IT",
    "signed_on": "2018-06-15",
}
NATIONAL: dict[str, Any] = {
    "kind": "national_programme",
    "name": "Bando Innovazione Filiere",
    "level": "regional",
    "country": "IT",
    "region": "ITC4",
    "managing_body": "Regione Lombardia",
    "finance_types": ["grant", "loan"],
    "budget": "20000000.00",
    "state_aid_basis": "de_minimis",
}
INVESTOR: dict[str, Any] = {
    "kind": "private_investor",
    "name": "Nordic Photonics Ventures",
    "investor_type": "venture_capital",
    "country": "SE",
    "finance_types": ["equity"],
}
ALL_KINDS: list[dict[str, Any]] = [H2020, FSTP, LOMBARDIA, EFSI, NATIONAL, INVESTOR]


def authority(region: str) -> dict[str, str]:
    return auth("authority", region=region)


def changed(source: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(source), **changes}


async def post(
    funding: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await funding.post(URL, json=body, headers=headers or auth("admin"))


async def created(funding: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await post(funding, body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def list_all(funding: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await funding.get(URL, params=query, headers=auth("viewer"))
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def import_csv(
    funding: httpx.AsyncClient, content: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await funding.post(IMPORT_URL, content=content, headers={**CSV, **(headers or auth())})


def errors_at(response: httpx.Response) -> dict[tuple[str | int, ...], str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {tuple(e["loc"]): e["msg"] for e in response.json()["errors"]}


# --- create, read, list, replace ------------------------------------------------------------


async def test_every_kind_is_stored_and_read_back(funding: httpx.AsyncClient) -> None:
    codes = {}
    for body in ALL_KINDS:
        response = await post(funding, body)
        assert response.status_code == 201, response.text
        source = response.json()
        assert response.headers["location"] == f"{URL}/{source['id']}"
        assert response.headers["etag"] == '"1"'
        assert source["kind"] == body["kind"]
        codes[body["kind"]] = source["code"]

        read = await funding.get(response.headers["location"], headers=auth("sme"))
        assert read.status_code == 200
        assert read.headers["etag"] == '"1"'
        assert read.json() == source

    assert codes == {
        "h2020_grant": "824060",
        "fstp_call": "824060/CX-OC-2020-1",
        "esif_programme": "2014IT16RFOP012",
        "efsi_window": "EIF-2018-0042",
        "national_programme": "ITC4/bando innovazione filiere",
        "private_investor": "SE/nordic photonics ventures",
    }
    listed = await list_all(funding)
    assert [(s["kind"], s["code"]) for s in listed] == sorted(codes.items())

    lombardia = next(s for s in listed if s["kind"] == "esif_programme")
    assert (lombardia["name"], lombardia["regions"], lombardia["country"]) == (
        "POR Lombardia FESR 2014-2020",
        ["ITC4"],
        "IT",
    )
    assert lombardia["definition"]["managing_authority"] == LOMBARDIA["managing_authority"]
    (line,) = lombardia["lines"]
    assert line["total_amount"] == "194000000.00", "the total is EU + national when omitted"
    assert D(line["co_financing_rate"]) == D("0.5")
    assert line["flags"] == []
    fstp = next(s for s in listed if s["kind"] == "fstp_call")
    assert fstp["project_id"] == VALUE_CHAIN
    assert fstp["definition"]["per_third_party_cap"] == "60000.00"
    assert next(s for s in listed if s["kind"] == "h2020_grant")["lines"] is None


async def test_posting_a_stored_source_again_is_safe_and_other_content_conflicts(
    funding: httpx.AsyncClient,
) -> None:
    first = await created(funding, LOMBARDIA)

    # Same values spelt differently (0.50 for 0.5, the total given): the same programme.
    again_body = changed(LOMBARDIA)
    again_body["lines"][0] |= {"co_financing_rate": "0.50", "total_amount": "194000000"}
    again = await post(funding, again_body)
    assert again.status_code == 200, again.text
    assert again.json() == first
    assert again.headers["location"] == f"{URL}/{first['id']}"

    other = changed(LOMBARDIA, managing_authority="Another authority")
    conflict = await post(funding, other)
    assert conflict.status_code == 409
    problem = conflict.json()
    assert "PUT" in problem["detail"]
    assert first["id"] in problem["detail"]
    assert conflict.headers["location"] == f"{URL}/{first['id']}"
    assert len(await list_all(funding)) == 1


async def test_a_retried_create_with_an_idempotency_key_gets_the_first_answer(
    funding: httpx.AsyncClient,
) -> None:
    headers = {**auth("admin"), "Idempotency-Key": "load-h2020-824060"}
    first = await post(funding, H2020, headers)
    retry = await post(funding, H2020, headers)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"


async def test_a_replace_needs_the_current_version(funding: httpx.AsyncClient) -> None:
    source = await created(funding, H2020)
    url = f"{URL}/{source['id']}"
    body = changed(H2020, ec_contribution="4500000.00")

    blind = await funding.put(url, json=body, headers=auth())
    assert blind.status_code == 428

    replaced = await funding.put(url, json=body, headers={**auth(), "If-Match": '"1"'})
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["etag"] == '"2"'
    assert replaced.json()["definition"]["ec_contribution"] == "4500000.00"
    assert replaced.json()["created_at"] == source["created_at"]

    stale = await funding.put(url, json=H2020, headers={**auth(), "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["etag"] == '"2"'
    read = await funding.get(url, headers=auth("viewer"))
    assert read.json()["definition"]["ec_contribution"] == "4500000.00", "nothing overwritten"

    other_kind = await funding.put(url, json=INVESTOR, headers={**auth(), "If-Match": '"2"'})
    assert ("body", "kind") in errors_at(other_kind)

    missing = await funding.put(
        f"{URL}/{uuid.uuid4()}", json=H2020, headers={**auth(), "If-Match": '"1"'}
    )
    assert missing.status_code == 404


async def test_replacing_a_programme_replaces_its_whole_plan(funding: httpx.AsyncClient) -> None:
    source = await created(funding, LOMBARDIA)
    body = changed(LOMBARDIA)
    body["lines"] = [
        {
            "fund": "ERDF",
            "priority_axis": "1",
            "thematic_objective": "01",
            "category_of_region": "more_developed",
            "eu_amount": "175000000.00",
            "national_amount": "175000000.00",
            "co_financing_rate": "0.5",
        },
        {
            "fund": "ERDF",
            "priority_axis": "4",
            "thematic_objective": "04",
            "category_of_region": "more_developed",
            "eu_amount": "90000000.00",
            "national_amount": "10000000.00",
            "co_financing_rate": "0.9",
        },
    ]
    replaced = await funding.put(
        f"{URL}/{source['id']}", json=body, headers={**auth(), "If-Match": '"1"'}
    )
    assert replaced.status_code == 200, replaced.text
    lines = replaced.json()["lines"]
    assert [line["priority_axis"] for line in lines] == ["1", "4"], "axis 3 is gone"
    (flag,) = lines[1]["flags"]
    assert "above the 50 % ceiling for ERDF in more developed regions" in flag


async def test_bad_input_is_a_problem_naming_the_field(funding: httpx.AsyncClient) -> None:
    unknown = await post(funding, changed(H2020, budget_line="X"))
    assert errors_at(unknown)[("body", "h2020_grant", "budget_line")] == "unknown field"

    bad_cci = await post(funding, changed(LOMBARDIA, cci="2014IT16XXOP012"))
    assert "fund code XX" in errors_at(bad_cci)[("body", "esif_programme", "cci")]

    not_adding_up = changed(LOMBARDIA)
    not_adding_up["lines"][0]["total_amount"] = "194000000.01"
    msg = errors_at(await post(funding, not_adding_up))[
        ("body", "esif_programme", "lines", 0, "total_amount")
    ]
    assert "not the total 194000000.01" in msg

    wrong_rate = changed(LOMBARDIA)
    wrong_rate["lines"][0]["co_financing_rate"] = "0.6"
    assert ("body", "esif_programme", "lines", 0, "co_financing_rate") in errors_at(
        await post(funding, wrong_rate)
    )

    high_cap = await post(funding, changed(FSTP, per_third_party_cap="100000.00"))
    assert (
        "cap_exception_basis" in errors_at(high_cap)[("body", "fstp_call", "per_third_party_cap")]
    )

    region = await funding.get(URL, params={"region": "ZZ9"}, headers=auth("viewer"))
    assert ("query", "region") in errors_at(region)
    cursor = await funding.get(URL, params={"cursor": "nonsense"}, headers=auth("viewer"))
    assert ("query", "cursor") in errors_at(cursor)
    assert await list_all(funding) == [], "nothing invalid was stored"


# --- who may write ---------------------------------------------------------------------------


async def test_an_authority_writes_programmes_within_its_region_only(
    funding: httpx.AsyncClient,
) -> None:
    mine = await post(funding, LOMBARDIA, authority("ITC"))
    assert mine.status_code == 201, mine.text
    assert mine.json()["updated_by"] == "test-authority"

    outside = await post(funding, changed(NATIONAL, name="Other call"), authority("ITH"))
    assert outside.status_code == 403
    assert "ITH" in outside.json()["detail"]
    assert "ITC4" in outside.json()["detail"]

    national = changed(NATIONAL, level="national", region=None)
    country_wide = await post(funding, national, authority("ITC"))
    assert country_wide.status_code == 403, "a national programme is not the region's"
    assert (await post(funding, national, authority("IT"))).status_code == 201

    grant = await post(funding, H2020, authority("ITC"))
    assert grant.status_code == 403
    assert "only an admin" in grant.json()["detail"]
    assert (await post(funding, INVESTOR, auth("sme"))).status_code == 403
    assert (await funding.post(URL, json=INVESTOR)).status_code == 401

    url = f"{URL}/{mine.json()['id']}"
    moved = changed(LOMBARDIA, regions=["ITC4", "ITH5"])
    away = await funding.put(url, json=moved, headers={**authority("ITC"), "If-Match": '"1"'})
    assert away.status_code == 403, "an authority cannot move its programme out of its region"
    foreign = await funding.put(
        url, json=LOMBARDIA, headers={**authority("ITH"), "If-Match": '"1"'}
    )
    assert foreign.status_code == 403
    read = await funding.get(url, headers=auth("investor"))
    assert read.json()["regions"] == ["ITC4"]
    assert read.headers["etag"] == '"1"'


# --- lists --------------------------------------------------------------------------------------


async def test_sources_are_found_by_kind_region_and_fund_a_page_at_a_time(
    funding: httpx.AsyncClient,
) -> None:
    for body in ALL_KINDS:
        await created(funding, body)
    await created(funding, changed(NATIONAL, name="Fondo Crescita", level="national", region=None))
    imported = await import_csv(funding, SAMPLE.read_bytes())
    assert imported.status_code == 200, imported.text

    def codes(items: list[dict[str, Any]]) -> list[str]:
        return [s["code"] for s in items]

    everything = await list_all(funding, limit="2")
    assert len(everything) == len(set(codes(everything))) == 7 + 18, "pages neither skip nor repeat"

    in_lombardia = await list_all(funding, region="ITC4")
    assert codes(in_lombardia) == [
        "2014IT16RFOP012",
        "IT/fondo crescita",  # a national programme covers every region of its country
        "ITC4/bando innovazione filiere",
    ]
    assert codes(await list_all(funding, region="ITC41")) == codes(in_lombardia)
    # Programmes loaded from the open data are located by their Member State only.
    in_italy = codes(await list_all(funding, region="IT", kind="esif_programme"))
    assert in_italy == ["2014IT05M9OP001", "2014IT06RDRN001", "2014IT06RDRP007", "2014IT16RFOP012"]
    assert codes(await list_all(funding, region="EL", kind="esif_programme")) == ["2014GR16M2OP001"]
    assert codes(await list_all(funding, region="SE")) == ["SE/nordic photonics ventures"]
    assert codes(await list_all(funding, fund="ESF")) == [
        "2014AT05SFOP001",
        "2014LT16MAOP001",
        "2014PL16M2OP003",
    ]
    assert codes(await list_all(funding, interreg="true")) == INTERREG
    assert codes(await list_all(funding, fund="ERDF", region="PL")) == ["2014PL16M2OP003"]
    assert codes(await list_all(funding, kind="fstp_call")) == ["824060/CX-OC-2020-1"]


# --- the ESIF planned finances CSV ----------------------------------------------------------


# Every row of the sample the import refuses, with what its reason says.
REFUSED = {
    23: "Fund: 'IPA' is not an ESI fund but another instrument",
    24: "fund code I5 is not an ESIF fund code",
    31: "EU 80000000.00 + national 20000000.00 = 100000000.00, not the total 100000100.00",
    33: "the stated co-financing rate 50 % is not EU / total = 60 %",
    34: "repeats line 4 (same CCI, fund, priority, thematic objective, category of region, "
    "EAFRD measure and focus area)",
    35: "Ver 3 of 2014IT16RFOP012, where line 3 states 4: a file holds one version",
    36: "EU Amount is empty",
}
INTERREG = ["2014TC16M4TN002", "2014TC16RFCB052", "2014TC16RFPC001"]
Sums = dict[str | None, list[Decimal]]


def sample_rows() -> list[tuple[int, dict[str, str]]]:
    """The sample's data rows with their line numbers (no row spans lines)."""
    with SAMPLE.open(encoding="utf-8", newline="") as file:
        return [(n, row) for n, row in enumerate(csv.DictReader(file), start=2)]


def expected_sums(by: Callable[[dict[str, str]], str | None]) -> Sums:
    """EU, national and total of the loaded rows, added up from the file by ``by``."""
    sums: Sums = {}
    for line, row in sample_rows():
        if line not in REFUSED:
            amounts = [D(row[c]) for c in ("EU Amount", "National Amount", "Total Amount")]
            key = by(row)
            sums[key] = [a + b for a, b in zip(sums.get(key, [D(0)] * 3), amounts, strict=True)]
    return sums


def country_of(row: dict[str, str]) -> str:
    country = row["CCI"][4:6]
    return "EL" if country == "GR" else country  # TC for Interreg, whatever MS says


BY: dict[str, Callable[[dict[str, str]], str | None]] = {
    "country": country_of,
    "fund": lambda row: row["Fund"],
    "programme": lambda row: row["CCI"],
    "thematic-objective": lambda row: row["TO_code"] or None,
}


async def totals(funding: httpx.AsyncClient, by: str) -> dict[str, Any]:
    response = await funding.get(
        f"{URL}/esif-programmes/totals", params={"by": by}, headers=auth("viewer")
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def amounts(item: dict[str, Any]) -> list[Decimal]:
    return [D(item[c]) for c in ("eu_amount", "national_amount", "total_amount")]


async def test_the_official_file_imports_to_the_cent(funding: httpx.AsyncClient) -> None:
    """Acceptance: every valid row loads, every other is refused with its line and reason,
    and the API's totals per country, fund, programme, thematic objective and in all equal
    what the file holds, to the cent."""
    response = await import_csv(funding, SAMPLE.read_bytes())
    assert response.status_code == 200, response.text
    report = response.json()
    rows = sample_rows()
    assert report["rows"] == len(rows) == 36
    assert report["rows"] == report["lines_loaded"] + report["rejected"]
    assert report["lines_loaded"] == report["lines_created"] == len(rows) - len(REFUSED)
    refused = {r["line"]: r for r in report["rejections"]}
    assert list(refused) == list(REFUSED)
    for line, fragment in REFUSED.items():
        assert fragment in refused[line]["reason"], refused[line]
        assert refused[line]["cci"] == dict(rows)[line]["CCI"]
    assert [f["line"] for f in report["flagged"]] == [8, 32], "85 % to the cent is not flagged"

    for by, key_of in BY.items():
        answer = await totals(funding, by)
        got = {item["key"]: amounts(item) for item in answer["items"]}
        assert got == expected_sums(key_of), by
        (everything,) = expected_sums(lambda row: None).values()
        assert amounts(answer["total"]) == everything
        assert answer["total"]["lines"] == report["lines_loaded"]
    by_country = {item["key"]: item for item in (await totals(funding, "country"))["items"]}
    assert by_country["TC"]["programmes"] == 3
    assert "EL" in by_country
    assert "GR" not in by_country

    # The same figures as CSV, the total last.
    as_csv = await funding.get(
        f"{URL}/esif-programmes/totals",
        params={"by": "fund"},
        headers={**auth("viewer"), "Accept": "text/csv"},
    )
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert {
        r["fund"]: [D(r["eu_amount"]), D(r["national_amount"]), D(r["total_amount"])]
        for r in table[:-1]
    } == expected_sums(BY["fund"])
    assert table[-1]["fund"] == "total"

    programmes = {s["code"]: s for s in await list_all(funding, kind="esif_programme")}
    assert len(programmes) == 19
    assert "2014DE16RFOP012" not in programmes, "its only row was rejected"
    assert "2014TC16I5CB005" not in programmes, "IPA is not ESIF"
    lubelskie = programmes["2014PL16M2OP003"]
    assert lubelskie["name"] == "Regional Operational Programme of Lubelskie Voivodeship, 2014-2020"
    assert (lubelskie["country"], lubelskie["regions"], lubelskie["programme_version"]) == (
        "PL",
        [],
        4,
    )
    assert lubelskie["definition"]["managing_authority"] is None
    assert programmes["2014GR16M2OP001"]["country"] == "EL", "GR in the file, EL stored"
    rural = programmes["2014IT06RDRP007"]["lines"]
    assert [(x["priority_axis"], x["eafrd_measure"], x["eafrd_focus_area"]) for x in rural] == [
        (None, "M113", None),
        (None, "M20", None),
        ("P2", "M04", "2A"),
        ("P3", "M04", "3A"),
        ("P4", "M10", "4A"),
        ("P4", "M10", "4B"),
        ("P4", "M11", "4A"),
    ]
    assert [x["priority_axis"] for x in programmes["2014PT14MFOP001"]["lines"]] == [None, None]
    andalucia = programmes["2014ES16RFOP003"]
    assert [x["priority_axis"] for x in andalucia["lines"]] == ["2"]
    assert andalucia["lines"][0]["flags"] == report["flagged"][1]["flags"]


async def test_importing_the_same_file_again_changes_nothing(funding: httpx.AsyncClient) -> None:
    data = SAMPLE.read_bytes()
    first = (await import_csv(funding, data)).json()
    before = await list_all(funding)
    sums = {by: await totals(funding, by) for by in BY}

    again = (await import_csv(funding, data)).json()
    loaded = first["lines_loaded"]
    assert (again["lines_loaded"], again["lines_unchanged"]) == (loaded, loaded)
    assert (again["lines_created"], again["lines_updated"], again["lines_retired"]) == (0, 0, 0)
    assert (again["programmes_created"], again["programmes_updated"]) == (0, 0)
    assert again["programmes_unchanged"] == 19
    assert again["rejections"] == first["rejections"], "bad rows are still reported"
    assert await list_all(funding) == before, "same versions, same timestamps"
    assert {by: await totals(funding, by) for by in BY} == sums

    # One amount corrected in the same version: one line and one programme change.
    corrected = data.replace(b"3078584,3078584,6157168", b"3078584,3078585,6157169")
    report = (await import_csv(funding, corrected)).json()
    assert (report["lines_updated"], report["programmes_updated"]) == (1, 1)
    assert report["programmes_unchanged"] == 18
    (austria,) = await list_all(funding, region="AT", fund="ESF")
    assert austria["version"] == 2
    assert austria["lines"][0]["total_amount"] == "6157169.00"


def rows_of(cci: str, *, ver: str | None = None) -> list[bytes]:
    """The sample's rows of one programme, the version changed if ``ver``."""
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    found = [
        line
        for n, line in enumerate(lines[1:], start=2)
        if cci.encode() in line and n not in REFUSED
    ]
    if ver is not None:
        found = [
            re.sub(rb"^([^,]*,[^,]*,[^,]*,)[0-9]+,", rb"\g<1>" + ver.encode() + b",", line)
            for line in found
        ]
    return found


async def test_a_newer_version_replaces_the_plan_and_an_older_one_is_refused(
    funding: httpx.AsyncClient,
) -> None:
    header = SAMPLE.read_bytes().splitlines(keepends=True)[0]
    assert (await import_csv(funding, SAMPLE.read_bytes())).status_code == 200
    rural = {s["code"]: s for s in await list_all(funding, fund="EAFRD")}["2014IT06RDRP007"]
    assert (rural["programme_version"], len(rural["lines"])) == (6, 7)

    # Version 7 drops the discontinued measure and raises M20: one retired, one updated.
    version_7 = [
        line.replace(b"4312000,5688000,10000000", b"8624000,11376000,20000000")
        if b",M20," in line
        else line
        for line in rows_of("2014IT06RDRP007", ver="7")
        if b",M113," not in line
    ]
    file_eu = sum(
        D(row["EU Amount"])
        for row in csv.DictReader(io.StringIO((header + b"".join(version_7)).decode()))
    )
    report = (await import_csv(funding, header + b"".join(version_7))).json()
    assert report["rejected"] == 0, report["rejections"]
    assert (report["lines_updated"], report["lines_retired"]) == (1, 1)
    assert (report["programmes_updated"], report["programmes_new_version"]) == (1, 1)
    read = (await funding.get(f"{URL}/{rural['id']}", headers=auth("viewer"))).json()
    assert (read["programme_version"], read["version"]) == (7, rural["version"] + 1)
    assert [x["eafrd_measure"] for x in read["lines"]] == ["M20", "M04", "M04", "M10", "M10", "M11"]
    assert sum(D(x["eu_amount"]) for x in read["lines"]) == file_eu

    # The same version again changes nothing.
    again = (await import_csv(funding, header + b"".join(version_7))).json()
    assert (again["lines_unchanged"], again["programmes_unchanged"]) == (6, 1)
    assert (again["lines_retired"], again["programmes_new_version"]) == (0, 0)

    # The old version (the whole sample) is refused for this programme, row by row.
    old = (await import_csv(funding, SAMPLE.read_bytes())).json()
    stale = [r for r in old["rejections"] if r["cci"] == "2014IT06RDRP007"]
    assert [r["line"] for r in stale] == list(range(10, 17))
    assert all(
        r["reason"] == "Ver 6 of 2014IT06RDRP007 is older than version 7, which is already "
        "held: an older version is not loaded (import the current one)"
        for r in stale
    )
    assert old["rows"] == old["lines_loaded"] + old["rejected"]
    assert (await funding.get(f"{URL}/{rural['id']}", headers=auth("viewer"))).json() == read


async def test_interreg_programmes_are_found_and_loaded_by_whoever_is_entitled(
    funding: httpx.AsyncClient,
) -> None:
    # An authority cannot vouch for a programme of no single Member State.
    report = (await import_csv(funding, SAMPLE.read_bytes(), authority("IT"))).json()
    interreg = [r for r in report["rejections"] if r["cci"] in INTERREG and r["line"] != 23]
    assert [r["line"] for r in interreg] == [20, 21, 22]  # 23 is IPA, refused anyway
    assert all(
        "an Interreg programme: no single Member State and no declared regions" in r["reason"]
        for r in interreg
    )
    assert not [r for r in report["rejections"] if "None" in r["reason"]]

    # An admin loads them; they are found by the filter, with no country.
    assert (await import_csv(funding, SAMPLE.read_bytes())).status_code == 200
    found = await list_all(funding, interreg="true")
    assert [(s["code"], s["country"]) for s in found] == [(c, None) for c in INTERREG]
    others = await list_all(funding, interreg="false")
    assert len(others) == 16
    assert not {s["code"] for s in others} & set(INTERREG)
    assert [s["code"] for s in await list_all(funding, interreg="true", fund="ERDF")] == INTERREG

    # Again by the authority: the rows are refused the same way, saying where they are.
    again = (await import_csv(funding, SAMPLE.read_bytes(), authority("IT"))).json()
    assert [r["line"] for r in again["rejections"] if r["cci"] in INTERREG] == [20, 21, 22, 23]
    assert not [r for r in again["rejections"] if "None" in r["reason"]]


async def test_an_authority_loads_an_interreg_programme_declared_within_its_region(
    funding: httpx.AsyncClient,
) -> None:
    body = changed(
        LOMBARDIA,
        cci="2014TC16RFCB052",
        title="Interreg V-A Italia-Österreich",
        managing_authority="Provincia autonoma di Bolzano",
        regions=["ITH1", "ITH3"],
    )
    body["lines"][0]["category_of_region"] = None
    stored = await created(funding, body)
    assert (stored["country"], stored["programme_version"]) == (None, None)

    report = (await import_csv(funding, SAMPLE.read_bytes(), authority("ITH"))).json()
    assert 21 not in {r["line"] for r in report["rejections"]}, "its regions are the authority's"
    assert report["programmes_new_version"] == 1
    assert report["lines_retired"] == 1, "the plan the POST stated gives way to version 2"
    read = (await funding.get(f"{URL}/{stored['id']}", headers=auth("viewer"))).json()
    assert (read["programme_version"], read["regions"]) == (2, ["ITH1", "ITH3"])
    assert [(x["eu_amount"], x["national_amount"]) for x in read["lines"]] == [
        ("70000000.00", "12352941.18")
    ]


async def test_totals_are_refused_in_a_form_nobody_asked_for(funding: httpx.AsyncClient) -> None:
    url = f"{URL}/esif-programmes/totals"
    empty = await funding.get(url, params={"by": "fund"}, headers=auth("viewer"))
    assert empty.json()["items"] == []
    assert empty.json()["total"]["eu_amount"] in ("0", "0.00")
    xml = await funding.get(
        url, params={"by": "fund"}, headers={**auth("viewer"), "Accept": "application/xml"}
    )
    assert xml.status_code == 406
    wrong = await funding.get(url, params={"by": "region"}, headers=auth("viewer"))
    assert ("query", "by") in errors_at(wrong)


async def test_the_import_completes_a_programme_loaded_by_api(funding: httpx.AsyncClient) -> None:
    source = await created(funding, changed(LOMBARDIA, title="POR Lombardia"))
    report = (await import_csv(funding, SAMPLE.read_bytes())).json()
    assert report["programmes_created"] == 18
    assert report["programmes_updated"] == 1

    read = (await funding.get(f"{URL}/{source['id']}", headers=auth("viewer"))).json()
    assert (read["version"], read["programme_version"]) == (2, 4)
    assert read["definition"]["managing_authority"] == LOMBARDIA["managing_authority"]
    assert read["regions"] == ["ITC4"], "what the API said stays"
    assert read["name"] == read["definition"]["title"] == "POR Lombardia FESR 2014-2020"
    assert [x["priority_axis"] for x in read["lines"]] == ["1", "3"]


async def test_a_file_that_is_not_the_planned_finances_is_refused_whole(
    funding: httpx.AsyncClient,
) -> None:
    missing = await import_csv(
        funding, b"MS,CCI,Fund,Priority,Amount\nIT,2014IT16RFOP012,ERDF,1,5\n"
    )
    assert missing.status_code == 422
    detail = missing.json()["detail"]
    assert "missing Category of region, EU Amount, National Amount, Total Amount" in detail
    assert "EU co-financing" in detail

    empty = await import_csv(funding, b"")
    assert empty.status_code == 422
    assert "empty" in empty.json()["detail"]

    json_body = await funding.post(IMPORT_URL, json={"rows": []}, headers=auth())
    assert json_body.status_code == 415

    # Readable for 2,100 rows (more than one batch), then not UTF-8: nothing is kept.
    header = SAMPLE.read_bytes().split(b"\n", 1)[0] + b"\n"
    rows = b"".join(
        b"AT,Austria,2014AT05SFOP001,3,Employment Austria,ESF,%d,08,,,More developed,,,,,"
        b"10.00,10.00,20.00,50\n" % n
        for n in range(1, 2101)
    )

    async def stream() -> AsyncIterator[bytes]:
        yield header + rows  # parsed and written before the bad bytes arrive
        yield b"AT,\xff\xfe\n"

    broken = await funding.post(IMPORT_URL, content=stream(), headers={**CSV, **auth()})
    assert broken.status_code == 422
    assert "not UTF-8" in broken.json()["detail"]
    assert await list_all(funding) == []

    assert (await import_csv(funding, header + rows)).json()["lines_created"] == 2100


async def test_a_spreadsheets_semicolons_and_decimal_commas_import_and_ambiguity_is_refused(
    funding: httpx.AsyncClient,
) -> None:
    """The dialect the authority items' CSV shares (``csv_dialect``), through the import."""
    content = (
        b"MS;CCI;Title;Fund;Priority;TO;Category of region;EU Amount;National Amount;"
        b"Total Amount;EU Co-financing\r\n"
        b"IT;2014IT16RFOP012;POR Lombardia;ERDF;1;01;More developed;1.234.567,89;"
        b"1 234 567,89;2.469.135,78;50,00\r\n"
        b"IT;2014IT16RFOP012;POR Lombardia;ERDF;2;03;More developed;1,234;0;1,234;100\r\n"
    )
    response = await import_csv(funding, content)
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["lines_loaded"], report["rejected"]) == (1, 1)
    (ambiguous,) = report["rejections"]
    assert ambiguous["line"] == 3
    assert ambiguous["reason"].startswith(
        "EU Amount '1,234' is ambiguous: a decimal or a thousands separator before three digits"
    )
    (programme,) = await list_all(funding, kind="esif_programme")
    assert [(x["eu_amount"], x["national_amount"]) for x in programme["lines"]] == [
        ("1234567.89", "1234567.89")
    ]


async def test_an_authority_imports_only_its_own_programmes(funding: httpx.AsyncClient) -> None:
    report = (await import_csv(funding, SAMPLE.read_bytes(), authority("IT"))).json()
    assert report["lines_loaded"] == 11
    loaded = await list_all(funding)
    assert [s["code"] for s in loaded] == [
        "2014IT05M9OP001",
        "2014IT06RDRN001",
        "2014IT06RDRP007",
        "2014IT16RFOP012",
    ]
    austria = next(r for r in report["rejections"] if r["line"] == 2)
    assert "not within your region IT" in austria["reason"]

    regional = (await import_csv(funding, SAMPLE.read_bytes(), authority("ITC"))).json()
    assert regional["lines_loaded"] == 0, "programmes located by Member State only"
    assert (await import_csv(funding, SAMPLE.read_bytes(), auth("viewer"))).status_code == 403


# --- FSTP caps for the ledger -----------------------------------------------------------------


async def test_fstp_caps_of_each_project(funding: httpx.AsyncClient, stack: TestStack) -> None:
    one, two, none = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await created(funding, changed(FSTP, value_chain_id=str(one)))
    await created(
        funding,
        changed(
            FSTP,
            value_chain_id=str(one),
            call_identifier="CX-OC-2021-2",
            per_third_party_cap="50000.00",
            per_project_cap="100000.00",
            total_budget="800000.00",
        ),
    )
    await created(
        funding,
        changed(
            FSTP,
            value_chain_id=str(two),
            grant_agreement_number="101037123",
            cap_exception_basis="WP 2018-2020 Part 7, topic INNOSUP-01: up to EUR 100,000",
            per_third_party_cap="100000.00",
            per_project_cap=None,
            total_budget=None,
        ),
    )

    engine = create_async_engine(stack.database_url("funding"))
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            caps = await fstp_caps(session, [one, two, none])
    finally:
        await engine.dispose()

    assert caps == {
        # The strictest cap per third party; the calls' budgets bound the project's total.
        one: FstpCaps(per_third_party=D("50000.00"), per_project=D("2000000.00")),
        # A call without a budget leaves the total unbounded.
        two: FstpCaps(per_third_party=D("100000.00"), per_project=None),
        none: FstpCaps(),
    }
