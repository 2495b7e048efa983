"""Pure ordering rules of every projection of the registry's actors (matching's profiles,
funding's beneficiaries): which sequence an event has, and what a profile snapshot may
still carry given the deactivations and erasures already seen.

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
