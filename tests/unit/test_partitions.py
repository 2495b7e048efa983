"""The relay computes each record's partition itself; it must be the one Kafka's default
partitioner gives the key, or an aggregate's events would change partition (and lose
their order) whenever one producer's records met another's."""

from __future__ import annotations

import random
import uuid

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from synergia_shared.messaging.partitions import default_partition, murmur2


def test_the_hash_is_kafkas_murmur2_for_keys_of_every_length() -> None:
    rng = random.Random(18)
    keys = [rng.randbytes(length) for length in range(0, 70) for _ in range(40)]
    keys += [bytes([255] * n) for n in range(9)]  # high bytes: no sign trouble
    assert [murmur2(key) for key in keys] == [aiokafka_murmur2(key) for key in keys]


def test_the_hash_matches_the_java_clients_known_values() -> None:
    # From the Java client's UtilsTest.testMurmur2 (signed ints there).
    known = {
        b"21": -973932308,
        b"foobar": -790332482,
        b"a-little-bit-long-string": -985981536,
        b"a-little-bit-longer-string": -1486304829,
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
        b"abc": 479470107,
    }
    assert {key: murmur2(key) - (1 << 32 if murmur2(key) >= 1 << 31 else 0) for key in known} == (
        known
    )


@pytest.mark.parametrize("partitions", [1, 2, 3, 6, 7, 12, 50])
def test_aggregate_ids_go_where_the_default_partitioner_sends_them(partitions: int) -> None:
    everyone = list(range(partitions))
    partitioner = DefaultPartitioner()
    keys = [str(uuid.uuid4()).encode() for _ in range(3000)]
    assert [default_partition(key, partitions) for key in keys] == [
        partitioner(key, everyone, everyone) for key in keys
    ]
