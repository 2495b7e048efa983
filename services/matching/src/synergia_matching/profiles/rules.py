"""Pure rules of the actor projection: what an actor offers and needs, as the text and
competences partner search and team proposals match on. The ordering rules (late events,
deactivations, erasures) are shared with funding: ``synergia_shared.projections``.
"""

from __future__ import annotations

from synergia_shared.events.registry import ActorRegisteredV1, OfferNeedV1
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
    """What the actor can provide, for full-text matching: its offers and, since an actor
    offers what it is competent in, its own competences, keywords and description."""
    parts = _entries_text(data.offers)
    parts += _competence_words(data.competences) + data.keywords
    if data.description:
        parts.append(data.description)
    return "\n".join(p for p in parts if p)


def needs_text(data: ActorRegisteredV1) -> str:
    """What the actor is looking for: its needs (technology, business and R&D requests)."""
    return "\n".join(p for p in _entries_text(data.needs) if p)


def offered_competences(data: ActorRegisteredV1) -> list[str]:
    """The actor's competences and those of its offers, each once, in order."""
    found = [*data.competences, *(c for o in data.offers for c in o.competences)]
    return list(dict.fromkeys(found))
