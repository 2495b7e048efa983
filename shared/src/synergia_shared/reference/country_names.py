"""Countries written as names, as open-data exports write them ("Bulgaria", "Czechia")."""

from __future__ import annotations

import functools

import pycountry

from synergia_shared.reference.countries import Country, UnknownCountry, lookup_country


@functools.lru_cache(maxsize=512)
def lookup_country_by_name_or_code(text: str) -> Country:
    """A country by its English name (short, official or common, any case) or its ISO or
    EU code; raises :class:`UnknownCountry`."""
    value = " ".join(text.split())
    if len(value) == 2:
        return lookup_country(value)
    try:
        record = pycountry.countries.lookup(value)
    except LookupError:
        raise UnknownCountry(
            f"unknown country {text!r}: neither a country name nor a code"
        ) from None
    return lookup_country(record.alpha_2)
