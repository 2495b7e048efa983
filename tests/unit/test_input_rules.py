"""The pure rules behind hostile input: text that cannot be stored, JSON depth, CSV that
is too wide or has a cell too long, token claims of the wrong shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from synergia_shared.http.auth import Authenticator, Role, issue_token, principal_of
from synergia_shared.http.input_limits import InputRefused, json_depth_exceeds, loads_bounded
from synergia_shared.http.item_batches import UnreadableItem, _row_item, csv_items, json_items
from synergia_shared.http.problems import ProblemException, field_errors
from synergia_shared.http.storable_text import MAX_REPORTED, is_storable, unstorable_text
from synergia_shared.settings import DEV_JWT_SECRET, ServiceSettings

DB = "postgresql+asyncpg://u@localhost/x"


@pytest.mark.parametrize(
    ("text", "storable"),
    [
        ("Olympic Agri-Food Cluster", True),
        ("Łódź, Ελλάδα, 😀", True),  # an astral character, a valid surrogate pair in JSON
        ("a\x00b", False),
        ("\ud800", False),
        ("x\udfff", False),
    ],
)
def test_text_is_storable_unless_it_has_nul_or_a_lone_surrogate(text: str, storable: bool) -> None:
    assert is_storable(text) is storable


def test_unstorable_text_names_every_place_keys_included() -> None:
    document = json.loads(
        '{"name": "ok", "offers": [{"title": "a\\u0000"}, {"title": "fine"}],'
        ' "keywords": ["x", "\\ud83d"], "bad\\u0000key": 1, "pair": "\\ud83d\\ude00"}'
    )
    locs = [e["loc"] for e in unstorable_text(document, ["body"])]
    assert locs == [
        ["body", "offers", 0, "title"],
        ["body", "keywords", 1],
        ["body", "bad\\u0000key"],
    ]


def test_unstorable_text_reports_a_bounded_number() -> None:
    assert len(unstorable_text(["\x00"] * 10_000)) == MAX_REPORTED


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def test_json_depth_is_counted_outside_strings() -> None:
    assert not json_depth_exceeds(nested(32), 32)
    assert json_depth_exceeds(nested(33), 32)
    assert json_depth_exceeds(nested(10_000), 32)
    # Brackets and escaped quotes inside strings are text, not nesting.
    text = json.dumps({"a": "[[[[" * 100 + '\\"{{{{' * 100, "b": [[1]]}).encode()
    assert not json_depth_exceeds(text, 4)
    wide = json.dumps({"items": [{"x": [1, 2]} for _ in range(5_000)]}).encode()
    assert not json_depth_exceeds(wide, 32)


def test_json_nested_10000_deep_is_a_422_not_a_recursion_error() -> None:
    with pytest.raises(InputRefused) as refused:
        loads_bounded(b'{"items": ' + nested(10_000) + b"}")
    assert refused.value.status_code == 422
    assert refused.value.errors == [{"loc": ["body"], "msg": "JSON nested deeper than 32 levels"}]
    with pytest.raises(InputRefused):
        json_items(b'{"items": ' + nested(10_000) + b"}", 10)


def test_a_batch_with_an_integer_of_5000_digits_is_a_422() -> None:
    with pytest.raises(ProblemException) as refused:
        json_items(b'{"items": [' + b"9" * 5_000 + b"]}", 10)
    assert refused.value.status == 422


FIELDS = frozenset({"external_id", "amount"})


def test_a_csv_cell_over_the_field_limit_refuses_its_row_alone() -> None:
    body = ("external_id,amount\na,1\nb," + "9" * 200_000 + "\nc,3\n").encode()
    rows = csv_items(body, FIELDS, 10)
    assert rows[0] == {"external_id": "a", "amount": "1"}
    assert isinstance(rows[1], UnreadableItem)
    assert rows[1].reason == "the row has a cell longer than 131,072 characters"
    assert rows[2] == {"external_id": "c", "amount": "3"}


def test_a_csv_header_cell_over_the_field_limit_is_a_422() -> None:
    body = ("external_id," + "x" * 200_000 + "\na,1\n").encode()
    with pytest.raises(ProblemException) as refused:
        csv_items(body, FIELDS, 10)
    assert refused.value.status == 422
    assert "131,072" in (refused.value.detail or "")


def test_a_csv_of_100000_columns_is_refused_without_echoing_them() -> None:
    header = ",".join(f"column{i}" for i in range(100_000))
    with pytest.raises(ProblemException) as refused:
        csv_items(f"{header}\n{'1,' * 99_999}1\n".encode(), FIELDS, 10)
    assert refused.value.status == 422
    detail = refused.value.detail or ""
    assert "unknown column(s) column0, column1" in detail
    assert "and 99995 more" in detail
    assert len(detail) < 500


def test_a_csv_row_of_100000_cells_is_refused_alone() -> None:
    body = ("external_id,amount\n" + "x," * 99_999 + "1\na,2\n").encode()
    rows = csv_items(body, FIELDS, 10)
    assert isinstance(rows[0], UnreadableItem)
    assert rows[0].reason.startswith("100000 cells where the header has 2 columns")
    assert rows[1] == {"external_id": "a", "amount": "2"}


def test_a_csv_row_is_its_non_empty_cells_stripped() -> None:
    raw: dict[str | None, Any] = {" external_id ": " a ", "amount": "  "}
    assert _row_item(raw, 2, "") == {"external_id": "a"}


def test_a_csv_row_wider_than_its_header_is_unreadable_unless_the_extra_cells_are_empty() -> None:
    wide: dict[str | None, Any] = {"external_id": "a", "amount": "1", None: ["2", ""]}
    assert _row_item(wide, 2, "; a comma in a cell?") == UnreadableItem(
        "4 cells where the header has 2 columns; a comma in a cell?"
    )
    trailing: dict[str | None, Any] = {"external_id": "a", "amount": "1", None: ["", " "]}
    assert _row_item(trailing, 2, "") == {"external_id": "a", "amount": "1"}


def test_a_csv_of_more_rows_than_allowed_is_a_422_and_the_limit_is_allowed() -> None:
    body = b"external_id,amount\na,1\nb,2\n"
    assert len(csv_items(body, FIELDS, 2)) == 2
    with pytest.raises(ProblemException) as refused:
        csv_items(body, FIELDS, 1)
    assert refused.value.detail == "body: at most 1 rows per upload"


def test_the_hint_for_a_too_wide_row_is_given_only_for_commas() -> None:
    wide = b"external_id;amount\na;1;2\n"
    [row] = csv_items(wide, FIELDS, 10, comma_hint=" (hint)")
    assert row == UnreadableItem("3 cells where the header has 2 columns")
    [row] = csv_items(wide.replace(b";", b","), FIELDS, 10, comma_hint=" (hint)")
    assert row == UnreadableItem("3 cells where the header has 2 columns (hint)")


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"sub": "u", "roles": ["authority"], "region": "ITC4"}
    return {**base, **overrides}


@pytest.mark.parametrize(
    "bad",
    [
        {"roles": [["admin"]]},
        {"roles": "admin"},
        {"roles": [1]},
        {"region": ["ITC4"]},
        {"region": 42},
        {"region": "F"},
        {"region": "ZZ99"},
        {"sub": {"id": 1}},
        {"actor_id": ["x"]},
    ],
    ids=str,
)
def test_claims_of_the_wrong_shape_are_401(bad: dict[str, Any]) -> None:
    with pytest.raises(ProblemException) as refused:
        principal_of(claims(**bad))
    assert refused.value.status == 401


def test_a_region_claim_is_a_nuts_code_of_any_level() -> None:
    assert principal_of(claims(region="itc4")).region == "ITC4"
    assert principal_of(claims(region="FR")).region == "FR"
    assert principal_of(claims(region="FR1")).region == "FR1"
    assert principal_of(claims(roles=["admin"], region=None)).roles == {Role.ADMIN}


async def test_a_token_without_exp_is_401() -> None:
    now = datetime.now(UTC)
    token = jwt.encode(
        {"sub": "u", "roles": ["admin"], "iss": "synergia", "aud": "synergia", "iat": now},
        DEV_JWT_SECRET,
        algorithm="HS256",
    )
    authenticator = Authenticator(ServiceSettings(database_url=DB))  # type: ignore[call-arg]
    with pytest.raises(ProblemException) as refused:
        await authenticator.from_token(token)
    assert refused.value.status == 401
    assert "exp" in (refused.value.detail or "")
    fine = issue_token(DEV_JWT_SECRET, subject="u", roles=["admin"], ttl=timedelta(minutes=5))
    assert (await authenticator.from_token(fine)).roles == {Role.ADMIN}


def test_validation_messages_do_not_speak_python() -> None:
    errors = field_errors(
        [
            {
                "type": "model_type",
                "loc": ("body", "offers", 0),
                "msg": "Input should be a valid dictionary or instance of OfferNeedIn",
            },
            {"type": "value_error", "loc": ("body", "country"), "msg": "Value error, unknown"},
        ]
    )
    assert [e["msg"] for e in errors] == ["expected an object", "unknown"]
