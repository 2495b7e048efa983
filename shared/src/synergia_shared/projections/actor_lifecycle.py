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
from typing import Any, Literal

from synergia_shared.events.registry import ActorRegisteredV1


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


def shared_contacts_count(data: ActorRegisteredV1) -> int:
    """How many shared contacts the actor has at this snapshot. Events written before
    contacts left the log carried them instead of a count."""
    return max(data.shared_contacts_count, len(data.shared_contacts))


ContactsAction = Literal["fetch", "drop", "keep"]


def contacts_after_snapshot(
    data: ActorRegisteredV1, sequence: int, marks: LifecycleMarks
) -> ContactsAction:
    """What an applied snapshot means for the actor's shared contacts: ``fetch`` them from
    the registry (it has some), ``drop`` those held and any pending fetch (it has none
    now), or ``keep`` things as they are: an erasure at or after it was seen (the
    erasure decided, and may have asked for the remaining ones), or it is the actor's
    first version and nothing can be held yet (no statement for most registrations)."""
    if _not_older(marks.contacts_erased_at_sequence, sequence):
        return "keep"
    if shared_contacts_count(data) > 0:
        return "fetch"
    if sequence <= 1 and marks.contacts_erased_at_sequence is None:
        return "keep"
    return "drop"


def fetched_contacts_apply(
    read_at_version: int, stored_version: int | None, marks: LifecycleMarks
) -> bool:
    """Whether contacts the registry gave at ``read_at_version`` (the actor's version when
    it read them) may be stored: not read before an erasure already seen (an erasure at
    version v leaves the state of version v without the erased contacts), and newer than
    the contacts stored."""
    erased = marks.contacts_erased_at_sequence
    if erased is not None and read_at_version < erased:
        return False
    return stored_version is None or read_at_version > stored_version


def snapshot_columns(
    data: ActorRegisteredV1, sequence: int, marks: LifecycleMarks
) -> dict[str, Any]:
    """What every projection keeps of a profile snapshot at ``sequence``: who the actor
    is and where, its sectors and SME category, and whether active (after the marks
    already seen). Not its shared contacts: they are fetched from the registry
    (``synergia_shared.projections.shared_contacts``), never taken from an event."""
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
