"""Countries as EU programmes write them, and their standing in Horizon 2020 and in
Horizon Europe.

EU sources write Greece as EL and the United Kingdom as UK where ISO 3166 says GR and
GB. Synergia accepts both and stores the EU form, because NUTS codes (EL30, UKI3) and
CORDIS use it: a region's code then always starts with its country's code.

EU sources also use one code ISO 3166-1 does not assign: **XK, Kosovo** (the code of the
EU's Interinstitutional Style Guide and of the Publications Office's country table, used
by CORDIS and the Funding & Tenders portal for participants, and by Eurostat's
Statistical Regions, XK0...). pycountry follows ISO and has no XK, so it is listed here
(:data:`EU_CODES_OUTSIDE_ISO`). In EU texts the name carries the footnote "This
designation is without prejudice to positions on status, and is in line with UNSCR
1244/1999 and the ICJ Opinion on the Kosovo declaration of independence."

**Two programmes, two standings** (:class:`Country`):

- ``standing`` is the country's standing in **Horizon 2020**, the programme whose
  consortium rule the value chains follow ("3 Member States or Associated Countries";
  the United Kingdom counts, as for H2020-era data). It is what the actor views and
  events carry as ``country_standing``, unchanged.
- ``horizon_europe`` is its standing in **Horizon Europe** (2021-2027), where the
  association list differs: Kosovo was a third country in Horizon 2020 (listed in the
  Horizon 2020 Work Programme's General Annex A among the third countries whose
  entities are eligible for funding, not associated) and is associated to Horizon Europe
  (its agreement applicable since 2022); Switzerland was associated to Horizon 2020 and
  is not to Horizon Europe; the United Kingdom is associated to Horizon Europe from
  2024. The same :class:`CountryStanding` values serve both; ``united_kingdom`` is a
  Horizon 2020 value only.
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

# Codes EU reference data uses that ISO 3166-1 does not assign, with their English names
# (EU Interinstitutional Style Guide, section 7.1 and Annex A5; the Publications Office's
# "Country" authority table, code XK).
EU_CODES_OUTSIDE_ISO = {"XK": "Kosovo"}

# Horizon Europe Associated Countries, as the Commission lists them ("Updates on the
# association of third countries to Horizon Europe", DG Research and Innovation,
# research-and-innovation.ec.europa.eu; "List of participating countries in Horizon
# Europe", EU Funding & Tenders portal): association agreements applicable for
# Albania, Armenia, Bosnia and Herzegovina, the Faroe Islands, Georgia, Iceland, Israel,
# Kosovo, Moldova, Montenegro, North Macedonia, Norway, Serbia, Tunisia, Türkiye and
# Ukraine (all in force by 2022); the United Kingdom from 2024-01-01 (except the EIC
# Fund); New Zealand (from the 2023 work programmes), Canada (from 2024) and the
# Republic of Korea (from 2025) for Pillar II only, which holds the industrial
# competitiveness clusters value chains apply to. Switzerland is not associated: from
# 2025 a transitional arrangement lets its entities apply as beneficiaries while the
# association agreement is concluded; it is a third country here until that applies.
HORIZON_EUROPE_ASSOCIATED = frozenset(
    [
        "AL",
        "AM",
        "BA",
        "FO",
        "GE",
        "IS",
        "IL",
        "XK",
        "MD",
        "ME",
        "MK",
        "NO",
        "RS",
        "TN",
        "TR",
        "UA",
        "UK",
        "NZ",
        "CA",
        "KR",
    ]
)


class CountryStanding(StrEnum):
    MEMBER_STATE = "member_state"
    ASSOCIATED = "associated_country"
    UNITED_KINGDOM = "united_kingdom"  # Horizon 2020 only
    THIRD_COUNTRY = "third_country"


@dataclass(frozen=True)
class Country:
    code: str  # EU form
    name: str
    standing: CountryStanding  # in Horizon 2020 (the consortium rule's programme)
    horizon_europe: CountryStanding = CountryStanding.THIRD_COUNTRY

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
    """Resolve an ISO 3166-1 alpha-2 or EU country code (EL, UK, XK); raises
    :class:`UnknownCountry`."""
    raw = code.strip().upper()
    iso = EU_TO_ISO.get(raw, raw)
    name = EU_CODES_OUTSIDE_ISO.get(iso)
    if name is None:
        record = pycountry.countries.get(alpha_2=iso) if len(iso) == 2 else None
        if record is None:
            raise UnknownCountry(f"unknown country code {code!r}")
        name = getattr(record, "common_name", None) or record.name
    eu = ISO_TO_EU.get(iso, iso)
    return Country(
        code=eu, name=name, standing=_h2020_standing(eu), horizon_europe=_he_standing(eu)
    )


def _h2020_standing(eu: str) -> CountryStanding:
    if eu in EU27:
        return CountryStanding.MEMBER_STATE
    if eu in H2020_ASSOCIATED:
        return CountryStanding.ASSOCIATED
    if eu == UNITED_KINGDOM:
        return CountryStanding.UNITED_KINGDOM
    return CountryStanding.THIRD_COUNTRY


def _he_standing(eu: str) -> CountryStanding:
    if eu in EU27:
        return CountryStanding.MEMBER_STATE
    if eu in HORIZON_EUROPE_ASSOCIATED:
        return CountryStanding.ASSOCIATED
    return CountryStanding.THIRD_COUNTRY


@functools.cache
def all_countries() -> tuple[Country, ...]:
    """Every country :func:`lookup_country` accepts, once, in the EU form, by code: the
    ISO 3166-1 countries (GR and GB as EL and UK) and :data:`EU_CODES_OUTSIDE_ISO`."""
    codes = {record.alpha_2 for record in pycountry.countries} | EU_CODES_OUTSIDE_ISO.keys()
    return tuple(sorted((lookup_country(code) for code in codes), key=lambda c: c.code))
