"""The amount rule of :mod:`synergia_funding.amounts` as pydantic fields, so every
request model of this service that takes money reads it the same way: the authority
items (JSON, Kafka, CSV) and the funding sources' figures alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from synergia_funding.amounts import (
    AMOUNT_PATTERN,
    EXAMPLE,
    InvalidAmount,
    check_size,
    parse_plain_amount,
)

_RULE = (
    "EUR in plain decimal notation, as a string: digits 0-9, a decimal point and at most "
    "two decimals. No exponent, +, _ or other scripts' digits, and no JSON number"
)


def plain_amount(*, signed: bool) -> Callable[[Any], Any]:
    """A before-validator: a string in plain decimal notation becomes its ``Decimal``; a
    JSON number or boolean is refused; a ``Decimal`` (a CSV cell already read, a stored
    figure) is only checked for size."""

    def read(value: Any) -> Any:
        if type(value) is str:  # the JSON and Kafka case, first: checks cost per item
            try:
                return parse_plain_amount(value, signed=signed)
            except InvalidAmount as exc:
                raise PydanticCustomError("amount_text", "{reason}", {"reason": str(exc)}) from None
        if isinstance(value, bool | int | float):
            what = "a boolean" if isinstance(value, bool) else "a JSON number"
            raise PydanticCustomError(
                "amount_type",
                'an amount is a string in plain decimal notation, as in "{example}", '
                "not {what} ({value})",
                {"example": EXAMPLE, "what": what, "value": json.dumps(value)},
            )
        if isinstance(value, Decimal):
            try:
                return check_size(value)
            except InvalidAmount as exc:
                raise PydanticCustomError("amount_text", "{reason}", {"reason": str(exc)}) from None
        return value

    return read


PlainMoney = Annotated[
    Decimal,
    BeforeValidator(plain_amount(signed=False)),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": AMOUNT_PATTERN,
            "examples": [EXAMPLE],
            "description": _RULE,
        }
    ),
]
"""A non-negative amount of a request body (never a delta)."""
