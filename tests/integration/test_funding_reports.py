"""funding: the reports derived from the ledger, against real PostgreSQL.

Beneficiaries, ownership links and ledger entries are inserted directly (the projection
and the recording of entries have their own tests); the reports are read over HTTP.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import count
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from synergia_funding.beneficiaries.models import beneficiaries
from synergia_funding.ledger import codec
from synergia_funding.ledger.entries import (
    Entry,
    EntryKind,
    EsifFund,
    FinanceType,
    PrivateTiming,
    Source,
)
from synergia_funding.ledger.models import ledger_entries, ownership_links
from synergia_funding.ledger.repository import rebuild_nets

from tests.support.stack import TestStack, auth

CSV = {**auth("viewer"), "Accept": "text/csv"}
_ids = count(1)


def actor(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


A, B, C, D = actor(0xA), actor(0xB), actor(0xC), actor(0xD)  # A, C SMEs; B large; D unknown
Q, S, E = actor(0x51), actor(0x52), actor(0xE)  # A's parent, A's sister, a minority owner
P = uuid.UUID("9b7c3f0e-2d8a-4c51-8e0b-6a1d5f4c3b21")  # the value chain


def entry(
    beneficiary: uuid.UUID,
    source: Source,
    amount: str,
    *,
    kind: EntryKind = EntryKind.COMMITMENT,
    project: uuid.UUID | None = P,
    **fields: Any,
) -> Entry:
    n = next(_ids)
    values: dict[str, Any] = {
        "entry_id": codec.entry_id_for("test", f"e{n}"),
        "kind": kind,
        "beneficiary_id": beneficiary,
        "project_id": project,
        "source": source,
        "fund": EsifFund.ERDF if source is Source.ESIF else None,
        "instrument_id": None,
        "amount": Decimal(amount),
        "finance_type": FinanceType.GRANT,
        "entry_date": date(2025, 3, 1),
        "member_state": "IT",
        "external_system": "test",
        "external_id": f"e{n}",
        "private_timing": PrivateTiming.UPFRONT if source is Source.PRIVATE else None,
        **fields,
    }
    if kind is EntryKind.COST_ITEM:
        values.setdefault("cost_item_ref", f"cost-{n}")
    return Entry(**values)


def reversal(of: Entry) -> Entry:
    n = next(_ids)
    return Entry(
        **{
            **codec.to_row(of),
            "kind": of.kind,
            "source": of.source,
            "fund": of.fund,
            "finance_type": of.finance_type,
            "private_timing": of.private_timing,
            "entry_id": codec.entry_id_for("test", f"r{n}"),
            "external_id": f"r{n}",
            "reverses": of.entry_id,
        }
    )


def adjustment(of: Entry, delta: str, aid: str | None = None) -> Entry:
    n = next(_ids)
    return Entry(
        **{
            **codec.to_row(of),
            "kind": of.kind,
            "source": of.source,
            "fund": of.fund,
            "finance_type": of.finance_type,
            "private_timing": of.private_timing,
            "entry_id": codec.entry_id_for("test", f"a{n}"),
            "external_id": f"a{n}",
            "amount": Decimal(delta),
            "aid_equivalent": None if aid is None else Decimal(aid),
            "adjusts": of.entry_id,
        }
    )


@dataclass
class World:
    entries: list[Entry]


def _beneficiary(actor_id: uuid.UUID, country: str, sme_category: str | None) -> dict[str, Any]:
    return {
        "actor_id": actor_id,
        "legal_name": f"Actor {actor_id.int:x}",
        "kind": "sme" if sme_category in ("micro", "small", "medium") else "large_enterprise",
        "country": country,
        "registered_at": datetime(2024, 1, 1, tzinfo=UTC),
        "source_sequence": 1,
        "sme_category": sme_category,
    }


def ledger() -> list[Entry]:
    h2020_b = entry(B, Source.H2020, "200000.00", instrument_id="824060")
    h2020_b_gone = entry(B, Source.H2020, "100000.00", instrument_id="824060")
    esif_gone = entry(B, Source.ESIF, "30000.00", project=None, region_nuts="ITH55")
    national_a = entry(
        A,
        Source.NATIONAL,
        "100000.00",
        project=None,
        member_state="LT",
        entry_date=date(2024, 3, 1),
        is_de_minimis=True,
        instrument_id="LT-INNO-2024",
    )
    a_gone = entry(
        A, Source.NATIONAL, "70000.00", project=None, member_state="LT", is_de_minimis=True
    )
    return [
        # The value chain P.
        entry(A, Source.H2020, "500000.00", instrument_id="824060", member_state="LT"),
        entry(
            A,
            Source.H2020,
            "200000.00",
            kind=EntryKind.DISBURSEMENT,
            instrument_id="824060",
            member_state="LT",
        ),
        h2020_b,
        adjustment(h2020_b, "-30000.00"),  # B: 170,000
        h2020_b_gone,
        reversal(h2020_b_gone),  # B: + 0
        entry(C, Source.FSTP, "60000.00"),
        entry(C, Source.FSTP, "10000.00"),  # C: 70,000 > the FSTP cap
        entry(C, Source.FSTP, "80000.00", kind=EntryKind.DISBURSEMENT),  # > committed
        entry(D, Source.FSTP, "40000.00"),  # D's SME category is not known here
        entry(C, Source.ESIF, "200000.00", region_nuts="ITH51", instrument_id="2014IT16RFOP008"),
        entry(B, Source.ESIF, "100000.00", region_nuts="ITH52", fund=EsifFund.ESF),
        entry(C, Source.ESIF, "50000.00", region_nuts="ITC4C"),
        entry(B, Source.EFSI, "100000.00", instrument_id="EIB-IIW"),
        entry(C, Source.NATIONAL, "80000.00", region_nuts="ITH51"),
        entry(C, Source.REGIONAL, "20000.00", region_nuts="ITH55"),
        entry(A, Source.PRIVATE, "150000.00", member_state="LT"),
        entry(
            A,
            Source.PRIVATE,
            "50000.00",
            member_state="LT",
            private_timing=PrivateTiming.FOLLOW_UP,
        ),
        entry(A, Source.H2020, "1000.00", kind=EntryKind.COST_ITEM, member_state="LT"),
        # Outside the value chain.
        entry(B, Source.ESIF, "100000.00", project=None, region_nuts="ITH55"),
        esif_gone,
        reversal(esif_gone),
        # De minimis of A's single undertaking {A, Q, S}, and of E (not linked).
        national_a,
        adjustment(national_a, "20000.00"),  # 120,000, counted on 2024-03-01
        a_gone,
        reversal(a_gone),
        entry(
            S,
            Source.REGIONAL,
            "90000.00",
            project=None,
            member_state="LT",
            entry_date=date(2025, 6, 15),
            is_de_minimis=True,
        ),
        entry(
            Q,
            Source.NATIONAL,
            "50000.00",
            project=None,
            member_state="LT",
            entry_date=date(2021, 5, 1),
            is_de_minimis=True,
        ),
        entry(
            Q,
            Source.NATIONAL,
            "40000.00",
            project=None,
            member_state="DE",
            entry_date=date(2025, 1, 10),
            is_de_minimis=True,
            finance_type=FinanceType.LOAN,
            aid_equivalent=Decimal("10000.00"),
        ),
        entry(
            E,
            Source.NATIONAL,
            "100000.00",
            project=None,
            member_state="LT",
            entry_date=date(2025, 1, 1),
            is_de_minimis=True,
        ),
    ]


@pytest.fixture
async def world(stack: TestStack) -> AsyncIterator[World]:
    entries = ledger()
    engine = create_async_engine(stack.database_url("funding"))
    try:
        async with engine.begin() as conn:
            await conn.execute(
                beneficiaries.insert(),
                [
                    _beneficiary(A, "LT", "small"),
                    _beneficiary(B, "IT", "not_sme"),
                    _beneficiary(C, "IT", "micro"),
                    _beneficiary(Q, "LT", "not_sme"),
                ],
            )
            await conn.execute(
                ownership_links.insert(),
                [
                    {"actor_id": A, "owner_actor_id": Q, "share_percent": 60, "controls": False},
                    {"actor_id": S, "owner_actor_id": Q, "share_percent": 30, "controls": True},
                    {"actor_id": A, "owner_actor_id": E, "share_percent": 40, "controls": False},
                ],
            )
            await conn.execute(ledger_entries.insert(), [codec.to_row(e) for e in entries])
            await rebuild_nets(conn)  # written directly, not through the ledger writer
        yield World(entries)
    finally:
        await engine.dispose()


def by_line(lines: list[dict[str, Any]]) -> dict[str, tuple[str, str, str]]:
    return {x["line"]: (x["committed"], x["cost_claimed"], x["disbursed"]) for x in lines}


def read_csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows, "a header row and figures"
    return rows


def figure(rows: list[dict[str, str]], section: str, line: str, measure: str) -> str:
    found = [
        r["value"]
        for r in rows
        if (r["section"], r["line"], r["measure"]) == (section, line, measure)
    ]
    assert len(found) == 1, (section, line, measure, found)
    return found[0]


# --- value chain ---------------------------------------------------------------------------


async def test_value_chain_co_funding(funding: httpx.AsyncClient, world: World) -> None:
    response = await funding.get(f"/v1/value-chains/{P}/co-funding", headers=auth("viewer"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    lines = by_line(body["lines"])
    assert lines["h2020"] == ("670000.00", "1000.00", "200000.00"), "net of the corrections"
    assert lines["fstp"] == ("110000.00", "0.00", "80000.00")
    assert lines["esif.ERDF"] == ("250000.00", "0.00", "0.00")
    assert lines["esif.ESF"] == ("100000.00", "0.00", "0.00")
    assert lines["esif.CF"] == ("0.00", "0.00", "0.00"), "every line, zeros included"
    assert lines["efsi"][0] == "100000.00"
    assert lines["national"][0] == "80000.00"
    assert lines["regional"][0] == "20000.00"
    assert lines["private.upfront"][0] == "150000.00"
    assert lines["private.follow_up"][0] == "50000.00"
    assert [x["line"] for x in body["lines"]][:3] == ["h2020", "fstp", "esif.ERDF"]
    assert body["total"]["committed"] == "1530000.00"

    sme = body["sme_share"]
    assert sme["total_budget"] == "780000.00"  # H2020 + FSTP committed
    assert sme["sme_budget"] == "570000.00"  # A 500,000 + C 70,000
    assert sme["not_sme_budget"] == "170000.00"
    assert sme["unknown_budget"] == "40000.00"
    assert sme["unknown_beneficiaries"] == [str(D)]
    assert sme["percent"] == "73.07"
    assert sme["meets_threshold"] is False

    lev = body["leverage"]
    assert lev["base"] == "1230000.00"  # H2020 670k + FSTP 110k + ESIF 350k + EFSI 100k
    assert lev["other"] == "300000.00"
    assert lev["ratio"] == "0.2439"
    assert lev["private_upfront"] == "150000.00"
    assert lev["private_follow_up"] == "50000.00"

    flags = {f["rule"]: f for f in body["flags"]}
    assert set(flags) == {"fstp_cap", "disbursed_above_committed", "sme_share"}, body["flags"]
    assert flags["fstp_cap"]["details"]["beneficiary_id"] == str(C)
    assert flags["fstp_cap"]["details"]["excess"] == "10000.00"
    assert flags["disbursed_above_committed"]["details"]["excess"] == "10000.00"
    assert flags["sme_share"]["severity"] == "flag"
    assert body["entries"] == 17


async def test_value_chain_flags_see_the_undertakings_aid_elsewhere(
    funding: httpx.AsyncClient, world: World, stack: TestStack
) -> None:
    """A de minimis grant in the chain that breaks the ceiling only together with the aid
    of a linked enterprise outside the chain is flagged on the chain."""
    big = entry(
        A,
        Source.REGIONAL,
        "200000.00",
        member_state="LT",
        entry_date=date(2025, 9, 1),
        is_de_minimis=True,
    )
    engine = create_async_engine(stack.database_url("funding"))
    try:
        async with engine.begin() as conn:
            await conn.execute(ledger_entries.insert(), [codec.to_row(big)])
            await rebuild_nets(conn)
    finally:
        await engine.dispose()
    body = (await funding.get(f"/v1/value-chains/{P}/co-funding", headers=auth("sme"))).json()
    de_minimis = [f for f in body["flags"] if f["rule"] == "de_minimis"]
    assert de_minimis, body["flags"]
    # 120,000 (A) + 90,000 (S, A's sister) + 200,000 in the chain on 2025-09-01.
    assert de_minimis[0]["details"]["used"] == "410000.00"
    aid_of = {a["beneficiary_id"] for a in de_minimis[0]["details"]["aids"]}
    assert aid_of == {str(A), str(S)}


async def test_an_unknown_value_chain_is_an_empty_report(
    funding: httpx.AsyncClient, world: World
) -> None:
    response = await funding.get(
        f"/v1/value-chains/{uuid.uuid4()}/co-funding", headers=auth("viewer")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["entries"] == 0
    assert body["total"] == {"committed": "0.00", "cost_claimed": "0.00", "disbursed": "0.00"}
    assert len(body["lines"]) == 13
    assert body["sme_share"]["percent"] is None
    assert body["leverage"]["ratio"] is None
    assert body["flags"] == []
    assert any("No ledger entry" in n for n in body["notes"])


async def test_value_chain_csv(funding: httpx.AsyncClient, world: World) -> None:
    response = await funding.get(f"/v1/value-chains/{P}/co-funding", headers=CSV)
    rows = read_csv(response)
    assert response.headers["content-disposition"] == (
        f'attachment; filename="value-chain-{P}-co-funding.csv"'
    )
    assert response.text.splitlines()[0] == "section,line,measure,value,unit"
    assert figure(rows, "by_source", "esif.ERDF", "committed") == "250000.00"
    assert figure(rows, "by_source", "private.follow_up", "committed") == "50000.00"
    assert figure(rows, "total", "", "disbursed") == "280000.00"
    assert figure(rows, "sme_share", "", "percent") == "73.07"
    assert figure(rows, "leverage", "", "ratio") == "0.2439"
    assert {r["line"] for r in rows if r["section"] == "flags"} == {
        "fstp_cap",
        "disbursed_above_committed",
        "sme_share",
    }
    # Every amount with two decimals.
    assert all(r["value"].split(".")[1].__len__() == 2 for r in rows if r["unit"] == "EUR")


# --- region --------------------------------------------------------------------------------


async def test_region_co_funding(funding: httpx.AsyncClient, world: World) -> None:
    response = await funding.get(
        "/v1/regions/ith5/co-funding", headers=auth("authority", region="ITH5")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["nuts_code"] == "ITH5"
    assert body["region_name"]
    assert "region_nuts" in body["method"]
    funds = by_line(body["esif_by_fund"])
    assert list(funds) == [
        "esif.ERDF",
        "esif.ESF",
        "esif.CF",
        "esif.EAFRD",
        "esif.EMFF",
        "esif.YEI",
    ]
    # ERDF: C 200,000 in ITH51 + B 100,000 in ITH55; 30,000 reversed; ITC4C is elsewhere.
    assert funds["esif.ERDF"][0] == "300000.00"
    assert funds["esif.ESF"][0] == "100000.00"
    assert body["esif"]["committed"] == "400000.00"
    lines = by_line(body["lines"])
    assert lines["national"][0] == "80000.00"
    assert lines["regional"][0] == "20000.00"
    assert lines["h2020"][0] == "0.00", "no H2020 entry names a region"
    in_region = body["leverage_in_region"]
    assert (in_region["base"], in_region["other"], in_region["ratio"]) == (
        "400000.00",
        "100000.00",
        "0.2500",
    )
    assert body["projects_with_esif"] == 1
    in_projects = body["leverage_in_projects"]
    # P: ESIF 350,000 (wherever) and 300,000 national, regional and private.
    assert (in_projects["base"], in_projects["other"], in_projects["ratio"]) == (
        "350000.00",
        "300000.00",
        "0.8571",
    )

    country = (await funding.get("/v1/regions/IT/co-funding", headers=auth())).json()
    assert by_line(country["esif_by_fund"])["esif.ERDF"][0] == "350000.00", "ITC4C too"
    assert country["nuts_level"] == 0

    elsewhere = (await funding.get("/v1/regions/FR10/co-funding", headers=auth())).json()
    assert elsewhere["esif"]["committed"] == "0.00"
    assert elsewhere["leverage_in_region"]["ratio"] is None


@pytest.mark.parametrize("nuts", ["XX123", "ITZ9", "IT-H5", "GR30"])
async def test_a_bad_nuts_code_is_a_422(
    funding: httpx.AsyncClient, world: World, nuts: str
) -> None:
    response = await funding.get(f"/v1/regions/{nuts}/co-funding", headers=auth())
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["path", "nuts"]


async def test_region_csv(funding: httpx.AsyncClient, world: World) -> None:
    response = await funding.get("/v1/regions/ITH5/co-funding", headers=CSV)
    rows = read_csv(response)
    assert 'filename="region-ITH5-co-funding.csv"' in response.headers["content-disposition"]
    assert figure(rows, "esif", "", "committed") == "400000.00"
    assert figure(rows, "esif_by_fund", "esif.ESF", "committed") == "100000.00"
    assert figure(rows, "leverage_in_region", "", "ratio") == "0.2500"
    assert figure(rows, "leverage_in_projects", "", "projects") == "1"


# --- beneficiary ---------------------------------------------------------------------------


async def test_beneficiary_totals_and_de_minimis(funding: httpx.AsyncClient, world: World) -> None:
    response = await funding.get(
        f"/v1/beneficiaries/{A}", params={"on": "2026-06-30"}, headers=auth("sme")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["legal_name"] == f"Actor {A.int:x}", "the profile is still there"
    assert body["sme_category"] == "small"
    money = body["funding"]
    by_instrument = {
        (x["line"], x["instrument_id"]): (x["committed"], x["cost_claimed"], x["disbursed"])
        for x in money["by_instrument"]
    }
    assert by_instrument[("h2020", "824060")] == ("500000.00", "0.00", "200000.00")
    assert by_instrument[("h2020", None)] == ("0.00", "1000.00", "0.00")
    assert by_instrument[("national", "LT-INNO-2024")][0] == "120000.00", "adjusted"
    assert by_instrument[("national", None)][0] == "0.00", "reversed"
    assert by_instrument[("private.upfront", None)][0] == "150000.00"
    assert by_instrument[("private.follow_up", None)][0] == "50000.00"
    assert money["total"] == {
        "committed": "820000.00",
        "cost_claimed": "1000.00",
        "disbursed": "200000.00",
    }

    dm = money["de_minimis"]
    assert dm["on"] == "2026-06-30"
    assert set(dm["undertaking"]) == {str(A), str(Q), str(S)}, "E holds 40 %: not linked"
    states = {s["member_state"]: s for s in dm["member_states"]}
    assert set(states) == {"LT", "DE"}
    lt = states["LT"]
    assert lt["regulation"] == "Regulation (EU) 2023/2831"
    assert (lt["ceiling"], lt["used"], lt["remaining"]) == ("300000.00", "210000.00", "90000.00")
    assert [
        (a["beneficiary_id"], a["amount"], a["granted"], a["drops_out_on"]) for a in lt["aids"]
    ] == [
        (str(A), "120000.00", "2024-03-01", "2027-03-01"),
        (str(S), "90000.00", "2025-06-15", "2028-06-15"),
    ], "Q's 2021 aid has dropped out; E's is another undertaking's"
    de = states["DE"]
    assert (de["used"], de["remaining"]) == ("10000.00", "290000.00"), "the loan's aid equivalent"

    later = await funding.get(
        f"/v1/beneficiaries/{A}", params={"on": "2027-03-01"}, headers=auth("sme")
    )
    lt_later = {
        s["member_state"]: s for s in later.json()["funding"]["de_minimis"]["member_states"]
    }
    assert lt_later["LT"]["used"] == "90000.00", "A's aid drops out on 2027-03-01"

    today = (await funding.get(f"/v1/beneficiaries/{A}", headers=auth("sme"))).json()
    assert today["funding"]["de_minimis"]["on"] == datetime.now(UTC).date().isoformat()


async def test_beneficiary_without_money_has_an_empty_report(
    funding: httpx.AsyncClient, world: World, stack: TestStack
) -> None:
    body = (await funding.get(f"/v1/beneficiaries/{Q}", headers=auth())).json()
    assert body["funding"]["total"]["committed"] == "90000.00"  # its two de minimis grants
    lone = actor(0xF00)
    engine = create_async_engine(stack.database_url("funding"))
    try:
        async with engine.begin() as conn:
            await conn.execute(beneficiaries.insert(), [_beneficiary(lone, "IT", None)])
    finally:
        await engine.dispose()
    body = (await funding.get(f"/v1/beneficiaries/{lone}", headers=auth())).json()
    assert body["funding"]["by_instrument"] == []
    assert body["funding"]["de_minimis"]["member_states"] == []
    assert body["funding"]["de_minimis"]["undertaking"] == [str(lone)]


async def test_a_beneficiary_known_only_from_the_ledger_is_still_a_404(
    funding: httpx.AsyncClient, world: World
) -> None:
    response = await funding.get(f"/v1/beneficiaries/{D}", headers=auth())
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    csv_too = await funding.get(f"/v1/beneficiaries/{D}", headers=CSV)
    assert csv_too.status_code == 404


async def test_beneficiary_csv(funding: httpx.AsyncClient, world: World) -> None:
    response = await funding.get(f"/v1/beneficiaries/{A}", params={"on": "2026-06-30"}, headers=CSV)
    rows = read_csv(response)
    assert response.headers["content-disposition"] == (
        f'attachment; filename="beneficiary-{A}-funding-2026-06-30.csv"'
    )
    assert figure(rows, "by_instrument", "h2020|824060", "disbursed") == "200000.00"
    assert figure(rows, "de_minimis", "LT", "remaining") == "90000.00"
    aid_lines = {r["line"] for r in rows if r["section"] == "de_minimis_aid"}
    assert len(aid_lines) == 3  # two in LT, one in DE
    drops = sorted(r["value"] for r in rows if r["measure"] == "drops_out_on")
    assert drops == ["2027-03-01", "2028-01-10", "2028-06-15"]


# --- negotiation and auth ------------------------------------------------------------------

PATHS = [
    f"/v1/value-chains/{P}/co-funding",
    "/v1/regions/ITH5/co-funding",
    f"/v1/beneficiaries/{A}",
]


@pytest.mark.parametrize("path", PATHS)
async def test_negotiation(funding: httpx.AsyncClient, world: World, path: str) -> None:
    for accept, expected in (
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("text/csv;q=0.5, application/json", "application/json"),
        ("application/json;q=0.1, text/csv", "text/csv"),
        ("text/*", "text/csv"),
        ("text/csv, */*;q=0.8", "text/csv"),
    ):
        response = await funding.get(path, headers={**auth(), "Accept": accept})
        assert response.status_code == 200, (accept, response.text)
        assert response.headers["content-type"].split(";")[0] == expected, accept
    for accept in ("application/xml", "text/html", "text/csv;q=0, application/json;q=0"):
        response = await funding.get(path, headers={**auth(), "Accept": accept})
        assert response.status_code == 406, (accept, response.text)
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", PATHS)
async def test_reports_need_a_token(funding: httpx.AsyncClient, path: str) -> None:
    response = await funding.get(path)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_chains_fstp_call_with_a_lower_cap_raises_the_fstp_flag(
    funding: httpx.AsyncClient, world: World
) -> None:
    call = {
        "kind": "fstp_call",
        "value_chain_id": str(P),
        "grant_agreement_number": "824060",
        "call_identifier": "CX-OC-2020-9",
        "title": "Vouchers with a lower cap",
        "opens_on": "2020-03-02",
        "closes_on": "2020-05-29",
        "per_third_party_cap": "50000.00",
        "total_budget": "1200000.00",
    }
    created = await funding.post("/v1/funding-sources", json=call, headers=auth("admin"))
    assert created.status_code == 201, created.text
    body = (await funding.get(f"/v1/value-chains/{P}/co-funding", headers=auth("viewer"))).json()
    flags = {f["rule"]: f for f in body["flags"]}
    assert flags["fstp_cap"]["details"]["excess"] == "20000.00", "70,000 against 50,000"
