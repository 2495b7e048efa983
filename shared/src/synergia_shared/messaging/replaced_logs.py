"""Noticing, from the relay's own acknowledgements, that a partition's log was replaced.

Kafka never gives one offset of a partition to two records: on an intact log, every
record acknowledged is at an offset past every one acknowledged before it. A record
acknowledged at or below an offset the same relay was given earlier is on a new log (a
broker that came back empty, a topic recreated), and what the relay had sent to the old
one is gone.

The relay's periodic check (``republish.lost_partitions``: a log ending at or below what
was acknowledged) misses a broker that came back while writes went on: by the time it
looks, the new log may have grown past the old one's end. This catches the replacement
with the first acknowledgement on the new log instead. Acknowledgements are noted in the
order the relay's rounds handed their records to the producer, so two rounds in flight
cannot look like a replacement.
"""

from __future__ import annotations

from collections.abc import Mapping

from synergia_shared.messaging.republish import Partition


class AcknowledgedOffsets:
    """The highest offset acknowledged to this process, per partition."""

    def __init__(self) -> None:
        self._highest: dict[Partition, int] = {}

    def note(self, acked: Mapping[Partition, tuple[int, int]]) -> dict[Partition, int]:
        """Note a round's acknowledgements (lowest and highest offset per partition); the
        partitions they show were replaced since the last round, each with the offset
        acknowledged on the new log at or below an earlier one."""
        replaced: dict[Partition, int] = {}
        for partition, (lowest, highest) in acked.items():
            before = self._highest.get(partition)
            if before is not None and lowest <= before:
                replaced[partition] = lowest
                self._highest[partition] = highest  # the new log's, from here on
            else:
                self._highest[partition] = max(highest, before if before is not None else -1)
        return replaced
