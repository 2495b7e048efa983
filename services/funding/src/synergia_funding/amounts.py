"""What an amount of money looks like when a client sends one (pure): one rule for every
channel of this service.

An amount is written in **plain decimal notation**: the ASCII digits 0-9, at most one
decimal mark followed by at most two decimals (euro and cent), and a leading ``-`` only
where a signed delta is allowed. Nothing else, on any channel:

- no exponent (``1e2``, ``4.7E7``): scientific notation is a float's way of writing, and
  a typo away from a factor of a thousand;
- no digit separators of programming languages (``1_000``) and no ``+`` sign: Python's
  ``Decimal`` reads them, no spreadsheet or accounting system writes them;
- no digits of other scripts (Arabic-Indic ``١٢٣``, Devanagari ``१२३``…), which
  ``Decimal`` also reads: an amount that looks like text to one reader and like a number
  to another is refused by both;
- no JSON numbers: in JSON (HTTP batches, Kafka messages) an amount is a **string**
  (``"1234.56"``). A JSON number is read as binary floating point by most clients and
  parsers, which loses cents above 2^53 and cannot tell ``1e2`` from ``100``; the
  string keeps exactly what the sender wrote.

JSON and Kafka use the decimal point (``1234.56``): a machine client has no locale. A CSV
upload's cells may also be written as the sender's spreadsheet writes them, with a
decimal comma and unambiguous thousands separators
(:func:`synergia_funding.csv_dialect.parse_amount`); everything this module refuses is
refused there too, with the same reason. Only a file whose own format writes scientific
notation reads it, with its own parser, and says so.
"""

from __future__ import annotations

import re
from decimal import Decimal

# The JSON Schema pattern of an amount string (the OpenAPI documents declare it).
SIGNED_AMOUNT_PATTERN = r"^-?[0-9]+(?:\.[0-9]{1,2})?$"
AMOUNT_PATTERN = r"^[0-9]+(?:\.[0-9]{1,2})?$"
EXAMPLE = "1234.56"

_PLAIN = re.compile(r"(?P<sign>-?)(?P<digits>[0-9]+(?:\.[0-9]+)?)")
# MAX_WHOLE_DIGITS digits of euro, at most two of cent: the accepted form, in one pattern.
_ACCEPTED = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,2})?")
_EXPONENT = re.compile(r"[0-9.,]\s*[eE]\s*[+-]?[0-9]")
_CENT = Decimal("0.01")
# Euro digits of an amount: the API's NUMERIC(14,2), two places being the cent.
MAX_WHOLE_DIGITS = 12


class InvalidAmount(ValueError):
    """Not an amount in plain decimal notation; the message says why, following the
    sender's text (``'1e2' is in scientific notation: …``)."""


def refusal(text: str) -> str | None:
    """Why ``text`` is none of the forms any channel accepts, when it is one of the
    forms some parser would read as a number anyway (``None``: not one of those)."""
    if _EXPONENT.search(text):
        return f"{text!r} is in scientific notation: write the amount in plain digits"
    if "_" in text:
        return f"{text!r} has a digit separator _: write the digits alone"
    if text.startswith("+"):
        return f"{text!r} has a + sign: write the amount without it"
    if any(c.isdigit() and not ("0" <= c <= "9") for c in text):
        return f"{text!r} has digits other than 0-9: write the amount with the digits 0-9"
    return None


def parse_plain_amount(text: str, *, signed: bool = False) -> Decimal:
    """The amount ``text`` says, in plain decimal notation with a decimal point; raises
    :class:`InvalidAmount` saying why not. ``signed`` admits a leading ``-`` (a signed
    delta); otherwise a negative amount is refused."""
    text = text.strip()  # as a CSV cell is read
    if _ACCEPTED.fullmatch(text) and (signed or text[0] != "-"):
        amount = Decimal(text).quantize(_CENT)  # the common case, checked by one pattern
        return amount if amount else abs(amount)  # -0.00 is 0.00
    if not text:
        raise InvalidAmount("is empty")
    written = _PLAIN.fullmatch(text)  # [0-9]: the ASCII digits only
    if written is None:
        raise InvalidAmount(
            refusal(text)
            or f"{text!r} is not an amount: digits 0-9 with an optional decimal point, "
            f"as in {EXAMPLE!r}"
        )
    if written["sign"] and not signed:
        raise InvalidAmount(f"{text!r} is negative")
    if len(written["digits"].partition(".")[2]) > 2:
        raise InvalidAmount(f"{text!r} has more than two decimals (euro and cent)")
    amount = check_size(Decimal(written["digits"]).quantize(_CENT))
    return -amount if written["sign"] and amount else amount


def check_size(amount: Decimal) -> Decimal:
    """``amount`` if the ledger can hold it (:data:`MAX_WHOLE_DIGITS` before the point)."""
    if amount.adjusted() >= MAX_WHOLE_DIGITS:
        raise InvalidAmount(
            f"{amount} is too large: at most {MAX_WHOLE_DIGITS} digits before the decimal point"
        )
    return amount
