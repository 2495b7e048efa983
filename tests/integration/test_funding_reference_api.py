"""Funding reference data over HTTP against real PostgreSQL: sources of every kind, the
ESIF planned-finances import, who may write what, and the FSTP caps the ledger reads."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
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
    assert len(everything) == len(set(codes(everything))) == 7 + 8, "pages neither skip nor repeat"

    in_lombardia = await list_all(funding, region="ITC4")
    assert codes(in_lombardia) == [
        "2014IT16RFOP012",
        "IT/fondo crescita",  # a national programme covers every region of its country
        "ITC4/bando innovazione filiere",
    ]
    assert codes(await list_all(funding, region="ITC41")) == codes(in_lombardia)
    # Programmes loaded from the open data are located by their Member State only.
    in_italy = codes(await list_all(funding, region="IT", kind="esif_programme"))
    assert in_italy == ["2014IT05M9OP001", "2014IT06RDRP007", "2014IT16RFOP012"]
    assert codes(await list_all(funding, region="EL", kind="esif_programme")) == ["2014GR16M2OP001"]
    assert codes(await list_all(funding, region="SE")) == ["SE/nordic photonics ventures"]
    assert codes(await list_all(funding, fund="ESF")) == [
        "2014AT05SFOP001",
        "2014GR16M2OP001",
        "2014PL16M2OP003",
    ]
    assert codes(await list_all(funding, fund="ERDF", region="PL")) == ["2014PL16M2OP003"]
    assert codes(await list_all(funding, kind="fstp_call")) == ["824060/CX-OC-2020-1"]


# --- the ESIF planned finances CSV ----------------------------------------------------------


async def test_the_import_loads_good_rows_and_reports_each_bad_one(
    funding: httpx.AsyncClient,
) -> None:
    response = await import_csv(funding, SAMPLE.read_bytes())
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["rows"] == 16
    assert (report["lines_loaded"], report["lines_created"], report["rejected"]) == (12, 12, 4)
    assert report["programmes_created"] == 9
    rejected = {r["line"]: r for r in report["rejections"]}
    assert list(rejected) == [10, 12, 13, 17]
    assert "not the total 100000100.00" in rejected[10]["reason"]
    assert rejected[10]["cci"] == "2014ES16RFOP003"
    assert "stated co-financing rate 50 % is not EU / total = 60 %" in rejected[12]["reason"]
    assert rejected[13]["reason"] == "EU Amount is empty"
    assert "'IPAE' is not an ESI fund" in rejected[17]["reason"]
    (flagged,) = report["flagged"]
    assert flagged["line"] == 11
    assert "above the 60 % ceiling" in flagged["flags"][0]

    programmes = {s["code"]: s for s in await list_all(funding, kind="esif_programme")}
    assert "2014DE16RFOP012" not in programmes, "its only row was rejected"
    assert "2014FR16M0OP007" not in programmes
    lubelskie = programmes["2014PL16M2OP003"]
    assert lubelskie["name"] == "Regional Operational Programme of Lubelskie Voivodeship, 2014-2020"
    assert (lubelskie["country"], lubelskie["regions"]) == ("PL", [])
    assert lubelskie["definition"]["managing_authority"] is None
    assert [(x["fund"], x["eu_amount"], x["national_amount"]) for x in lubelskie["lines"]] == [
        ("ERDF", "85000000.00", "15000000.00"),
        ("ESF", "42500000.50", "7500000.09"),
    ]
    assert programmes["2014GR16M2OP001"]["country"] == "EL", "GR in the file, EL stored"
    assert programmes["2014TC16RFCB052"]["country"] is None
    andalucia = programmes["2014ES16RFOP003"]
    assert [x["priority_axis"] for x in andalucia["lines"]] == ["2"]
    assert andalucia["lines"][0]["flags"] == flagged["flags"]


async def test_importing_the_same_file_again_changes_nothing(funding: httpx.AsyncClient) -> None:
    data = SAMPLE.read_bytes()
    assert (await import_csv(funding, data)).status_code == 200
    before = await list_all(funding)

    again = (await import_csv(funding, data)).json()
    assert (again["lines_loaded"], again["lines_unchanged"]) == (12, 12)
    assert (again["lines_created"], again["lines_updated"]) == (0, 0)
    assert (again["programmes_created"], again["programmes_updated"]) == (0, 0)
    assert again["programmes_unchanged"] == 9
    assert again["rejected"] == 4, "bad rows are still reported"
    assert await list_all(funding) == before, "same versions, same timestamps"

    # One amount corrected: one line and one programme change, nothing else.
    corrected = data.replace(
        b"3078584.00,3078584.00,6157168.00", b"3078584.00,3078585.00,6157169.00"
    )
    report = (await import_csv(funding, corrected)).json()
    assert (report["lines_updated"], report["programmes_updated"]) == (1, 1)
    assert report["programmes_unchanged"] == 8
    (austria,) = await list_all(funding, region="AT")
    assert austria["version"] == 2
    assert austria["lines"][0]["total_amount"] == "6157169.00"


async def test_the_import_completes_a_programme_loaded_by_api(funding: httpx.AsyncClient) -> None:
    source = await created(funding, changed(LOMBARDIA, title="POR Lombardia"))
    report = (await import_csv(funding, SAMPLE.read_bytes())).json()
    assert report["programmes_created"] == 8
    assert report["programmes_updated"] == 1

    read = (await funding.get(f"{URL}/{source['id']}", headers=auth("viewer"))).json()
    assert read["version"] == 2
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
    assert "EU Co-financing" in detail

    empty = await import_csv(funding, b"")
    assert empty.status_code == 422
    assert "empty" in empty.json()["detail"]

    json_body = await funding.post(IMPORT_URL, json={"rows": []}, headers=auth())
    assert json_body.status_code == 415

    # Readable for 600 rows (more than one batch), then not UTF-8: nothing is kept.
    header = SAMPLE.read_bytes().split(b"\n", 1)[0] + b"\n"
    rows = b"".join(
        b"AT,Austria,2014AT05SFOP001,Employment Austria,ESF,%d,08,,,More developed,"
        b"10.00,10.00,20.00,50\n" % n
        for n in range(1, 601)
    )

    async def stream() -> AsyncIterator[bytes]:
        yield header + rows  # parsed and written before the bad bytes arrive
        yield b"AT,\xff\xfe\n"

    broken = await funding.post(IMPORT_URL, content=stream(), headers={**CSV, **auth()})
    assert broken.status_code == 422
    assert "not UTF-8" in broken.json()["detail"]
    assert await list_all(funding) == []

    assert (await import_csv(funding, header + rows)).json()["lines_created"] == 600


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
    assert report["lines_loaded"] == 4
    loaded = await list_all(funding)
    assert [s["code"] for s in loaded] == ["2014IT05M9OP001", "2014IT06RDRP007", "2014IT16RFOP012"]
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
