"""The pure ordering rules of matching's and funding's actor projections (shared)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from synergia_shared.events.registry import ActorKind, ActorRegisteredV1, SharedContactV1
from synergia_shared.projections import actor_lifecycle as rules


def test_the_envelope_sequence_wins_and_the_payload_version_stands_in() -> None:
    assert rules.event_sequence(7, 7) == 7
    assert rules.event_sequence(None, 3) == 3


def test_without_marks_a_snapshot_is_taken_as_it_is() -> None:
    assert rules.snapshot_active(True, 1, rules.NO_MARKS) is True
    assert rules.snapshot_active(False, 1, rules.NO_MARKS) is False


def test_a_snapshot_older_than_a_deactivation_is_inactive() -> None:
    marks = rules.LifecycleMarks(deactivated_at_sequence=4)
    assert rules.snapshot_active(True, 3, marks) is False
    assert rules.snapshot_active(True, 5, marks) is True, "newer: the snapshot decides"


def _snapshot(count: int = 0, contacts: int = 0) -> ActorRegisteredV1:
    return ActorRegisteredV1(
        actor_id=uuid.uuid4(),
        legal_name="Olive Sensors S.A.",
        kind=ActorKind.SME,
        country="EL",
        registered_at=datetime(2026, 1, 15, tzinfo=UTC),
        shared_contacts_count=count,
        shared_contacts=[
            SharedContactV1(name=f"n{i}", email=f"n{i}@example.org") for i in range(contacts)
        ],
    )


def test_a_snapshot_asks_for_its_shared_contacts_unless_an_erasure_came_after_it() -> None:
    after = rules.contacts_after_snapshot
    assert after(_snapshot(1), 3, rules.NO_MARKS) == "fetch"
    marks = rules.LifecycleMarks(contacts_erased_at_sequence=4)
    assert after(_snapshot(1), 3, marks) == "keep", "the later erasure decided"
    assert after(_snapshot(0), 3, marks) == "keep", "not even dropping its refetch"
    assert after(_snapshot(1), 4, marks) == "keep", "same version: erased"
    assert after(_snapshot(1), 5, marks) == "fetch", "added after the erasure"
    assert after(_snapshot(0), 5, marks) == "drop"


def test_a_snapshot_without_shared_contacts_drops_what_is_held_unless_it_is_the_first() -> None:
    after = rules.contacts_after_snapshot
    assert after(_snapshot(0), 2, rules.NO_MARKS) == "drop"
    assert after(_snapshot(0), 1, rules.NO_MARKS) == "keep", "nothing can be held yet"


def test_an_event_written_before_contacts_left_the_log_counts_the_ones_it_carries() -> None:
    assert rules.shared_contacts_count(_snapshot(0, contacts=2)) == 2
    assert rules.contacts_after_snapshot(_snapshot(0, contacts=1), 1, rules.NO_MARKS) == "fetch"


def test_fetched_contacts_read_before_a_seen_erasure_are_never_stored() -> None:
    marks = rules.LifecycleMarks(contacts_erased_at_sequence=4)
    assert rules.fetched_contacts_apply(3, None, marks) is False, "read before the erasure"
    assert rules.fetched_contacts_apply(4, None, marks) is True, "read at it: already without"
    assert rules.fetched_contacts_apply(5, None, marks) is True
    assert rules.fetched_contacts_apply(2, None, rules.NO_MARKS) is True


def test_fetched_contacts_never_replace_newer_ones() -> None:
    assert rules.fetched_contacts_apply(5, 6, rules.NO_MARKS) is False
    assert rules.fetched_contacts_apply(6, 6, rules.NO_MARKS) is False, "the same: nothing new"
    assert rules.fetched_contacts_apply(7, 6, rules.NO_MARKS) is True
