"""Countries as EU programmes write them, and their standing in Horizon 2020.

EU sources write Greece as EL and the United Kingdom as UK where ISO 3166 says GR and
GB. Synergia accepts both and stores the EU form, because NUTS codes (EL30, UKI3) and
CORDIS use it: a region's code then always starts with its country's code.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum

import pycountry

ISO_TO_EU = {"GR": "EL", "GB": "UK"}
EU_TO_ISO = {eu: iso for iso, eu in ISO_TO_EU.items()}

# Member States (EU27), in the EU form.
EU27 = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "EL",
        "ES",
        "FI",
        "FR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
# Horizon 2020 Associated Countries (Horizon 2020 Annotated Model Grant Agreement, list
# of associated countries as of 2020).
H2020_ASSOCIATED = frozenset(
    ["AL", "AM", "BA", "FO", "GE", "IS", "IL", "MD", "ME", "MK", "NO", "RS", "CH", "TN", "TR", "UA"]
)
# The United Kingdom took part as a Member State for H2020-era data.
UNITED_KINGDOM = "UK"


class CountryStanding(StrEnum):
    MEMBER_STATE = "member_state"
    ASSOCIATED = "associated_country"
    UNITED_KINGDOM = "united_kingdom"
    THIRD_COUNTRY = "third_country"


@dataclass(frozen=True)
class Country:
    code: str  # EU form
    name: str
    standing: CountryStanding

    @property
    def eligible_for_consortium(self) -> bool:
        """Counts toward "3 Member States or Associated Countries"."""
        return self.standing is not CountryStanding.THIRD_COUNTRY


class UnknownCountry(ValueError):
    pass


# Cached: every actor view and profile check resolves its country, and pycountry's lookup
# is most of the cost of building a view. Country is immutable; an unknown code raises,
# and exceptions are not cached, so only real codes (a few hundred) fill the cache.
@functools.lru_cache(maxsize=1024)
def lookup_country(code: str) -> Country:
    """Resolve an ISO 3166-1 alpha-2 or EU country code; raises :class:`UnknownCountry`."""
    raw = code.strip().upper()
    iso = EU_TO_ISO.get(raw, raw)
    record = pycountry.countries.get(alpha_2=iso) if len(iso) == 2 else None
    if record is None:
        raise UnknownCountry(f"unknown country code {code!r}")
    eu = ISO_TO_EU.get(iso, iso)
    if eu in EU27:
        standing = CountryStanding.MEMBER_STATE
    elif eu in H2020_ASSOCIATED:
        standing = CountryStanding.ASSOCIATED
    elif eu == UNITED_KINGDOM:
        standing = CountryStanding.UNITED_KINGDOM
    else:
        standing = CountryStanding.THIRD_COUNTRY
    return Country(
        code=eu, name=getattr(record, "common_name", None) or record.name, standing=standing
    )
