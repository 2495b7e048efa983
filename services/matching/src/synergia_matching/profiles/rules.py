"""Pure rules of the actor projection: the row a profile snapshot makes, and what an actor
offers and needs, as the text and competences partner search and team proposals match
on. The ordering rules (late events, deactivations, erasures) are shared with funding:
``synergia_shared.projections``.
"""

from __future__ import annotations

from typing import Any

from synergia_shared.events.registry import ActorRegisteredV1, OfferNeedV1
from synergia_shared.projections import actor_lifecycle as lifecycle
from synergia_shared.reference.competences import LABELS as COMPETENCE_LABELS
from synergia_shared.reference.competences import Competence


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


def offers_text(data: ActorRegisteredV1) -> str:
    """What the actor can provide in structured form, for full-text matching: its offers
    and, since an actor offers what it is competent in, the labels of its controlled
    competences. This is the strong evidence of partner search (weight A of the
    document); its free text is :func:`about_text`."""
    parts = _entries_text(data.offers) + _competence_words(data.competences)
    return "\n".join(p for p in parts if p)


def about_text(data: ActorRegisteredV1) -> str:
    """What the actor says about itself in free text: its own keywords and description.
    They can find it, but count less than a structured offer (weight D of the document):
    anyone can write any word there, and some write every word a search might use."""
    parts = [*data.keywords, data.description or ""]
    return "\n".join(p for p in parts if p)


def needs_text(data: ActorRegisteredV1) -> str:
    """What the actor is looking for: its needs (technology, business and R&D requests)."""
    return "\n".join(p for p in _entries_text(data.needs) if p)


def offered_competences(data: ActorRegisteredV1) -> list[str]:
    """The actor's competences and those of its offers, each once, in order."""
    found = [*data.competences, *(c for o in data.offers for c in o.competences)]
    return list(dict.fromkeys(found))


def profile_row(
    data: ActorRegisteredV1, sequence: int, marks: lifecycle.LifecycleMarks
) -> dict[str, Any]:
    """The actor_profiles row of a snapshot at ``sequence``, given the lifecycle marks
    already seen for the actor; jsonb columns as JSON-ready lists. The consumer upserts
    it and the benchmarks COPY it, so both make the same row of an event."""
    return {
        **lifecycle.snapshot_columns(data, sequence, marks),
        "competences": data.competences,
        "keywords": data.keywords,
        "offers": [o.model_dump(mode="json") for o in data.offers],
        "needs": [n.model_dump(mode="json") for n in data.needs],
        "country_standing": data.country_standing,
        "nuts_version": data.nuts_version,
        "offers_text": offers_text(data),
        "about_text": about_text(data),
        "needs_text": needs_text(data),
        "offered_competences": offered_competences(data),
    }
