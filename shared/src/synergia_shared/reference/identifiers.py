"""Identifiers of actors: the Funding & Tenders PIC and VAT numbers.

VAT numbers are checked offline with `python-stdnum` (format and check digits, never
VIES) and stored compact with the prefix the tax authority writes: EL for Greece (the EU
form), GB for the United Kingdom (as HMRC does, XI kept for Northern Ireland), the ISO
code elsewhere.
"""

from __future__ import annotations

import re

from stdnum import exceptions
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.util import get_cc_module

from synergia_shared.reference.countries import (
    EU27,
    EU_TO_ISO,
    UNITED_KINGDOM,
    Country,
    UnknownCountry,
    lookup_country,
)

# The first prefix of each tuple is the one stored; the others are accepted on input.
_PREFIXES = {"EL": ("EL", "GR"), UNITED_KINGDOM: ("GB", "XI", "UK")}
_SEPARATORS = re.compile(r"[\s.\-/]")
_PREFIX = re.compile(r"[A-Z]{2}")
# Countries without a stdnum module only get a plausibility check.
_PLAUSIBLE = re.compile(r"[A-Z0-9]{4,20}")
_REASONS: tuple[tuple[type[exceptions.ValidationError], str], ...] = (
    (exceptions.InvalidChecksum, "its check digit is wrong"),
    (exceptions.InvalidLength, "it has the wrong length"),
    (exceptions.InvalidFormat, "it has the wrong format"),
    (exceptions.InvalidComponent, "part of it is not valid for that country"),
)


class InvalidIdentifier(ValueError):
    pass


def validate_pic(value: str) -> str:
    """The 9-digit Participant Identification Code, spaces removed."""
    pic = re.sub(r"\s+", "", value)
    if not re.fullmatch(r"[0-9]{9}", pic):
        raise InvalidIdentifier(f"a PIC is exactly 9 digits, got {value!r}")
    return pic


def validate_vat(value: str, country: str) -> str:
    """``value`` (with or without its prefix) as a compact, prefixed VAT number of ``country``.

    Raises :class:`InvalidIdentifier` when the number fails the country's checks or its
    prefix names another country.
    """
    try:
        actor = lookup_country(country)
    except UnknownCountry as exc:
        raise InvalidIdentifier(f"unknown country code {country!r}") from exc
    cc = actor.code
    number = _SEPARATORS.sub("", value.upper())
    prefixes = _PREFIXES.get(cc, (cc,))
    prefix, body, foreign = prefixes[0], number, None
    if number[:2] in prefixes:
        body = number[2:]
        prefix = "XI" if number[:2] == "XI" else prefix
    else:
        foreign = _prefix_owner(number[:2])
    try:
        if cc in EU27:
            return eu_vat.validate(prefix + body)
        if cc == UNITED_KINGDOM:
            return prefix + gb_vat.validate(body)
        return _validate_elsewhere(prefix, body, number)
    except exceptions.ValidationError as exc:
        # Only now: a national number may itself start with letters that look like a prefix.
        if foreign is not None:
            raise InvalidIdentifier(
                f"VAT number {number} is from {foreign.name} (prefix {number[:2]}), "
                f"the actor is in {cc}"
            ) from exc
        reason = next((text for kind, text in _REASONS if isinstance(exc, kind)), "it is invalid")
        raise InvalidIdentifier(
            f"VAT number {value.strip()!r} is not valid in {actor.name} ({cc}): {reason}"
        ) from exc


def _validate_elsewhere(prefix: str, body: str, number: str) -> str:
    module = get_cc_module(EU_TO_ISO.get(prefix, prefix), "vat")
    if module is None:
        if not _PLAUSIBLE.fullmatch(body):
            raise exceptions.InvalidFormat()
        return prefix + body
    try:
        compact = module.validate(body)
    except exceptions.ValidationError:
        # Some numbers carry the prefix inside them (Swiss CHE...): try the whole input.
        if number == body:
            raise
        compact = module.validate(number)
    return compact if compact.startswith(prefix) else prefix + compact


def _prefix_owner(letters: str) -> Country | None:
    """The country whose VAT prefix ``letters`` is, if any."""
    if not _PREFIX.fullmatch(letters):
        return None
    owner = next((eu for eu, accepted in _PREFIXES.items() if letters in accepted), letters)
    try:
        return lookup_country(owner)
    except UnknownCountry:
        return None
