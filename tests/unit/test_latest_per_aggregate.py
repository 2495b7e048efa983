"""Within a batch, only each aggregate's newest snapshot is written."""

from __future__ import annotations

from synergia_shared.projections.batches import latest_per_aggregate


def latest(*items: tuple[str, int, str]) -> list[tuple[str, int, str]]:
    return latest_per_aggregate(items, lambda i: i[0], lambda i: i[1])


def test_the_highest_sequence_of_each_aggregate_wins_whatever_its_place() -> None:
    assert latest(("a", 1, "a1"), ("b", 2, "b2"), ("a", 3, "a3"), ("b", 1, "b1")) == [
        ("a", 3, "a3"),
        ("b", 2, "b2"),
    ]


def test_of_equal_sequences_the_first_wins_as_the_guard_would_keep_it() -> None:
    assert latest(("a", 2, "first"), ("a", 2, "second")) == [("a", 2, "first")]


def test_nothing_in_nothing_out() -> None:
    assert latest() == []
