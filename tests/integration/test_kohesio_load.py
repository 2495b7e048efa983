# ruff: noqa: RUF001 -- real Cyrillic names are the test data
"""A Kohesio file loaded end to end: its organisations registered in the registry, their
commitments recorded in funding's ledger through the authority batch; again, nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

import httpx
from synergia_funding.kohesio.loader import (
    AuthorityEventsOverHttp,
    PostJson,
    RegistrationItem,
    RegistrationResult,
    load_kohesio,
    registration_items,
)
from synergia_funding.kohesio.mapping import map_kohesio
from synergia_funding.kohesio.params import KohesioImportParams
from synergia_funding.kohesio.parser import parse_kohesio
from synergia_funding.ledger.model import EsifFund, Source

from tests.support.funding import eventually, query
from tests.support.stack import TestStack, auth

FILE = (
    "Country\tRegion\tBeneficiary Name\tTotal Budget\tEU Contribution\t"
    "Number of Projects\tTransliterated Name\n"
    "Bulgaria\tBlagoevgrad Province\tОбщина Благоевград\t5564150.08\t4729375.06\t12\t"
    "Obshtina Blagoevgrad\n"
    'Bulgaria\tБургас\t"Пристанище Бургас ЕАД\t5.564E7\t4.729375062E7\t3\t\n'
    "BG\tBurgas Province\tОбщина Благоевград\t1000.00\t850.00\t1\tObshtina Blagoevgrad\n"
    "Bulgaria\tСливен\tОбщина Сливен\t\t\t1\tObshtina Sliven\n"
    "Bulgaria\tVeliko Turnovo Province\tОбщина Велико Търново\t10.00\t8.00\t1\t\n"
)
PARAMS = KohesioImportParams(
    fund=EsifFund.ERDF,
    committed_on=dt.date(2020, 6, 30),
    programme_cci="2014BG16RFOP002",
    cofinancing_source=Source.NATIONAL,
)
AUTHORITY = auth("authority", region="BG")


class RegistryThroughSingleRegistrations:
    """Stands in for the registry's bulk registration (built alongside): registers each
    organisation once with ``POST /v1/actors``, and matches it by external id after."""

    def __init__(self, registry: httpx.AsyncClient) -> None:
        self.registry = registry
        self.known: dict[str, uuid.UUID] = {}

    async def register(self, items: Sequence[RegistrationItem]) -> list[RegistrationResult]:
        results = []
        for item in items:
            if item.external_id in self.known:
                results.append(
                    RegistrationResult(item.external_id, "matched", self.known[item.external_id])
                )
                continue
            body = {
                "legal_name": item.legal_name,
                "kind": "other",
                "country": item.country,
                "nuts_code": item.nuts_code,
                "nuts_version": item.nuts_version,
            }
            answer = await self.registry.post("/v1/actors", json=body, headers=auth())
            assert answer.status_code == 201, answer.text
            self.known[item.external_id] = uuid.UUID(answer.json()["id"])
            results.append(
                RegistrationResult(item.external_id, "created", self.known[item.external_id])
            )
        return results


def poster(client: httpx.AsyncClient, headers: Mapping[str, str]) -> PostJson:
    async def post(path: str, body: Mapping[str, Any]) -> tuple[int, Any]:
        answer = await client.post(path, json=body, headers=dict(headers))
        return answer.status_code, answer.json()

    return post


async def test_a_kohesio_file_registers_its_beneficiaries_and_records_their_commitments(
    registry: httpx.AsyncClient, funding: httpx.AsyncClient, stack: TestStack
) -> None:
    plan = map_kohesio(parse_kohesio(FILE), PARAMS)
    registry_port = RegistryThroughSingleRegistrations(registry)
    funding_port = AuthorityEventsOverHttp(poster(funding, AUTHORITY))
    # Registered, and known to funding, before any money arrives: the order the
    # parking of items for unknown beneficiaries (built alongside) will require.
    registered = await registry_port.register(registration_items(plan, PARAMS))
    for result in registered:
        await eventually(partial(_known, funding, result.actor_id))

    report = await load_kohesio(plan, PARAMS, registry_port, funding_port)

    by_line = {line.line: line for line in report.lines}
    assert sorted(by_line) == [2, 3, 4, 5, 6]
    assert [c.status for c in by_line[2].commitments] == ["applied", "applied"]
    assert [c.status for c in by_line[3].commitments] == ["applied", "applied"]
    assert [c.status for c in by_line[4].commitments] == ["applied", "applied"]
    assert by_line[5].commitments == []
    assert by_line[5].problem is None
    assert by_line[5].notes == ["no amounts: registered, nothing committed"]
    assert "did you mean BG321" in (by_line[6].problem or "")
    assert by_line[6].registration is None

    rows = await query(
        stack,
        "SELECT source, amount, region_nuts FROM ledger_entries ORDER BY amount DESC",
    )
    assert [(r["source"], r["amount"], r["region_nuts"]) for r in rows] == [
        ("esif", Decimal("47293750.62"), "BG341"),
        ("national", Decimal("8346249.38"), "BG341"),
        ("esif", Decimal("4729375.06"), "BG413"),
        ("national", Decimal("834775.02"), "BG413"),
        ("esif", Decimal("850.00"), "BG341"),
        ("national", Decimal("150.00"), "BG341"),
    ]
    blagoevgrad = registry_port.known[plan.rows[0].beneficiary_external_id]
    view = await funding.get(f"/v1/beneficiaries/{blagoevgrad}", headers=auth())
    assert view.status_code == 200, view.text

    again = await load_kohesio(plan, PARAMS, registry_port, funding_port)
    assert all(c.replayed for line in again.lines for c in line.commitments)
    assert [line.registration for line in report.lines] == ["matched"] * 4 + [None]
    assert [line.registration for line in again.lines] == ["matched"] * 4 + [None]
    assert len(await query(stack, "SELECT 1 FROM ledger_entries")) == 6


async def _known(funding: httpx.AsyncClient, actor: uuid.UUID | None) -> bool:
    answer = await funding.get(f"/v1/beneficiaries/{actor}", headers=auth())
    return answer.status_code == 200
