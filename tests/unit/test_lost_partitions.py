"""When the relay judges that the broker lost what it had acknowledged."""

from __future__ import annotations

from synergia_shared.messaging.republish import LostPartition, lost_partitions


def test_a_log_ending_past_every_acknowledged_offset_is_intact() -> None:
    assert lost_partitions({("registry.actor", 0): 41}, {("registry.actor", 0): 42}) == []


def test_a_log_ending_at_or_below_an_acknowledged_offset_was_lost() -> None:
    acked = {("registry.actor", 0): 41, ("registry.actor", 1): 9, ("registry.cluster", 0): 3}
    ends = {("registry.actor", 0): 41, ("registry.actor", 1): 0, ("registry.cluster", 0): 7}
    assert lost_partitions(acked, ends) == [
        LostPartition("registry.actor", 0, acked_offset=41, end_offset=41),
        LostPartition("registry.actor", 1, acked_offset=9, end_offset=0),
    ]


def test_a_partition_the_broker_does_not_have_is_not_judged() -> None:
    """It is checked again once it exists (the relay cannot publish to it meanwhile)."""
    assert lost_partitions({("registry.actor", 5): 10}, {}) == []
