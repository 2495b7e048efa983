"""Reading a beneficiary CSV: the delimiter from the header, empty cells absent, a row too
wide refused alone, a file that is not such a CSV refused whole."""

from __future__ import annotations

import pytest
from synergia_registry.beneficiaries import csv_rows
from synergia_registry.beneficiaries.service import UnreadableItem
from synergia_shared.http.problems import ProblemException


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_the_one_that_splits_the_header_into_field_names(delimiter: str) -> None:
    lines = [
        ["external_id", "legal_name", "country", "pic"],
        ["K-1", '"Acme, Ltd; Sofia"', "BG", ""],
        ["K-2", "x", "BG", "999912345"],
    ]
    text = "\ufeff" + "\n".join(delimiter.join(cells) for cells in lines) + "\n"
    rows = csv_rows.parse(text.encode())
    assert rows == [
        {"external_id": "K-1", "legal_name": "Acme, Ltd; Sofia", "country": "BG"},
        {"external_id": "K-2", "legal_name": "x", "country": "BG", "pic": "999912345"},
    ]


def test_a_row_wider_than_the_header_is_unreadable_alone() -> None:
    rows = csv_rows.parse(b"external_id;legal_name;country\nA;B;BG;extra\nC;D;BG;\n")
    assert rows == [
        UnreadableItem("4 cells where the header has 3 columns"),
        {"external_id": "C", "legal_name": "D", "country": "BG"},
    ]


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        (b"", ["body"], "empty"),
        (b"external_id,legal_name\n", ["body"], "no rows after the header"),
        (b"external_id,name\nA,B\n", ["body", "header"], "unknown column(s) name"),
        (b"\xff\xfe", ["body"], "not UTF-8"),
    ],
)
def test_what_is_not_such_a_csv_is_refused_whole(body: bytes, loc: list[str], message: str) -> None:
    with pytest.raises(ProblemException) as raised:
        csv_rows.parse(body)
    error = raised.value.errors[0]  # type: ignore[index]
    assert error["loc"] == loc
    assert message in error["msg"]
