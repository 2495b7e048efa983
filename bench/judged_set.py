"""The judged set of the ranking bench: realistic profiles and graded needs (bench/judged/).

``profiles/*.yaml`` hold the actors as a member would register them (any language,
controlled competences, ecosystems and NACE Rev. 2.1 codes, offers with an optional
``valid_until``); ``needs.yaml`` holds the needs with their query class and grades. How
the grades were decided is in ``bench/judged/README.md``.

:func:`actor_event` turns a profile into the ``ActorRegisteredV1`` event the registry
would publish for it. The profile's ``lang`` (the language the member wrote in) is not
sent as the event's ``language``: most members leave it unset, so the bench measures the
engine detecting it, the harder case; the report says so.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]
from synergia_shared.events.registry import ActorRegisteredV1, OfferNeedV1
from synergia_shared.reference.countries import lookup_country

JUDGED_DIR = Path(__file__).resolve().parent / "judged"
CLASSES = (
    "plain",
    "inflection",
    "synonym",
    "stuffing",
    "expired",
    "s3_phrase",
    "other_language",
)
# Registration dates spread over four years before this instant (deterministic per key).
REGISTERED_BEFORE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
# What the event carries no field for (yet), for the report.
NOT_SENT = (
    "lang: the language of the profile's texts, left for the engine to detect "
    "(not declared in the event's `language`)",
)
_NAMESPACE = uuid.UUID("5b3f1c9e-2d4a-4c1b-9a57-6e0d8f2b7c31")


@dataclass(frozen=True)
class Need:
    id: str
    query_class: str
    searcher: str
    why: str
    grades: dict[str, int]
    expired: tuple[str, ...] = ()


@dataclass(frozen=True)
class JudgedSet:
    profiles: dict[str, dict[str, Any]]
    needs: tuple[Need, ...]
    files: tuple[str, ...] = field(default=())

    def candidates(self) -> list[str]:
        """Every profile that is not a searcher."""
        searchers = {n.searcher for n in self.needs}
        return [k for k in self.profiles if k not in searchers]


def actor_id(key: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, key)


@cache
def load(directory: Path = JUDGED_DIR) -> JudgedSet:
    profiles: dict[str, dict[str, Any]] = {}
    files = sorted((directory / "profiles").glob("*.yaml"))
    for path in files:
        for profile in yaml.safe_load(path.read_text(encoding="utf-8")):
            if profile["key"] in profiles:
                raise ValueError(f"{path.name}: profile {profile['key']!r} defined twice")
            profiles[profile["key"]] = profile
    raw = yaml.safe_load((directory / "needs.yaml").read_text(encoding="utf-8"))
    needs = tuple(
        Need(
            id=n["id"],
            query_class=n["class"],
            searcher=n["searcher"],
            why=n.get("why", ""),
            grades=dict(n["grades"]),
            expired=tuple(n.get("expired", ())),
        )
        for n in raw
    )
    return JudgedSet(profiles, needs, tuple(p.name for p in files))


def _entry(owner: str, n: int, item: dict[str, Any]) -> OfferNeedV1:
    return OfferNeedV1(
        id=uuid.uuid5(_NAMESPACE, f"{owner}/{n}"),
        type=item["type"],
        title=item["title"],
        description=item.get("desc", ""),
        competences=list(item.get("comp", [])),
        keywords=list(item.get("kw", [])),
        valid_until=item.get("valid_until"),
    )


def _registered_at(key: str) -> datetime:
    seconds = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4]) % (4 * 365 * 86_400)
    return REGISTERED_BEFORE - timedelta(seconds=seconds)


def sme_category(profile: dict[str, Any]) -> str | None:
    if profile["kind"] == "large_enterprise":
        return "not_sme"
    size = profile.get("size")
    return str(size) if size else None


def actor_event(profile: dict[str, Any]) -> ActorRegisteredV1:
    """The event the registry would publish for this profile (version 1, active)."""
    key = profile["key"]
    offers = [_entry(key, n, o) for n, o in enumerate(profile.get("offers", []))]
    needs = [_entry(key, 100 + n, o) for n, o in enumerate(profile.get("needs", []))]
    return ActorRegisteredV1(
        actor_id=actor_id(key),
        legal_name=profile["name"],
        short_name=profile.get("short"),
        kind=profile["kind"],
        country=profile["country"],
        registered_at=_registered_at(key),
        country_standing=lookup_country(profile["country"]).standing.value,
        description=profile.get("desc"),
        nace_codes=list(profile.get("nace", [])),
        nace_revision="2.1",
        ecosystems=list(profile.get("eco", [])),
        competences=list(profile.get("comp", [])),
        keywords=list(profile.get("kw", [])),
        offers=offers,
        needs=needs,
        sme_category=sme_category(profile),
        version=1,
    )


def expired_offers(profile: dict[str, Any], today: date) -> list[str]:
    """Titles of the profile's offers whose ``valid_until`` is before ``today``."""
    return [
        o["title"]
        for o in profile.get("offers", [])
        if o.get("valid_until") is not None and o["valid_until"] < today
    ]
