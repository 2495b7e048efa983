# ruff: noqa: RUF001 -- real Cyrillic names are the test data
"""The Kohesio loader's plan: what it sends to the registry and to funding, and what it
reports when the registry does not register an organisation."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from synergia_funding.kohesio.loader import (
    BulkRegistrationOverHttp,
    Candidate,
    CommitmentResult,
    RegistrationItem,
    RegistrationResult,
    ServiceRefused,
    load_kohesio,
)
from synergia_funding.kohesio.mapping import map_kohesio
from synergia_funding.kohesio.params import KohesioImportParams
from synergia_funding.kohesio.parser import parse_kohesio
from synergia_funding.ledger.entries import EsifFund

FILE = (
    "Country\tRegion\tBeneficiary Name\tTotal Budget\tEU Contribution\t"
    "Number of Projects\tTransliterated Name\n"
    "Bulgaria\tBlagoevgrad Province\tОбщина Благоевград\t1000.00\t850.00\t1\t"
    "Obshtina Blagoevgrad\n"
    "Bulgaria\tBurgas\tОбщина Благоевград\t2000.00\t1700.00\t1\t\n"
    "Bulgaria\tBurgas\tЕТ Море\t100.00\t85.00\t1\t\n"
)
PARAMS = KohesioImportParams(
    fund=EsifFund.ERDF, committed_on=dt.date(2021, 3, 1), programme_cci="2014BG16RFOP002"
)
ACTOR = uuid.UUID("3f2b8f0e-51c4-4ab8-9d2e-6c9f0a4c1d11")
SIMILAR = Candidate(uuid.UUID("0b7c1f2a-9d3e-4f5a-8b6c-7d8e9f0a1b2c"), "ET More", "BG341")


class Registry:
    """Registers every organisation but the one named ``duplicate``."""

    def __init__(self, duplicate: str) -> None:
        self.duplicate = duplicate
        self.sent: list[RegistrationItem] = []

    async def register(self, items: Sequence[RegistrationItem]) -> list[RegistrationResult]:
        self.sent += items
        return [
            RegistrationResult(item.external_id, "possible_duplicate", None, candidates=(SIMILAR,))
            if item.legal_name == self.duplicate
            else RegistrationResult(item.external_id, "registered", ACTOR)
            for item in items
        ]


class Funding:
    def __init__(self) -> None:
        self.sent: list[Mapping[str, Any]] = []

    async def commit(self, items: Sequence[Mapping[str, Any]]) -> list[CommitmentResult]:
        self.sent += items
        return [CommitmentResult(str(item["external_id"]), "applied") for item in items]


async def test_one_registration_per_organisation_and_a_commitment_per_line() -> None:
    plan = map_kohesio(parse_kohesio(FILE), PARAMS)
    registry, funding = Registry(duplicate="ЕТ Море"), Funding()

    report = await load_kohesio(
        plan, PARAMS, registry, funding, registration_batch=1, commitment_batch=1
    )

    assert [line.registration for line in report.lines] == [
        "registered",
        "registered",
        "possible_duplicate",
    ]
    assert [(i.legal_name, i.nuts_code, i.nuts_version) for i in registry.sent] == [
        ("Община Благоевград", "BG413", "2024"),
        ("ЕТ Море", "BG341", "2024"),
    ]
    assert (report.beneficiaries("registered"), report.beneficiaries("possible_duplicate")) == (
        1,
        1,
    )
    assert [(i["region_nuts"], i["amount"]) for i in funding.sent] == [
        ("BG413", "850.00"),
        ("BG341", "1700.00"),
    ]
    first = funding.sent[0]
    assert {k: first[k] for k in ("kind", "source", "fund", "instrument_id", "date")} == {
        "kind": "commitment",
        "source": "esif",
        "fund": "ERDF",
        "instrument_id": "2014BG16RFOP002",
        "date": "2021-03-01",
    }
    assert first["beneficiary_id"] == str(ACTOR)


async def test_a_line_whose_organisation_is_not_registered_is_not_committed_and_says_why() -> None:
    plan = map_kohesio(parse_kohesio(FILE), PARAMS)
    report = await load_kohesio(plan, PARAMS, Registry(duplicate="ЕТ Море"), Funding())

    sea = next(line for line in report.lines if line.line == 4)
    assert sea.registration == "possible_duplicate"
    assert sea.commitments == []
    assert sea.candidates == (SIMILAR,)
    assert sea.problem is not None
    assert sea.problem.startswith("not registered, nothing committed")
    assert f"possible duplicate of: ET More ({SIMILAR.actor_id}, BG341)" in sea.problem
    assert [line.line for line in report.refused] == [4]


def registry_answering(*answers: tuple[int, Any]) -> tuple[BulkRegistrationOverHttp, list[Any]]:
    """The adapter over a registry that gives ``answers`` in turn; and what it was sent."""
    sent: list[Any] = []
    queue = list(answers)

    async def post(path: str, body: Mapping[str, Any]) -> tuple[int, Any]:
        sent.append((path, body))
        return queue.pop(0)

    return BulkRegistrationOverHttp(post), sent


ITEMS = [
    RegistrationItem("kohesio:BG:a", "Община Русе", "BG", "BG323", "2024"),
    RegistrationItem("kohesio:RO:b", "Primăria Craiova", "RO", "RO411", "2024"),
]
ANSWER = {
    "sender": "authority:BG",
    "registered": 0,
    "matched": 0,
    "possible_duplicates": 1,
    "rejected": 1,
    "items": [  # in any order: the index says which item
        {
            "index": 1,
            "external_id": "kohesio:RO:b",
            "status": "rejected",
            "actor_id": None,
            "matched_by": [],
            "replayed": False,
            "candidates": [],
            "problem": {
                "type": "https://synergia.eu/problems/forbidden-region",
                "title": "Outside the sender's region",
                "status": 403,
                "detail": "region RO411 is outside BG",
            },
        },
        {
            "index": 0,
            "external_id": "kohesio:BG:a",
            "status": "possible_duplicate",
            "actor_id": None,
            "matched_by": [],
            "replayed": False,
            "candidates": [
                {
                    "actor_id": str(SIMILAR.actor_id),
                    "legal_name": "Obshtina Ruse",
                    "nuts_code": None,
                }
            ],
            "problem": None,
        },
    ],
}


async def test_the_registry_adapter_sends_the_batch_register_items_and_reads_its_answer() -> None:
    adapter, sent = registry_answering((200, ANSWER))

    results = await adapter.register(ITEMS)

    assert sent == [
        (
            "/v1/actors:batch-register",
            {
                "items": [
                    {
                        "external_id": "kohesio:BG:a",
                        "legal_name": "Община Русе",
                        "country": "BG",
                        "nuts_code": "BG323",
                        "nuts_version": "2024",
                    },
                    {
                        "external_id": "kohesio:RO:b",
                        "legal_name": "Primăria Craiova",
                        "country": "RO",
                        "nuts_code": "RO411",
                        "nuts_version": "2024",
                    },
                ]
            },
        )
    ]
    assert results == [
        RegistrationResult(
            "kohesio:BG:a",
            "possible_duplicate",
            None,
            candidates=(Candidate(SIMILAR.actor_id, "Obshtina Ruse", None),),
        ),
        RegistrationResult("kohesio:RO:b", "rejected", None, problem="region RO411 is outside BG"),
    ]


async def test_a_batch_the_registry_refuses_as_raced_is_sent_again() -> None:
    raced = {"status": 409, "detail": "another request registered some of the same …"}
    adapter, sent = registry_answering((409, raced), (200, ANSWER))

    results = await adapter.register(ITEMS)

    assert len(sent) == 2
    assert [r.status for r in results] == ["possible_duplicate", "rejected"]


async def test_a_batch_the_registry_refuses_whole_stops_the_load_saying_why() -> None:
    invalid = {"status": 422, "detail": "body.items: a batch has 1 to 5000 items, not 0"}
    adapter, _ = registry_answering((422, invalid))

    with pytest.raises(ServiceRefused) as refused:
        await adapter.register(ITEMS)

    assert str(refused.value) == (
        "the registry refused a batch of beneficiaries (422): body.items: a batch has 1 "
        "to 5000 items, not 0"
    )
