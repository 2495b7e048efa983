"""Pure rules of the actor projection: the row a profile snapshot makes, and what an actor
offers and needs, as the text and competences partner search and team proposals match
on. The ordering rules (late events, deactivations, erasures) are shared with funding:
``synergia_shared.projections``.

Expired offers and needs (``valid_until`` before today, UTC: ``synergia_shared.validity``)
stay in the row's ``offers`` and ``needs``, for the profile view to show as expired, but
not in what is matched on: the texts, their documents and the offered competences are
made of the current ones only, as of the day the snapshot is applied. An entry expiring
later is taken out by the snapshot the registry's daily expiry sweep publishes then
(docs/matching.md, "Expired offers and needs").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from synergia_shared.events.registry import ActorRegisteredV1, OfferNeedV1
from synergia_shared.projections import actor_lifecycle as lifecycle
from synergia_shared.reference.competences import LABELS as COMPETENCE_LABELS
from synergia_shared.reference.competences import Competence
from synergia_shared.validity import is_expired, utc_today

from synergia_matching.profiles.schemas import Profile


def _competence_words(codes: list[str]) -> list[str]:
    """Competence codes as words ("materials_recycling" → "materials recycling"): the
    label of a known code, the code itself for one this service does not know yet."""
    words = []
    for code in codes:
        try:
            words.append(COMPETENCE_LABELS[Competence(code)])
        except ValueError:
            words.append(code.replace("_", " "))
    return words


def _entries_text(entries: list[OfferNeedV1]) -> list[str]:
    parts: list[str] = []
    for entry in entries:
        parts += [entry.title, entry.description, *entry.keywords]
        parts += _competence_words(entry.competences)
    return parts


def current(entries: list[OfferNeedV1], today: date | None = None) -> list[OfferNeedV1]:
    """The entries not expired on ``today`` (UTC, by default the current day): the ones
    that count in matching."""
    today = today or utc_today()
    return [e for e in entries if not is_expired(e.valid_until, today)]


def current_stored(entries: Iterable[Mapping[str, Any]], today: date) -> list[Mapping[str, Any]]:
    """:func:`current` of entries as the row stores them (JSON, dates as ISO strings)."""
    return [
        e
        for e in entries
        if not e.get("valid_until") or date.fromisoformat(e["valid_until"]) >= today
    ]


def offers_text(data: ActorRegisteredV1, today: date | None = None) -> str:
    """What the actor can provide in structured form, for full-text matching: its current
    offers and, since an actor offers what it is competent in, the labels of its
    controlled competences. This is the strong evidence of partner search (weight A of
    the document); its free text is :func:`about_text`."""
    parts = _entries_text(current(data.offers, today)) + _competence_words(data.competences)
    return "\n".join(p for p in parts if p)


def about_text(data: ActorRegisteredV1) -> str:
    """What the actor says about itself in free text: its own keywords and description.
    They can find it, but count less than a structured offer (weight D of the document):
    anyone can write any word there, and some write every word a search might use."""
    parts = [*data.keywords, data.description or ""]
    return "\n".join(p for p in parts if p)


def needs_text(data: ActorRegisteredV1, today: date | None = None) -> str:
    """What the actor is looking for: its current needs (technology, business and R&D
    requests)."""
    return "\n".join(p for p in _entries_text(current(data.needs, today)) if p)


def offered_competences(data: ActorRegisteredV1, today: date | None = None) -> list[str]:
    """The actor's competences and those of its current offers, each once, in order."""
    offers = current(data.offers, today)
    found = [*data.competences, *(c for o in offers for c in o.competences)]
    return list(dict.fromkeys(found))


def profile_row(
    data: ActorRegisteredV1,
    sequence: int,
    marks: lifecycle.LifecycleMarks,
    today: date | None = None,
) -> dict[str, Any]:
    """The actor_profiles row of a snapshot at ``sequence``, given the lifecycle marks
    already seen for the actor; jsonb columns as JSON-ready lists; what it is matched on
    as of ``today`` (UTC, by default the current day). The consumer upserts it and the
    benchmarks COPY it, so both make the same row of an event."""
    today = today or utc_today()
    return {
        **lifecycle.snapshot_columns(data, sequence, marks),
        "competences": data.competences,
        "keywords": data.keywords,
        "offers": [o.model_dump(mode="json") for o in data.offers],
        "needs": [n.model_dump(mode="json") for n in data.needs],
        "country_standing": data.country_standing,
        "nuts_version": data.nuts_version,
        "offers_text": offers_text(data, today),
        "about_text": about_text(data),
        "needs_text": needs_text(data, today),
        "offered_competences": offered_competences(data, today),
    }


def mark_expired(profile: Profile, today: date) -> Profile:
    """The profile view with each offer and need marked expired or not on ``today``."""
    for item in (*profile.offers, *profile.needs):
        item.expired = is_expired(item.valid_until, today)
    return profile
