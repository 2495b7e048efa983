"""A value chain's cluster managers record its co-funding and list its ledger; funding
learns who leads which chain from the registry's value-chain events."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx

from tests.support.funding import LEAD_CLUSTER, announce_chain
from tests.support.funding import chain_item as item
from tests.support.stack import TestStack, auth


async def post(
    funding: httpx.AsyncClient, chain: uuid.UUID, items: list[dict[str, Any]], headers: Any
) -> httpx.Response:
    return await funding.post(
        f"/v1/value-chains/{chain}/ledger-entries:batch", json={"items": items}, headers=headers
    )


async def test_a_lead_clusters_manager_records_and_lists_the_chains_money(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    chain = uuid.uuid4()
    manager = auth("cluster_manager", actor_id=str(LEAD_CLUSTER))
    early = await post(funding, chain, [item("G-1")], manager)
    assert early.status_code == 404, "the chain has not arrived from the registry yet"

    await announce_chain(stack, chain)
    deadline = time.monotonic() + 20
    while (response := await post(funding, chain, [item("G-1")], manager)).status_code == 404:
        assert time.monotonic() < deadline, "the value-chain event never arrived"
        await asyncio.sleep(0.1)
    assert response.status_code == 200, response.text
    assert response.json()["items"][0]["status"] == "applied"

    more = await post(
        funding,
        chain,
        [
            item("FSTP-1", source="fstp", amount="30000.00"),
            item("ELSEWHERE", project_id=str(uuid.uuid4())),
        ],
        manager,
    )
    fstp, elsewhere = more.json()["items"]
    assert fstp["status"] == "applied"
    assert elsewhere["status"] == "rejected"
    assert elsewhere["problem"]["status"] == 403

    stranger = auth("cluster_manager", actor_id=str(uuid.uuid4()))
    refused = await post(funding, chain, [item("G-2")], stranger)
    assert refused.status_code == 403
    assert (await post(funding, chain, [item("G-2")], auth("sme"))).status_code == 403

    first = await funding.get(
        f"/v1/value-chains/{chain}/ledger-entries", params={"limit": 1}, headers=auth("viewer")
    )
    assert first.status_code == 200, first.text
    page = first.json()
    assert [e["external_id"] for e in page["items"]] == ["G-1"]
    assert page["items"][0]["project_id"] == str(chain), "the chain's by default"
    second = await funding.get(
        f"/v1/value-chains/{chain}/ledger-entries",
        params={"limit": 1, "cursor": page["next_cursor"]},
        headers=auth("viewer"),
    )
    assert [e["external_id"] for e in second.json()["items"]] == ["FSTP-1"]
    assert second.json()["next_cursor"] is None
    bad = await funding.get(
        f"/v1/value-chains/{chain}/ledger-entries", params={"cursor": "x"}, headers=auth()
    )
    assert bad.status_code == 422

    report = await funding.get(f"/v1/value-chains/{chain}/co-funding", headers=auth("viewer"))
    lines = {x["line"]: x["committed"] for x in report.json()["lines"]}
    assert lines["h2020"] == "50000.00"
    assert lines["fstp"] == "30000.00"


async def test_the_chain_is_the_sender_and_records_only_its_own_kinds_of_money(
    funding: httpx.AsyncClient, stack: TestStack
) -> None:
    chain = uuid.uuid4()
    await announce_chain(stack, chain)
    first_manager = auth("cluster_manager", actor_id=str(LEAD_CLUSTER), subject="anna")
    second_manager = auth("cluster_manager", actor_id=str(LEAD_CLUSTER), subject="bruno")
    deadline = time.monotonic() + 20
    while (response := await post(funding, chain, [item("G-7")], first_manager)).status_code == 404:
        assert time.monotonic() < deadline, "the value-chain event never arrived"
        await asyncio.sleep(0.1)
    assert response.json()["items"][0]["status"] == "applied"

    # Another manager of the same lead cluster sends the same item: one chain, one item.
    again = (await post(funding, chain, [item("G-7")], second_manager)).json()["items"][0]
    assert again["status"] == "applied"
    assert again["replayed"]
    # And can correct it by its id, whoever recorded it.
    fix = {**item("G-7-R", amount="50000.00"), "reverses_external_id": "G-7"}
    assert (await post(funding, chain, [fix], second_manager)).json()["items"][0][
        "status"
    ] == "applied"

    esif = (
        await post(funding, chain, [item("E-1", source="esif", fund="ERDF")], first_manager)
    ).json()["items"][0]
    assert esif["status"] == "rejected"
    assert esif["problem"]["status"] == 403
    assert "esif" in esif["problem"]["detail"]
    listed = await funding.get(f"/v1/value-chains/{chain}/ledger-entries", headers=auth("viewer"))
    assert {e["external_system"] for e in listed.json()["items"]} == {f"value-chain:{chain}"}
    assert [e["external_id"] for e in listed.json()["items"]] == ["G-7", "G-7-R"]
