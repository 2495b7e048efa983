# ruff: noqa: RUF001 -- real Cyrillic names are the test data
"""A Kohesio file loaded end to end by a Bulgarian authority: its organisations registered
through the registry's bulk registration, their commitments recorded in funding's ledger
through the authority batch, by the real services on real ports; again, nothing new.

Funding may answer a commitment ``applied`` or ``parked`` (waiting for the beneficiary's
registration event): the tests wait until funding's reports show the money, whichever."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from synergia_funding.app import create_app as create_funding
from synergia_funding.kohesio import cli
from synergia_funding.kohesio.loader import (
    AuthorityEventsOverHttp,
    BulkRegistrationOverHttp,
    load_kohesio,
)
from synergia_funding.kohesio.mapping import map_kohesio
from synergia_funding.kohesio.params import KohesioImportParams
from synergia_funding.kohesio.parser import parse_kohesio
from synergia_funding.ledger.entries import EsifFund, Source
from synergia_funding.settings import FundingSettings
from synergia_registry.app import create_app as create_registry
from synergia_registry.settings import RegistrySettings

from tests.support.beneficiaries import fetch
from tests.support.funding import eventually, query
from tests.support.listening import listening
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
    "Bulgaria\tРусе\tОбщина Русе\t200.00\t170.00\t1\tObshtina Ruse\n"
    "Romania\tDolj\tPrimăria Municipiului Craiova\t100.00\t85.00\t1\t\n"
)
PARAMS = KohesioImportParams(
    fund=EsifFund.ERDF,
    committed_on=dt.date(2020, 6, 30),
    programme_cci="2014BG16RFOP002",
    cofinancing_source=Source.NATIONAL,
)
ARGS = [
    "--fund",
    "ERDF",
    "--committed-on",
    "2020-06-30",
    "--programme-cci",
    "2014BG16RFOP002",
    "--cofinancing-source",
    "national",
]
# What the ledger holds once the file is loaded: lines 2, 3 and 4, EU and co-financing.
ESIF = Decimal("4729375.06") + Decimal("47293750.62") + Decimal("850.00")
NATIONAL = Decimal("834775.02") + Decimal("8346249.38") + Decimal("150.00")
ENTRIES = 6

KEY = "bulgaria-kohesio-key"
API_KEYS = json.dumps(
    [
        {
            "name": "bulgaria",
            "sha256": hashlib.sha256(KEY.encode()).hexdigest(),
            "roles": ["authority"],
            "region": "BG",
        }
    ]
)
BULGARIA = {"X-API-Key": KEY}


@dataclass
class Services:
    registry_url: str
    funding_url: str
    ruse: uuid.UUID  # an actor the registry held before the file: "Obshtina Ruse"


@pytest.fixture
async def services(stack: TestStack) -> AsyncIterator[Services]:
    registry = create_registry(
        RegistrySettings(**stack.settings_kwargs("registry"), api_keys=API_KEYS)  # type: ignore[arg-type]
    )
    funding = create_funding(
        FundingSettings(**stack.settings_kwargs("funding"), api_keys=API_KEYS)  # type: ignore[arg-type]
    )
    async with listening(registry) as registry_url, listening(funding) as funding_url:
        async with httpx.AsyncClient(base_url=registry_url) as client:
            answer = await client.post(
                "/v1/actors",
                json={
                    "legal_name": "Obshtina Ruse",
                    "kind": "other",
                    "country": "BG",
                    "nuts_code": "BG323",
                },
                headers=auth(),
            )
        assert answer.status_code == 201, answer.text
        yield Services(registry_url, funding_url, uuid.UUID(answer.json()["id"]))


async def region_report(funding_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=funding_url) as client:
        answer = await client.get("/v1/regions/BG/co-funding", headers=auth())
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


def committed(report: dict[str, Any], line: str) -> Decimal:
    return next(Decimal(x["committed"]) for x in report["lines"] if x["line"] == line)


async def ledger_holds_the_file(funding_url: str) -> bool:
    report = await region_report(funding_url)
    return (report["entries"], committed(report, "esif.ERDF"), committed(report, "national")) == (
        ENTRIES,
        ESIF,
        NATIONAL,
    )


async def counts(stack: TestStack) -> tuple[int, int]:
    """(actors in the registry, entries in funding's ledger)."""
    actors = await fetch(stack, "SELECT count(*) FROM actors")
    entries = await query(stack, "SELECT count(*) FROM ledger_entries")
    return int(actors[0][0]), int(entries[0][0])


async def test_a_kohesio_file_registers_its_beneficiaries_and_records_their_commitments(
    services: Services, stack: TestStack
) -> None:
    plan = map_kohesio(parse_kohesio(FILE), PARAMS)
    async with (
        httpx.AsyncClient(base_url=services.registry_url, headers=BULGARIA) as registry,
        httpx.AsyncClient(base_url=services.funding_url, headers=BULGARIA) as funding,
    ):
        registry_port = BulkRegistrationOverHttp(cli.poster(registry))
        funding_port = AuthorityEventsOverHttp(cli.poster(funding))

        report = await load_kohesio(plan, PARAMS, registry_port, funding_port)
        await eventually(lambda: ledger_holds_the_file(services.funding_url))
        held = await counts(stack)
        again = await load_kohesio(plan, PARAMS, registry_port, funding_port)

    by_line = {line.line: line for line in report.lines}
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7, 8]
    assert [by_line[n].registration for n in (2, 3, 4, 5, 6, 7, 8)] == [
        "registered",
        "registered",
        "registered",  # the organisation of line 2, in another region
        "registered",
        None,  # refused when read: no such region
        "possible_duplicate",
        "rejected",
    ]
    for n in (2, 3, 4):
        assert [c.status in ("applied", "parked") for c in by_line[n].commitments] == [True] * 2
    assert by_line[5].commitments == []
    assert by_line[5].problem is None
    assert "did you mean BG321" in (by_line[6].problem or "")
    ruse = by_line[7]
    assert ruse.commitments == []
    assert [c.actor_id for c in ruse.candidates] == [services.ruse]
    assert f"possible duplicate of: Obshtina Ruse ({services.ruse}, BG323)" in (ruse.problem or "")
    craiova = by_line[8]
    assert craiova.commitments == []
    assert "RO411 is outside BG" in (craiova.problem or "")
    assert [line.line for line in report.refused] == [6, 7, 8]
    assert held == (1 + 3, ENTRIES)  # Ruse, and the three organisations registered

    assert [r.status for r in again.registrations] == [
        "matched",
        "matched",
        "matched",
        "possible_duplicate",
        "rejected",
    ]
    assert all(r.replayed for r in again.registrations if r.status == "matched")
    assert [c.replayed for c in again.commitments] == [True] * ENTRIES
    await asyncio.sleep(1)  # time for anything the second load might have caused
    assert await counts(stack) == held
    assert await ledger_holds_the_file(services.funding_url)


async def test_a_possible_duplicate_confirmed_as_another_organisation_is_loaded_next_time(
    services: Services, stack: TestStack
) -> None:
    plan = map_kohesio(parse_kohesio(FILE), PARAMS)
    async with (
        httpx.AsyncClient(base_url=services.registry_url, headers=BULGARIA) as registry,
        httpx.AsyncClient(base_url=services.funding_url, headers=BULGARIA) as funding,
    ):
        ports = (
            BulkRegistrationOverHttp(cli.poster(registry)),
            AuthorityEventsOverHttp(cli.poster(funding)),
        )
        first = await load_kohesio(plan, PARAMS, *ports)
        ruse = next(line for line in first.lines if line.line == 7)
        external_id = next(r.beneficiary_external_id for r in plan.rows if r.line == 7)
        assert f"under external id {external_id}" in (ruse.problem or "")
        # What the line says to do, when the authority knows Ruse's municipality is not
        # the actor the registry holds.
        confirmed = await registry.post(
            "/v1/actors:batch-register",
            json={
                "items": [
                    {
                        "external_id": external_id,
                        "legal_name": "Община Русе",
                        "country": "BG",
                        "nuts_code": "BG323",
                        "allow_similar_name": True,
                    }
                ]
            },
        )
        assert confirmed.json()["registered"] == 1, confirmed.text
        second = await load_kohesio(plan, PARAMS, *ports)

    ruse = next(line for line in second.lines if line.line == 7)
    assert (ruse.registration, ruse.problem) == ("matched", None)
    assert [c.status in ("applied", "parked") and not c.replayed for c in ruse.commitments] == [
        True,
        True,
    ]

    async def ruse_committed() -> bool:
        report = await region_report(services.funding_url)
        return report["entries"] == ENTRIES + 2

    await eventually(ruse_committed)


def summary_counts(text: str, what: str) -> dict[str, int]:
    """``{"registered": 4, …}`` from the summary's line ``what: N — 4 registered, …``."""
    line = next(line for line in text.splitlines() if line.startswith(f"{what}: "))
    return {
        label: int(number.replace(",", ""))
        for number, label in re.findall(r"(\d[\d,]*) ([a-z][a-z ]*[a-z])", line.split("—")[1])
    }


async def test_the_command_loads_the_file_once_and_a_second_run_records_nothing_new(
    services: Services,
    stack: TestStack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "kohesio-bg.tsv"
    path.write_text(FILE, encoding="utf-8")
    monkeypatch.setenv("SYNERGIA_API_KEY", KEY)
    argv = [
        str(path),
        *ARGS,
        "--registry-url",
        services.registry_url,
        "--funding-url",
        services.funding_url,
    ]

    assert await asyncio.to_thread(cli.main, argv) == 0
    first = capsys.readouterr().out
    await eventually(lambda: ledger_holds_the_file(services.funding_url))
    held = await counts(stack)
    assert await asyncio.to_thread(cli.main, argv) == 0
    second = capsys.readouterr().out

    assert first.splitlines()[0] == "lines: 7 read, 4 loaded, 3 refused"
    assert "fund ERDF, committed on 2020-06-30, programme 2014BG16RFOP002" in first
    assert summary_counts(first, "beneficiaries") == {
        "registered": 3,
        "matched": 0,
        "possible duplicates": 1,
        "refused": 1,
    }
    commitments = summary_counts(first, "commitments")
    assert commitments["recorded"] + commitments["parked"] == ENTRIES
    assert (commitments["replayed"], commitments["refused"]) == (0, 0)
    assert "  line 6 (Община Велико Търново): Region:" in first
    assert "  line 7 (Община Русе): not registered, nothing committed: the registry " in first
    assert "  line 8 (Primăria Municipiului Craiova): not registered" in first
    assert held == (1 + 3, ENTRIES)

    assert summary_counts(second, "beneficiaries") == {
        "registered": 0,
        "matched": 3,
        "possible duplicates": 1,
        "refused": 1,
    }
    assert summary_counts(second, "commitments") == {
        "recorded": 0,
        "parked": 0,
        "replayed": ENTRIES,
        "refused": 0,
    }
    await asyncio.sleep(1)
    assert await counts(stack) == held
