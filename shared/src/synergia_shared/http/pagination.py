"""Opaque cursors for keyset pagination."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from synergia_shared.http.problems import ProblemException, validation_problem


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_cursor() from exc
    if not isinstance(values, list) or len(values) != arity:
        raise bad_cursor()
    return values


def parse_cursor(cursor: str, *parsers: Callable[[Any], Any]) -> list[Any]:
    """A cursor's values, each through its parser (``uuid.UUID``, ``datetime.fromisoformat``,
    ``Decimal``…); a value of the wrong type or form is a 422, never a 500. Parsers get
    strings: a cursor carries what :func:`encode_cursor` wrote, as JSON."""
    values = decode_cursor(cursor, len(parsers))
    try:
        return [parse(str(value)) for parse, value in zip(parsers, values, strict=True)]
    except (ValueError, TypeError, ArithmeticError):
        raise bad_cursor() from None


def bad_cursor(msg: str = "not a valid cursor") -> ProblemException:
    return validation_problem([{"loc": ["query", "cursor"], "msg": msg}])
