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
from typing import Any, TypeVar

from synergia_shared.events.registry import ActorRegisteredV1

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


def snapshot_columns(
    data: ActorRegisteredV1, sequence: int, marks: LifecycleMarks
) -> dict[str, Any]:
    """What every projection keeps of a profile snapshot at ``sequence``: who the actor
    is and where, its sectors and SME category, whether active and its shared contacts
    (both after the marks already seen); jsonb values as JSON-ready lists."""
    return {
        "actor_id": data.actor_id,
        "legal_name": data.legal_name,
        "short_name": data.short_name,
        "kind": data.kind.value,
        "country": data.country,
        "registered_at": data.registered_at,
        "source_sequence": sequence,
        "nuts_code": data.nuts_code,
        "nace_codes": data.nace_codes,
        "ecosystems": data.ecosystems,
        "sme_category": data.sme_category,
        "active": snapshot_active(data.active, sequence, marks),
        "shared_contacts": snapshot_contacts(
            [c.model_dump(mode="json") for c in data.shared_contacts], sequence, marks
        ),
    }


def owner_links(data: ActorRegisteredV1) -> list[dict[str, Any]]:
    """The snapshot's owners as ownership-link rows, without the owned actor's id: who
    counts as one undertaking with it (de minimis) or one legal entity (teams)."""
    return [
        {
            "owner_actor_id": o.owner_actor_id,
            "share_percent": o.share_percent,
            "controls": o.controls,
        }
        for o in data.owners
    ]
