"""Pure rules of the actor projection: which sequence an event has, and what a profile
snapshot may still carry given the deactivations and erasures already seen.

Every registry actor event has ``sequence`` = the actor's version after the change.
Registered/updated events carry the whole profile (a snapshot); deactivated and
personal-data-erased events carry one change only (a mark). Per-actor order is kept on
the topic, but a parked event replayed later, or a replay next to the live consumer,
can still deliver an older event after a newer one; these rules make the outcome the
same in any order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from synergia_shared.events.registry import ActorRegisteredV1, OfferNeedV1
from synergia_shared.reference.competences import LABELS as COMPETENCE_LABELS
from synergia_shared.reference.competences import Competence

T = TypeVar("T")


@dataclass(frozen=True)
class LifecycleMarks:
    """The latest deactivation and contact erasure seen for an actor (sequences)."""

    deactivated_at_sequence: int | None = None
    contacts_erased_at_sequence: int | None = None


NO_MARKS = LifecycleMarks()


def event_sequence(envelope_sequence: int | None, payload_version: int) -> int:
    """The actor version after the change: the envelope's ``sequence``; a hand-made
    event without one falls back to the payload's ``version`` (the same number)."""
    return envelope_sequence if envelope_sequence is not None else payload_version


def _not_older(mark: int | None, sequence: int) -> bool:
    return mark is not None and mark >= sequence


def snapshot_active(active: bool, sequence: int, marks: LifecycleMarks) -> bool:
    """A snapshot taken before a deactivation we already saw is inactive anyway."""
    return active and not _not_older(marks.deactivated_at_sequence, sequence)


def snapshot_contacts(contacts: list[T], sequence: int, marks: LifecycleMarks) -> list[T]:
    """A snapshot taken before an erasure we already saw must not bring the erased
    contacts back. Contacts in a snapshot newer than the erasure were added (with
    consent) after it, so they stay."""
    return [] if _not_older(marks.contacts_erased_at_sequence, sequence) else contacts


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
