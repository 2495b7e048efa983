"""Regional authority systems push commitments, cost items and payments: over HTTP in
batches, as CSV, and on Kafka. Each item counts once per (authority, external id)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from synergia_funding.app import create_app as create_funding
from synergia_funding.authority import intake
from synergia_funding.authority.rehoming import rehome_all
from synergia_funding.ledger.repository import REBUILD_NETS
from synergia_funding.settings import FundingSettings
from synergia_shared.db import unit_of_work
from synergia_shared.events.funding import AuthorityEventsSubmittedV1
from synergia_shared.events.topics import FUNDING_AUTHORITY_INBOUND
from synergia_shared.messaging.outbox import build_event

from tests.support.funding import (
    API_KEYS,
    BATCH,
    BAVARIA_KEY,
    LEAD_CLUSTER,
    LOMBARDIA,
    announce_chain,
    beneficiary,
    chain_item,
    commitment,
    eventually,
    payment,
    query,
    record_for_chain,
)
from tests.support.stack import TestStack, auth, running_app


@pytest.fixture
async def funding(stack: TestStack) -> AsyncIterator[httpx.AsyncClient]:
    settings = FundingSettings(  # type: ignore[arg-type]
        **stack.settings_kwargs("funding"), api_keys=json.dumps(API_KEYS)
    )
    async with running_app(create_funding(settings), "http://funding") as client:
        yield client


LIST = "/v1/authority-events"


async def post(funding: httpx.AsyncClient, items: list[dict[str, Any]]) -> dict[str, Any]:
    response = await funding.post(BATCH, json={"items": items}, headers=LOMBARDIA)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def entry_count(stack: TestStack) -> int:
    return int((await query(stack, "SELECT count(*) FROM ledger_entries"))[0][0])


async def test_a_mixed_batch_applies_the_valid_items_parks_the_early_payment_and_refuses_the_rest(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    items = [
        payment("PAY-1", sme, of="COM-1"),  # before its commitment, which is not in this batch
        commitment("COM-0", sme),
        {**commitment("BAD-1", sme), "amount": "12.345"},
        {**commitment("BAD-2", sme), "colour": "blue"},
        commitment("ROME-1", sme, region_nuts="ITI43"),  # Lazio: outside Lombardia
        {**commitment("BAD-3", sme), "fund": None},  # ESIF without its fund
    ]
    body = await post(funding, items)
    by_id = {item["external_id"]: item for item in body["items"]}
    assert [i["index"] for i in body["items"]] == list(range(6))
    assert (body["applied"], body["parked"], body["rejected"]) == (1, 1, 4)
    assert body["authority"] == "authority:ITC4"

    assert by_id["COM-0"]["status"] == "applied"
    assert by_id["PAY-1"]["status"] == "parked"
    assert by_id["PAY-1"]["waiting_for"] == ["COM-1"]
    bad_amount = by_id["BAD-1"]["problem"]
    assert bad_amount["status"] == 422
    assert bad_amount["errors"][0]["loc"] == ["body", "items", 2, "amount"]
    assert by_id["BAD-2"]["problem"]["errors"][0] == {
        "loc": ["body", "items", 3, "colour"],
        "msg": "unknown field",
    }
    rome = by_id["ROME-1"]["problem"]
    assert rome["status"] == 403
    assert "ITI43" in rome["detail"]
    assert "ITC4" in rome["detail"]
    assert by_id["BAD-3"]["problem"]["status"] == 422
    assert "fund" in by_id["BAD-3"]["problem"]["detail"]
    assert await entry_count(stack) == 1

    # The commitment arrives: the parked payment is applied with it.
    later = await post(funding, [commitment("COM-1", sme)])
    assert later["items"][0]["status"] == "applied"
    rows = await query(stack, "SELECT external_id FROM ledger_entries ORDER BY seq")
    assert [r["external_id"] for r in rows] == ["COM-0", "COM-1", "PAY-1"]
    assert not await query(stack, "SELECT 1 FROM parked_entries")

    # The whole first batch resent (a retry after a lost answer): same results, nothing new.
    again = await post(funding, items)
    replayed = {item["external_id"]: item for item in again["items"]}
    assert replayed["COM-0"]["status"] == "applied"
    assert replayed["COM-0"]["replayed"]
    assert replayed["PAY-1"]["status"] == "applied", "it has been applied since"
    assert replayed["PAY-1"]["replayed"]
    assert replayed["PAY-1"]["entry_id"] == by_id["PAY-1"]["entry_id"]
    assert replayed["ROME-1"]["problem"]["status"] == 403
    assert await entry_count(stack) == 3


async def test_a_payment_before_its_commitment_in_one_batch_is_applied_with_it(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    body = await post(funding, [payment("P", sme, of="C"), commitment("C", sme)])
    assert [i["status"] for i in body["items"]] == ["applied", "applied"]
    events = await query(
        stack, "SELECT event_type FROM outbox WHERE aggregate_id = $1 ORDER BY id", str(sme)
    )
    assert [e["event_type"] for e in events] == [
        "eu.synergia.funding.commitment.recorded.v1",
        "eu.synergia.funding.disbursement.recorded.v1",
    ]


async def test_rules_refuse_an_item_with_the_reason_and_flags_travel_with_accepted_ones(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    parent, subsidiary = await beneficiary(stack), await beneficiary(stack)
    # The registry says the parent holds 80 % of the subsidiary: one single undertaking.
    conn = await asyncpg.connect(stack.dsn("funding"))
    try:
        await conn.execute(
            "INSERT INTO ownership_links (actor_id, owner_actor_id, share_percent) "
            "VALUES ($1, $2, 80)",
            subsidiary,
            parent,
        )
    finally:
        await conn.close()
    aid = {"is_de_minimis": True, "amount": "180000.00"}
    body = await post(
        funding,
        [
            commitment("DM-1", parent, **aid),
            commitment("DM-2", subsidiary, **aid, date="2025-01-10"),
            payment("PAY-TOO-MUCH", parent, of="DM-1", amount="180000.01"),
        ],
    )
    first, second, overpaid = body["items"]
    assert first["status"] == "applied"
    assert second["status"] == "rejected"
    problem = second["problem"]
    assert problem["type"].endswith("/rule-violation")
    assert problem["status"] == 422
    assert "300,000" in problem["detail"], problem["detail"]
    assert overpaid["status"] == "rejected"
    assert "disburse" in overpaid["problem"]["detail"].lower()
    assert await entry_count(stack) == 1


async def test_the_same_external_id_with_other_content_is_a_conflict_not_an_overwrite(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    await post(funding, [commitment("C-9", sme)])
    body = await post(funding, [commitment("C-9", sme, amount="999.00")])
    item = body["items"][0]
    assert item["status"] == "rejected"
    assert item["problem"]["status"] == 409
    amounts = await query(stack, "SELECT amount FROM ledger_entries")
    assert [str(r["amount"]) for r in amounts] == ["100000.00"]


async def test_a_parked_payment_breaking_a_rule_once_its_commitment_arrives_is_refused_and_said_so(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    early = payment("PAY-X", sme, of="COM-X", amount="150000.00")
    assert (await post(funding, [early]))["items"][0]["status"] == "parked"
    arrived = await post(funding, [commitment("COM-X", sme)])  # 100,000 committed
    assert arrived["items"][0]["status"] == "applied"
    assert await entry_count(stack) == 1
    state = await query(stack, "SELECT state, problem FROM parked_entries")
    assert state[0]["state"] == "rejected"
    assert "150,000.00" in json.loads(state[0]["problem"])["reason"]
    rejected = await query(
        stack,
        "SELECT payload FROM outbox WHERE event_type = $1",
        "eu.synergia.funding.authority-item.rejected.v1",
    )
    assert json.loads(rejected[0]["payload"])["data"]["external_id"] == "PAY-X"
    # Resent, the payment gets that answer.
    resent = (await post(funding, [early]))["items"][0]
    assert resent["status"] == "rejected"
    assert resent["replayed"]
    assert "150,000.00" in resent["problem"]["detail"]


async def test_concurrent_copies_of_a_batch_record_each_item_once(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    items = [commitment(f"C-{i}", sme, amount="1000.00") for i in range(20)]
    answers = await asyncio.gather(*(post(funding, items) for _ in range(4)))
    assert await entry_count(stack) == 20
    for answer in answers:
        assert all(item["status"] == "applied" for item in answer["items"])
    fresh = [sum(not i["replayed"] for i in a["items"]) for a in answers]
    assert sorted(fresh) == [0, 0, 0, 20]


async def test_the_batch_endpoint_refuses_what_is_not_a_batch_and_who_may_not_write(
    funding: httpx.AsyncClient,
    stack: TestStack,
) -> None:
    sme = await beneficiary(stack)
    no_key = await funding.post(BATCH, json={"items": [commitment("A", sme)]})
    assert no_key.status_code == 401
    admin = await funding.post(BATCH, json={"items": [commitment("A", sme)]}, headers=auth())
    assert admin.status_code == 200, "an administrator may write anywhere"
    as_viewer = await funding.post(
        BATCH, json={"items": [commitment("A", sme)]}, headers=auth("viewer")
    )
    assert as_viewer.status_code == 403
    for content, where in (
        (b"{not json", ["body"]),
        (b'{"items": []}', ["body", "items"]),
        (b'{"items": {}}', ["body", "items"]),
        (b'{"items": [{}], "x": 1}', ["body", "x"]),
        (json.dumps({"items": [{}] * 1001}).encode(), ["body", "items"]),
    ):
        response = await funding.post(
            BATCH, content=content, headers={**LOMBARDIA, "Content-Type": "application/json"}
        )
        assert response.status_code == 422, content[:40]
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["loc"] == where


async def test_a_csv_upload_is_recorded_like_a_batch_with_row_numbers(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    csv = (
        "external_id,kind,beneficiary_id,source,fund,instrument_id,amount,date,region_nuts,"
        "commitment_external_id\n"
        f"CSV-C,commitment,{sme},esif,ERDF,2014IT16RFOP012,5000.00,2024-02-01,ITC4C,\n"
        f"CSV-P,disbursement,{sme},esif,ERDF,2014IT16RFOP012,2500.00,2024-04-01,ITC4C,CSV-C\n"
        f"CSV-BAD,commitment,{sme},esif,ERDF,2014IT16RFOP012,lots,2024-02-01,ITC4C,\n"
    )
    response = await funding.post(
        "/v1/authority-events:csv",
        content=csv.encode(),
        headers={**LOMBARDIA, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["index"], i["status"]) for i in items] == [
        (2, "applied"),
        (3, "applied"),
        (4, "rejected"),
    ]
    assert items[2]["problem"]["errors"][0]["loc"] == ["body", "row", 4, "amount"]
    assert await entry_count(stack) == 2

    unknown = await funding.post(
        "/v1/authority-events:csv",
        content=b"external_id,colour\nX,blue\n",
        headers={**LOMBARDIA, "Content-Type": "text/csv"},
    )
    assert unknown.status_code == 422
    assert "colour" in unknown.json()["detail"]


async def test_items_on_the_kafka_topic_are_recorded_once_and_an_unknown_authority_goes_to_the_dlq(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    items = [payment("K-P", sme, of="K-C"), commitment("K-C", sme)]
    first = build_event(
        AuthorityEventsSubmittedV1(authority="lombardia", items=items), subject="lombardia"
    )
    resent = build_event(  # the authority resends the same items in a new message
        AuthorityEventsSubmittedV1(authority="lombardia", items=items), subject="lombardia"
    )
    stranger = build_event(
        AuthorityEventsSubmittedV1(authority="atlantis", items=items), subject="atlantis"
    )
    bad_item = build_event(
        AuthorityEventsSubmittedV1(
            authority="lombardia", items=[commitment("K-ROME", sme, region_nuts="ITI43")]
        ),
        subject="lombardia",
    )
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, acks="all")
    await producer.start()
    try:
        topic = f"{stack.topic_prefix}{FUNDING_AUTHORITY_INBOUND}"
        for event in (first, resent, stranger, bad_item):
            await producer.send_and_wait(topic, value=event.to_bytes(), key=b"lombardia")
    finally:
        await producer.stop()

    async def settled() -> bool:
        dlq = await query(stack, "SELECT error FROM dead_letters")
        refused = await query(
            stack,
            "SELECT 1 FROM outbox WHERE event_type = $1",
            "eu.synergia.funding.authority-item.rejected.v1",
        )
        return bool(dlq) and bool(refused)

    await eventually(settled)
    rows = await query(stack, "SELECT external_system, external_id FROM ledger_entries")
    assert sorted((r["external_system"], r["external_id"]) for r in rows) == [
        ("authority:ITC4", "K-C"),
        ("authority:ITC4", "K-P"),
    ]
    dlq = await query(stack, "SELECT error FROM dead_letters")
    assert len(dlq) == 1
    assert "atlantis" in dlq[0]["error"]

    # The same authority over HTTP is the same sender: its items are already there.
    over_http = await post(funding, items)
    assert all(i["replayed"] for i in over_http["items"])


async def test_an_authority_can_ask_later_what_became_of_an_item(
    funding: httpx.AsyncClient,
    stack: TestStack,
) -> None:
    sme = await beneficiary(stack)
    await post(funding, [payment("LATE-P", sme, of="LATE-C")])

    async def status(external_id: str) -> httpx.Response:
        return await funding.get(f"/v1/authority-events/{external_id}", headers=LOMBARDIA)

    parked = (await status("LATE-P")).json()
    assert parked["status"] == "parked"
    assert parked["waiting_for"] == ["LATE-C"]
    await post(funding, [commitment("LATE-C", sme)])
    applied = (await status("LATE-P")).json()
    assert applied["status"] == "applied"
    assert applied["entry_id"] == parked["entry_id"]
    missing = await status("NEVER-SENT")
    assert missing.status_code == 404
    other = await funding.get("/v1/authority-events/LATE-P", headers={"X-API-Key": BAVARIA_KEY})
    assert other.status_code == 404, "another authority's ids are its own"


async def test_the_net_amounts_kept_for_the_reports_equal_a_rebuild_from_the_entries(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme, other = await beneficiary(stack), await beneficiary(stack)
    await post(
        funding,
        [
            payment("N-P1", sme, of="N-C1"),  # parked, then released below
            commitment("N-C1", sme),
            commitment("N-C2", sme, amount="50000.00"),
            {**commitment("N-A1", sme, amount="2500.00"), "adjusts_external_id": "N-C1"},
            {**commitment("N-A2", sme, amount="-500.00"), "adjusts_external_id": "N-C1"},
            commitment("N-C3", other),
        ],
    )
    await post(
        funding,
        [
            {**commitment("N-R1", sme, amount="-500.00"), "reverses_external_id": "N-A2"},
            {**commitment("N-R2", sme, amount="50000.00"), "reverses_external_id": "N-C2"},
            {**payment("N-R3", sme, of="N-C1"), "reverses_external_id": "N-P1"},
        ],
    )
    kept = await query(stack, "SELECT entry_id, net, reversed FROM ledger_nets ORDER BY 1")
    nets = {r["entry_id"]: (str(r["net"]), r["reversed"]) for r in kept}
    assert sorted(nets.values()) == sorted(
        [
            ("102500.00", False),  # N-C1 + 2,500 (the -500 adjustment reversed)
            ("0.00", True),  # N-C2 reversed
            ("0.00", True),  # N-P1 reversed
            ("100000.00", False),  # N-C3
        ]
    )
    conn = await asyncpg.connect(stack.dsn("funding"))
    try:
        await conn.execute("DELETE FROM ledger_nets")
        await conn.execute(str(REBUILD_NETS))
    finally:
        await conn.close()
    rebuilt = await query(stack, "SELECT entry_id, net, reversed FROM ledger_nets ORDER BY 1")
    assert [tuple(r) for r in rebuilt] == [tuple(r) for r in kept]


async def test_officials_of_one_authority_share_its_external_ids(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    anna = auth("authority", region="ITC4", subject="anna")
    bruno = auth("authority", region="ITC4", subject="bruno")
    first = await funding.post(BATCH, json={"items": [commitment("T-1", sme)]}, headers=anna)
    assert first.json()["authority"] == "authority:ITC4"
    second = await funding.post(BATCH, json={"items": [commitment("T-1", sme)]}, headers=bruno)
    assert second.json()["items"][0]["replayed"]
    assert await entry_count(stack) == 1


async def test_an_authoritys_officials_and_its_api_key_are_one_sender(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    """Lombardia's key is bound to ITC4: an id sent by an official of ITC4, then by the
    key (and the other way round, with a CSV upload), counts once."""
    sme = await beneficiary(stack)
    anna = auth("authority", region="ITC4", subject="anna")
    by_token = await funding.post(BATCH, json={"items": [commitment("ONE-1", sme)]}, headers=anna)
    assert by_token.json()["authority"] == "authority:ITC4"
    by_key = await post(funding, [commitment("ONE-1", sme)])
    assert by_key["authority"] == "authority:ITC4"
    assert by_key["items"][0]["status"] == "applied"
    assert by_key["items"][0]["replayed"]
    # The key's payment names the official's commitment by its id.
    paid = await post(funding, [payment("ONE-P", sme, of="ONE-1")])
    assert paid["items"][0]["status"] == "applied"
    again = await funding.post(
        BATCH, json={"items": [payment("ONE-P", sme, of="ONE-1")]}, headers=anna
    )
    assert again.json()["items"][0]["replayed"]
    rows = await query(stack, "SELECT external_system, external_id FROM ledger_entries")
    assert sorted(tuple(r) for r in rows) == [
        ("authority:ITC4", "ONE-1"),
        ("authority:ITC4", "ONE-P"),
    ]
    # Another region's official is another sender, whose ids are its own.
    piemonte = auth("authority", region="ITC1", subject="dario")
    other = await funding.post(
        BATCH,
        json={"items": [commitment("ONE-1", sme, region_nuts="ITC11")]},
        headers=piemonte,
    )
    assert other.json()["authority"] == "authority:ITC1"
    assert other.json()["items"][0]["status"] == "applied"
    assert not other.json()["items"][0]["replayed"]


async def test_one_external_id_sent_at_once_with_different_content_is_recorded_once(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    """Different beneficiaries: different undertaking locks, yet one id. Each pair either
    parks or applies; one of the two is refused as a conflict, never a 500, never an
    overwrite of what the other stored."""
    for early in (False, True):
        a, b = await beneficiary(stack), await beneficiary(stack)
        if early:  # waits for a commitment that never comes: parked
            pair = [payment("SAME-P", a, of="NEVER"), payment("SAME-P", b, of="NEVER")]
        else:
            pair = [commitment("SAME-A", a), commitment("SAME-A", b)]
        answers = await asyncio.gather(*(post(funding, [one]) for one in pair))
        results = sorted(x["items"][0]["status"] for x in answers)
        assert results == sorted(["parked" if early else "applied", "rejected"]), answers
        refused = next(x["items"][0] for x in answers if x["items"][0]["status"] == "rejected")
        assert refused["problem"]["status"] == 409
    assert await entry_count(stack) == 1
    assert len(await query(stack, "SELECT 1 FROM parked_entries")) == 1


async def test_an_item_refused_after_parking_and_sent_anew_corrected_leaves_no_parked_trace(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    await post(funding, [payment("FIX-P", sme, of="FIX-C", amount="150000.00")])
    await post(funding, [commitment("FIX-C", sme)])  # 100,000: the payment is refused
    assert (await query(stack, "SELECT state FROM parked_entries"))[0]["state"] == "rejected"
    corrected = (await post(funding, [payment("FIX-P", sme, of="FIX-C")]))["items"][0]
    assert corrected["status"] == "applied"
    assert not await query(stack, "SELECT 1 FROM parked_entries")


async def test_a_csv_rows_rule_violation_names_its_row(
    funding: httpx.AsyncClient,
    stack: TestStack,
) -> None:
    sme = await beneficiary(stack)
    await post(funding, [commitment("ROW-C", sme, amount="1000.00")])
    csv = (
        "external_id,kind,beneficiary_id,source,fund,amount,date,region_nuts,"
        "commitment_external_id\n"
        f"ROW-P,disbursement,{sme},esif,ERDF,5000.00,2024-04-01,ITC4C,ROW-C\n"
    )
    response = await funding.post(
        "/v1/authority-events:csv",
        content=csv.encode(),
        headers={**LOMBARDIA, "Content-Type": "text/csv"},
    )
    problem = response.json()["items"][0]["problem"]
    assert problem["type"].endswith("/rule-violation")
    assert problem["errors"][0]["loc"] == ["body", "row", 2]


async def upload(funding: httpx.AsyncClient, csv: str) -> list[dict[str, Any]]:
    response = await funding.post(
        "/v1/authority-events:csv",
        content=csv.encode(),
        headers={**LOMBARDIA, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_spreadsheets_csv_with_semicolons_and_decimal_commas_is_read_as_meant(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    csv = (  # as a spreadsheet saves "CSV UTF-8": with a byte-order mark
        "\ufeffexternal_id;kind;beneficiary_id;source;fund;amount;date;region_nuts;"
        "commitment_external_id;adjusts_external_id\r\n"
        f"EU-C;commitment;{sme};esif;ERDF;1.234,56;2024-02-01;ITC4C;;\r\n"
        f"EU-P;disbursement;{sme};esif;ERDF;1 000,5;2024-04-01;ITC4C;EU-C;\r\n"
        f"EU-A;commitment;{sme};esif;ERDF;-34,56;2024-05-01;ITC4C;;EU-C\r\n"
        f"EU-AMB;commitment;{sme};esif;ERDF;1,234;2024-02-01;ITC4C;;\r\n"
    )
    items = await upload(funding, csv)
    assert [(i["index"], i["status"]) for i in items] == [
        (2, "applied"),
        (3, "applied"),
        (4, "applied"),
        (5, "rejected"),
    ]
    ambiguous = items[3]["problem"]
    assert ambiguous["status"] == 422
    assert ambiguous["errors"] == [
        {
            "loc": ["body", "row", 5, "amount"],
            "msg": "'1,234' is ambiguous: a decimal or a thousands separator before three digits",
        }
    ]
    rows = await query(stack, "SELECT external_id, amount FROM ledger_entries ORDER BY seq")
    assert [(r["external_id"], str(r["amount"])) for r in rows] == [
        ("EU-C", "1234.56"),
        ("EU-P", "1000.50"),
        ("EU-A", "-34.56"),
    ]


async def test_tab_and_pipe_delimited_uploads_are_read_and_a_wide_row_is_refused_alone(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    header = ["external_id", "kind", "beneficiary_id", "source", "fund", "amount", "date"]
    for delimiter, external_id in (("\t", "TAB-1"), ("|", "PIPE-1")):
        cells = [external_id, "commitment", str(sme), "esif", "ERDF", "12.500,00", "2024-02-01"]
        csv = (
            delimiter.join([*header, "region_nuts"])
            + "\n"
            + delimiter.join([*cells, "ITC4C"])
            + "\n"
        )
        (item,) = await upload(funding, csv)
        assert item["status"] == "applied", item
    # A ","-delimited file with an unquoted decimal comma: the row is too wide, and says so.
    wide = (
        "external_id,kind,beneficiary_id,source,fund,amount,date,region_nuts\n"
        f"W-1,commitment,{sme},esif,ERDF,1234,56,2024-02-01,ITC4C\n"
        f'W-2,commitment,{sme},esif,ERDF,"1234,56",2024-02-01,ITC4C\n'
    )
    refused, quoted = await upload(funding, wide)
    assert refused["status"] == "rejected"
    assert refused["problem"]["errors"][0]["loc"] == ["body", "row", 2]
    assert "9 cells where the header has 8 columns" in refused["problem"]["detail"]
    assert quoted["status"] == "applied"
    rows = await query(stack, "SELECT external_id, amount FROM ledger_entries ORDER BY seq")
    assert [(r["external_id"], str(r["amount"])) for r in rows] == [
        ("TAB-1", "12500.00"),
        ("PIPE-1", "12500.00"),
        ("W-2", "1234.56"),
    ]


async def test_a_spreadsheets_dotted_day_first_dates_are_read_as_meant_and_slashed_ones_refused(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    csv = (  # as a spreadsheet set to a European locale saves it
        "external_id;kind;beneficiary_id;source;fund;amount;date;region_nuts;"
        "commitment_external_id\r\n"
        f"DOT-C;commitment;{sme};esif;ERDF;10.000,00;01.03.2024;ITC4C;\r\n"
        f"DOT-P;disbursement;{sme};esif;ERDF;2.500,00;5.6.2024;ITC4C;DOT-C\r\n"
        f"DOT-ISO;commitment;{sme};esif;ERDF;1.000,00;2024-02-13;ITC4C;\r\n"
        f"DOT-US;commitment;{sme};esif;ERDF;1.000,00;01/03/2024;ITC4C;\r\n"
        f"DOT-NODAY;commitment;{sme};esif;ERDF;1.000,00;31.02.2024;ITC4C;\r\n"
    )
    items = await upload(funding, csv)
    assert [(i["index"], i["external_id"], i["status"]) for i in items] == [
        (2, "DOT-C", "applied"),
        (3, "DOT-P", "applied"),
        (4, "DOT-ISO", "applied"),
        (5, "DOT-US", "rejected"),
        (6, "DOT-NODAY", "rejected"),
    ]
    ambiguous, impossible = items[3]["problem"], items[4]["problem"]
    assert ambiguous["status"] == 422
    assert ambiguous["type"].endswith("/validation-error")
    assert ambiguous["errors"] == [
        {
            "loc": ["body", "row", 5, "date"],
            "msg": "'01/03/2024' is ambiguous: with / or - the day comes first in Europe and "
            "the month first in the US; write the date as YYYY-MM-DD or DD.MM.YYYY (D.M.YYYY)",
        }
    ]
    assert impossible["errors"] == [
        {
            "loc": ["body", "row", 6, "date"],
            "msg": "'31.02.2024' is not a day: February 2024 has 29 days",
        }
    ]
    rows = await query(stack, "SELECT external_id, entry_date FROM ledger_entries ORDER BY seq")
    assert [(r["external_id"], r["entry_date"]) for r in rows] == [
        ("DOT-C", date(2024, 3, 1)),  # 1 March, not 3 January
        ("DOT-P", date(2024, 6, 5)),  # 5 June, not 6 May
        ("DOT-ISO", date(2024, 2, 13)),
    ]

    # A JSON item is no spreadsheet's: its date stays ISO, as its schema says.
    body = await post(funding, [commitment("JSON-DOT", sme, date="01.03.2024")])
    (refused,) = body["items"]
    assert refused["status"] == "rejected"
    assert refused["problem"]["errors"][0]["loc"] == ["body", "items", 0, "date"]
    assert await entry_count(stack) == 3


def in_days(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


async def test_an_implausible_date_is_refused_for_its_item_naming_the_field(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    body = await post(
        funding,
        [
            commitment("TYPO-FUTURE", sme, date="2204-01-01", is_de_minimis=True),
            commitment("TYPO-PAST", sme, date="2013-12-31"),
            commitment("NEXT-YEAR", sme, date=in_days(400)),
            commitment("FIRST-DAY", sme, date="2014-01-01"),
            commitment("SOON", sme, date=in_days(300)),
        ],
    )
    by_id = {item["external_id"]: item for item in body["items"]}
    assert (body["applied"], body["rejected"]) == (2, 3)
    for index, external_id in enumerate(("TYPO-FUTURE", "TYPO-PAST", "NEXT-YEAR")):
        problem = by_id[external_id]["problem"]
        assert problem["status"] == 422
        (error,) = problem["errors"]
        assert error["loc"] == ["body", "items", index, "date"]
    assert "more than one year after today" in by_id["TYPO-FUTURE"]["problem"]["detail"]
    assert "before 2014-01-01" in by_id["TYPO-PAST"]["problem"]["detail"]
    rows = await query(stack, "SELECT external_id FROM ledger_entries ORDER BY seq")
    assert [r["external_id"] for r in rows] == ["FIRST-DAY", "SOON"]

    csv = (
        "external_id,kind,beneficiary_id,source,fund,amount,date,region_nuts\n"
        f"CSV-TYPO,commitment,{sme},esif,ERDF,5000.00,2204-01-01,ITC4C\n"
    )
    (row,) = await upload(funding, csv)
    assert row["status"] == "rejected"
    assert row["problem"]["errors"][0]["loc"] == ["body", "row", 2, "date"]
    assert await entry_count(stack) == 2


async def test_the_value_chain_batch_refuses_an_implausible_date_too(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    chain = uuid.uuid4()
    await announce_chain(stack, chain)
    url = f"/v1/value-chains/{chain}/ledger-entries:batch"
    items = [chain_item("VC-TYPO", date="2204-01-01"), chain_item("VC-OK")]
    deadline = time.monotonic() + 20
    while (
        response := await funding.post(url, json={"items": items}, headers=auth())
    ).status_code == 404:
        assert time.monotonic() < deadline, "the value-chain event never arrived"
        await asyncio.sleep(0.1)
    assert response.status_code == 200, response.text
    typo, fine = response.json()["items"]
    assert typo["status"] == "rejected"
    assert typo["problem"]["errors"][0]["loc"] == ["body", "items", 0, "date"]
    assert fine["status"] == "applied"
    assert await entry_count(stack) == 1


async def test_a_kafka_message_with_a_bad_item_applies_the_others_and_refuses_that_one(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    items: list[Any] = [
        commitment("K-GOOD-1", sme),
        "K-NOT-AN-OBJECT",
        42,
        commitment("K-TYPO", sme, date="2204-01-01"),
        commitment("K-GOOD-2", sme),
        commitment("K-NUL", sme, instrument_id="2014IT16RF\u0000OP012"),
    ]
    # Sent as a producer that ignores the contract would: items that are not objects.
    event = build_event(
        AuthorityEventsSubmittedV1(authority="lombardia", items=[commitment("X", sme)]),
        subject="lombardia",
    )
    message = event.model_copy(update={"data": {"authority": "lombardia", "items": items}})
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, acks="all")
    await producer.start()
    try:
        topic = f"{stack.topic_prefix}{FUNDING_AUTHORITY_INBOUND}"
        await producer.send_and_wait(topic, value=message.to_bytes(), key=b"lombardia")
    finally:
        await producer.stop()

    async def refusals() -> list[dict[str, Any]]:
        rows = await query(
            stack,
            "SELECT payload FROM outbox WHERE event_type = $1 ORDER BY id",
            "eu.synergia.funding.authority-item.rejected.v1",
        )
        return [json.loads(r["payload"])["data"] for r in rows]

    async def settled() -> bool:
        return len(await refusals()) == 4

    await eventually(settled)
    rows = await query(stack, "SELECT external_id FROM ledger_entries ORDER BY seq")
    assert [r["external_id"] for r in rows] == ["K-GOOD-1", "K-GOOD-2"]
    assert not await query(stack, "SELECT 1 FROM dead_letters")
    refused = {r["external_id"]: r["reason"] for r in await refusals()}
    assert refused["#1"] == "data.items.1: an item is an object of the item fields, not a string"
    assert refused["#2"] == "data.items.2: an item is an object of the item fields, not a number"
    assert "data.items.3.date: 2204-01-01 is more than one year after today" in refused["K-TYPO"]
    assert refused["K-NUL"].startswith("data.items.5.instrument_id: contains a NUL character")


async def test_a_batch_item_that_is_not_an_object_is_refused_alone(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    body = await post(funding, ["oops", commitment("OBJ-1", await beneficiary(stack))])  # type: ignore[list-item]
    oops, fine = body["items"]
    assert oops["problem"]["errors"] == [
        {
            "loc": ["body", "items", 0],
            "msg": "an item is an object of the item fields, not a string",
        }
    ]
    assert fine["status"] == "applied"
    assert await entry_count(stack) == 1


# --- Amounts: one rule on every channel ----------------------------------------------------

# Forms Python's Decimal reads and no channel accepts, with the reason each is refused for.
BAD_AMOUNTS = {
    "1e2": "'1e2' is in scientific notation",
    "1_000": "'1_000' has a digit separator _",
    "\u0661\u0660\u0660": "digits other than 0-9",  # Arabic-Indic 100
    "+5": "'+5' has a + sign",
}


async def test_a_json_batch_refuses_amounts_that_are_not_plain_decimal_strings(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    items = [commitment(f"J-{n}", sme, amount=text) for n, text in enumerate(BAD_AMOUNTS)]
    items += [commitment("J-NUMBER", sme, amount="@"), commitment("J-OK", sme)]
    # Written by hand: a JSON number, in scientific notation as some encoders write it.
    body = json.dumps({"items": items}).replace('"amount": "@"', '"amount": 1e2')
    response = await funding.post(
        BATCH, content=body, headers={**LOMBARDIA, "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    results = response.json()["items"]
    assert [r["status"] for r in results] == ["rejected"] * 5 + ["applied"]
    for n, reason in enumerate(BAD_AMOUNTS.values()):
        [error] = results[n]["problem"]["errors"]
        assert error["loc"] == ["body", "items", n, "amount"]
        assert reason in error["msg"]
    [error] = results[4]["problem"]["errors"]
    assert error["loc"] == ["body", "items", 4, "amount"]
    assert "not a JSON number (100.0)" in error["msg"]
    rows = await query(stack, "SELECT external_id, amount FROM ledger_entries")
    assert [(r["external_id"], str(r["amount"])) for r in rows] == [("J-OK", "100000.00")]


async def test_a_csv_upload_refuses_the_same_amounts_for_the_same_reasons(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    header = "external_id;kind;beneficiary_id;source;fund;amount;date;region_nuts\n"
    rows = "".join(
        f"C-{n};commitment;{sme};esif;ERDF;{text};2024-03-01;ITC4C\n"
        for n, text in enumerate(BAD_AMOUNTS)
    )
    results = await upload(
        funding, header + rows + f"C-OK;commitment;{sme};esif;ERDF;1.234,50;2024-03-01;ITC4C\n"
    )
    assert [r["status"] for r in results] == ["rejected"] * 4 + ["applied"]
    for n, reason in enumerate(BAD_AMOUNTS.values()):
        [error] = results[n]["problem"]["errors"]
        assert error["loc"] == ["body", "row", n + 2, "amount"]
        assert reason in error["msg"]
    rows_stored = await query(stack, "SELECT amount FROM ledger_entries")
    assert [str(r["amount"]) for r in rows_stored] == ["1234.50"]  # a spreadsheet's form


async def test_a_kafka_message_and_a_value_chain_batch_refuse_them_too(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    sme = await beneficiary(stack)
    items: list[Any] = [commitment(f"K-{n}", sme, amount=t) for n, t in enumerate(BAD_AMOUNTS)]
    items += [commitment("K-NUMBER", sme, amount=100), commitment("K-OK", sme)]
    event = build_event(
        AuthorityEventsSubmittedV1(authority="lombardia", items=[commitment("X", sme)]),
        subject="lombardia",
    )
    message = event.model_copy(update={"data": {"authority": "lombardia", "items": items}})
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka, acks="all")
    await producer.start()
    try:
        topic = f"{stack.topic_prefix}{FUNDING_AUTHORITY_INBOUND}"
        await producer.send_and_wait(topic, value=message.to_bytes(), key=b"lombardia")
    finally:
        await producer.stop()

    async def refusals() -> dict[str, str]:
        rows = await query(
            stack,
            "SELECT payload FROM outbox WHERE event_type = $1",
            "eu.synergia.funding.authority-item.rejected.v1",
        )
        events = [json.loads(r["payload"])["data"] for r in rows]
        return {e["external_id"]: e["reason"] for e in events}

    async def settled() -> bool:
        return len(await refusals()) == 5

    await eventually(settled)
    refused = await refusals()
    for n, reason in enumerate(BAD_AMOUNTS.values()):
        assert f"data.items.{n}.amount: " in refused[f"K-{n}"]
        assert reason in refused[f"K-{n}"]
    assert "not a JSON number (100)" in refused["K-NUMBER"]
    rows = await query(stack, "SELECT external_id FROM ledger_entries")
    assert [r["external_id"] for r in rows] == ["K-OK"]

    # A value chain's ledger batch goes through the same items.
    chain = uuid.uuid4()
    await announce_chain(stack, chain)
    manager = auth("cluster_manager", actor_id=str(LEAD_CLUSTER))
    results = await record_for_chain(
        funding, chain, [chain_item("VC-E", amount="5e4"), chain_item("VC-OK")], manager
    )
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert "scientific notation" in results[0]["problem"]["errors"][0]["msg"]


async def test_items_a_key_sent_under_its_old_name_move_to_its_authority(
    stack: TestStack,
) -> None:
    """Before the sender became the authority, Lombardia's key wrote as
    api-key:lombardia. The one-shot re-homing moves those items, their references and
    their parked waits to authority:ITC4, where the key and the officials now find them."""
    settings = FundingSettings(  # type: ignore[arg-type]
        **stack.settings_kwargs("funding"), api_keys=json.dumps(API_KEYS)
    )
    app = create_funding(settings)
    anna = auth("authority", region="ITC4", subject="anna")
    async with running_app(app, "http://funding") as funding:
        sme = await beneficiary(stack)
        paid = payment("OLD-P", sme, of="OLD-C")
        old_items = [
            commitment("OLD-C", sme),
            paid,
            {**paid, "external_id": "OLD-R", "reverses_external_id": "OLD-P"},
            payment("OLD-W", sme, of="OLD-LATER"),  # still waiting for its commitment
            commitment("BOTH", sme, amount="7000.00"),
        ]
        async with unit_of_work(app.state.sessions) as session:  # as the key wrote then
            await intake.submit(session, intake.Authority("api-key:lombardia", "ITC4"), old_items)
        # An official sent BOTH too, under the authority's name: two items today.
        both = await funding.post(BATCH, json={"items": [commitment("BOTH", sme)]}, headers=anna)
        assert both.json()["items"][0]["status"] == "applied"

        reports = {r.old: r for r in await rehome_all(settings)}
        assert {old: r.new for old, r in reports.items()} == {
            "api-key:lombardia": "authority:ITC4",
            "api-key:bavaria": "authority:DE2",
        }
        report = reports["api-key:lombardia"]
        assert report.moved == ["OLD-C", "OLD-P", "OLD-R", "OLD-W"]
        assert report.kept == ["BOTH"]  # both count; the authority corrects one of them

        rows = await query(stack, "SELECT external_system, external_id FROM ledger_entries")
        assert sorted(tuple(r) for r in rows) == [
            ("api-key:lombardia", "BOTH"),
            ("authority:ITC4", "BOTH"),
            ("authority:ITC4", "OLD-C"),
            ("authority:ITC4", "OLD-P"),
            ("authority:ITC4", "OLD-R"),
        ]
        # The key resends an old item: a replay, not a second commitment.
        again = await post(funding, [commitment("OLD-C", sme)])
        assert again["items"][0]["replayed"]
        # The moved reversal still reverses the moved payment: the nets say so.
        nets = await query(
            stack,
            "SELECT e.external_id, n.net, n.reversed FROM ledger_nets n "
            "JOIN ledger_entries e USING (entry_id) WHERE e.external_system = 'authority:ITC4'",
        )
        assert {r["external_id"]: (str(r["net"]), r["reversed"]) for r in nets} == {
            "OLD-C": ("100000.00", False),
            "OLD-P": ("0.00", True),
            "BOTH": ("100000.00", False),
        }
        # The parked payment now waits in the authority's namespace: an official's
        # commitment releases it.
        waiting = (await funding.get(LIST, params={"status": "parked"}, headers=anna)).json()
        assert [(i["external_id"], i["waiting_for"]) for i in waiting["items"]] == [
            ("OLD-W", ["OLD-LATER"])
        ]
        later = await funding.post(
            BATCH, json={"items": [commitment("OLD-LATER", sme)]}, headers=anna
        )
        assert [i["status"] for i in later.json()["items"]] == ["applied"]
        assert (await funding.get(f"{LIST}/OLD-W", headers=anna)).json()["status"] == "applied"

        # Run again: nothing left to move.
        second = {r.old: r for r in await rehome_all(settings)}["api-key:lombardia"]
        assert (second.moved, second.kept) == ([], ["BOTH"])
