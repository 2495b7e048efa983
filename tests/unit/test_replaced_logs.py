"""A relay notices a replaced log from its own acknowledgements."""

from __future__ import annotations

from synergia_shared.messaging.replaced_logs import AcknowledgedOffsets

P0 = ("registry.actor", 0)
P1 = ("registry.actor", 1)


def test_offsets_that_only_grow_show_no_replacement() -> None:
    acked = AcknowledgedOffsets()
    assert acked.note({P0: (0, 9), P1: (0, 3)}) == {}
    assert acked.note({P0: (10, 19)}) == {}
    assert acked.note({P1: (4, 4), P0: (20, 20)}) == {}


def test_an_offset_given_again_shows_the_partition_replaced_and_only_it() -> None:
    acked = AcknowledgedOffsets()
    acked.note({P0: (0, 49), P1: (0, 7)})
    # The broker came back empty: P0's first record on the new log is at offset 0, even
    # though this round put it past the old log's end (a check of the end would miss it).
    assert acked.note({P0: (0, 60), P1: (8, 9)}) == {P0: 0}


def test_the_new_log_is_followed_from_there_on() -> None:
    acked = AcknowledgedOffsets()
    acked.note({P0: (0, 49)})
    assert acked.note({P0: (0, 2)}) == {P0: 0}
    assert acked.note({P0: (3, 5)}) == {}, "growing again on the new log"


def test_the_last_offset_acknowledged_again_counts_as_a_replacement() -> None:
    acked = AcknowledgedOffsets()
    acked.note({P0: (0, 5)})
    assert acked.note({P0: (5, 5)}) == {P0: 5}
