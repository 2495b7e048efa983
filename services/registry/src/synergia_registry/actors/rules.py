"""Pure rules about actors: no I/O, unit tested on their own."""

from __future__ import annotations

from synergia_shared.reference.countries import Country, lookup_country


def normalise_country(code: str) -> Country:
    """Accept ISO or EU codes (GR/EL, GB/UK) and return the stored EU form."""
    return lookup_country(code)


def etag_for(version: int) -> str:
    return f'"{version}"'
