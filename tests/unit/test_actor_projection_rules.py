"""The pure ordering rules of matching's and funding's actor projections (shared)."""

from __future__ import annotations

from synergia_shared.projections import actor_lifecycle as rules


def test_the_envelope_sequence_wins_and_the_payload_version_stands_in() -> None:
    assert rules.event_sequence(7, 7) == 7
    assert rules.event_sequence(None, 3) == 3


def test_without_marks_a_snapshot_is_taken_as_it_is() -> None:
    assert rules.snapshot_active(True, 1, rules.NO_MARKS) is True
    assert rules.snapshot_active(False, 1, rules.NO_MARKS) is False
    assert rules.snapshot_contacts(["anna"], 1, rules.NO_MARKS) == ["anna"]


def test_a_snapshot_older_than_a_deactivation_is_inactive() -> None:
    marks = rules.LifecycleMarks(deactivated_at_sequence=4)
    assert rules.snapshot_active(True, 3, marks) is False
    assert rules.snapshot_active(True, 5, marks) is True, "newer: the snapshot decides"


def test_a_snapshot_older_than_an_erasure_brings_no_contacts() -> None:
    marks = rules.LifecycleMarks(contacts_erased_at_sequence=4)
    assert rules.snapshot_contacts(["anna"], 3, marks) == []
    assert rules.snapshot_contacts(["dora"], 5, marks) == ["dora"], "added after the erasure"
    assert rules.snapshot_contacts(["anna"], 4, marks) == [], "same version: erased"
