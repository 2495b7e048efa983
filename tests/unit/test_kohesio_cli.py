# ruff: noqa: RUF001 -- real Cyrillic names are the test data
"""The Kohesio command: what it asks for, what it prints, and its exit status when the
file or the services let it down (the loads themselves: tests/integration)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from synergia_devstack.ports import free_port
from synergia_funding.kohesio import cli
from synergia_funding.kohesio.loader import (
    Candidate,
    CommitmentResult,
    KohesioLoadReport,
    LineReport,
    RegistrationResult,
)
from synergia_funding.kohesio.params import KohesioImportParams
from synergia_funding.ledger.entries import EsifFund

HEADER = (
    "Country\tRegion\tBeneficiary Name\tTotal Budget\tEU Contribution\t"
    "Number of Projects\tTransliterated Name\n"
)
LINE = "Bulgaria\tBlagoevgrad Province\tОбщина Благоевград\t1000.00\t850.00\t1\t\n"
ASSUMED = ["--fund", "ERDF", "--committed-on", "2021-12-31"]


@pytest.fixture
def kohesio_file(tmp_path: Path) -> Path:
    path = tmp_path / "kohesio.tsv"
    path.write_text(HEADER + LINE, encoding="utf-8")
    return path


def nowhere() -> list[str]:
    """URLs where nothing listens."""
    return [
        "--registry-url",
        f"http://127.0.0.1:{free_port()}",
        "--funding-url",
        f"http://127.0.0.1:{free_port()}",
    ]


def test_the_fund_and_the_date_are_required_never_assumed(kohesio_file: Path) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main([str(kohesio_file), "--committed-on", "2021-12-31"])
    assert stopped.value.code == 2
    with pytest.raises(SystemExit) as stopped:
        cli.main([str(kohesio_file), "--fund", "ERDF"])
    assert stopped.value.code == 2


def test_without_credentials_it_says_how_to_get_them(
    kohesio_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SYNERGIA_API_KEY", raising=False)
    monkeypatch.delenv("SYNERGIA_TOKEN", raising=False)

    assert cli.main([str(kohesio_file), *ASSUMED, *nowhere()]) == 2
    assert "set SYNERGIA_API_KEY" in capsys.readouterr().err


def test_an_api_key_goes_first_and_a_token_as_bearer() -> None:
    assert cli.credentials({"SYNERGIA_API_KEY": "k", "SYNERGIA_TOKEN": "t"}) == {"X-API-Key": "k"}
    assert cli.credentials({"SYNERGIA_TOKEN": "t"}) == {"Authorization": "Bearer t"}


def test_a_date_before_the_ledger_is_a_usage_error(
    kohesio_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SYNERGIA_API_KEY", "k")
    argv = [str(kohesio_file), "--fund", "ERDF", "--committed-on", "2013-12-31", *nowhere()]

    assert cli.main(argv) == 2
    assert "before 2014-01-01" in capsys.readouterr().err


def test_a_file_that_is_not_a_kohesio_export_fails_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "organization.csv"
    path.write_text("projectID;name;country\n1;ACME;BG\n", encoding="utf-8")
    monkeypatch.setenv("SYNERGIA_API_KEY", "k")

    assert cli.main([str(path), *ASSUMED, *nowhere()]) == 1
    assert "is not a Kohesio beneficiary export: the header has no tab" in capsys.readouterr().err


def test_services_out_of_reach_fail_the_command(
    kohesio_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SYNERGIA_API_KEY", "k")

    assert cli.main([str(kohesio_file), *ASSUMED, *nowhere()]) == 1
    assert "could not reach the registry" in capsys.readouterr().err


def test_the_summary_counts_beneficiaries_and_commitments_and_lists_each_refusal() -> None:
    actor = uuid.UUID(int=1)
    similar = Candidate(uuid.UUID(int=2), "Obshtina Ruse", "BG323")
    report = KohesioLoadReport(
        lines=[
            LineReport(
                2,
                "Община Благоевград",
                "registered",
                [
                    CommitmentResult("c1", "applied"),
                    CommitmentResult("c2", "parked"),
                ],
            ),
            LineReport(3, "Община Русе", "possible_duplicate", problem="not registered: …"),
            LineReport(4, "Община Сливен", "matched", [CommitmentResult("c3", "applied", True)]),
            LineReport(5, "ЕТ Море", "registered", [CommitmentResult("c4", "rejected")]),
        ],
        registrations=[
            RegistrationResult("a", "registered", actor),
            RegistrationResult("b", "possible_duplicate", None, candidates=(similar,)),
            RegistrationResult("c", "matched", actor, replayed=True),
            RegistrationResult("d", "registered", actor),
        ],
    )
    report.lines[3].problem = "commitment c4 refused: amount too large"
    params = KohesioImportParams(fund=EsifFund.CF, committed_on=dt.date(2021, 12, 31))

    text = cli.summary(report, params, show_all=False)

    assert text.splitlines() == [
        "lines: 4 read, 2 loaded, 2 refused",
        "assumed for every line: fund CF, committed on 2021-12-31, no programme (the "
        "commitments name no instrument), co-financing not committed (EU contribution only); "
        "regions named in NUTS 2024",
        "beneficiaries: 4 — 2 registered, 1 matched, 1 possible duplicates, 0 refused",
        "commitments: 4 — 1 recorded, 1 parked (recorded when the beneficiary's registration "
        "reaches funding), 1 replayed (sent before, nothing new), 1 refused",
        "refused lines (2):",
        "  line 3 (Община Русе): not registered: …",
        "  line 5 (ЕТ Море): commitment c4 refused: amount too large",
    ]
