# ruff: noqa: RUF001 -- real Cyrillic names are the test data
"""The Kohesio loader's plan: what it sends to the registry and to funding, and what it
reports when the registry does not register an organisation."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from synergia_funding.kohesio.loader import (
    CommitmentResult,
    RegistrationItem,
    RegistrationResult,
    load_kohesio,
)
from synergia_funding.kohesio.mapping import map_kohesio
from synergia_funding.kohesio.params import KohesioImportParams
from synergia_funding.kohesio.parser import parse_kohesio
from synergia_funding.ledger.model import EsifFund

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


class Registry:
    """Registers every organisation but the one named ``duplicate``."""

    def __init__(self, duplicate: str) -> None:
        self.duplicate = duplicate
        self.sent: list[RegistrationItem] = []

    async def register(self, items: Sequence[RegistrationItem]) -> list[RegistrationResult]:
        self.sent += items
        return [
            RegistrationResult(
                item.external_id,
                "possible_duplicate",
                None,
                "close to actor 'ET More' in BG: confirm or register it anew",
            )
            if item.legal_name == self.duplicate
            else RegistrationResult(item.external_id, "created", ACTOR)
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

    report = await load_kohesio(plan, PARAMS, registry, funding, batch_size=1)

    assert [line.registration for line in report.lines] == [
        "created",
        "created",
        "possible_duplicate",
    ]
    assert [(i.legal_name, i.latin_name, i.nuts_code) for i in registry.sent] == [
        ("Община Благоевград", "Obshtina Blagoevgrad", "BG413"),
        ("ЕТ Море", None, "BG341"),
    ]
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
    assert sea.problem == (
        "not committed: the beneficiary is not registered (close to actor 'ET More' in BG: "
        "confirm or register it anew)"
    )
    assert [line.line for line in report.refused] == [4]
