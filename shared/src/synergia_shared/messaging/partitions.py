"""The partition Kafka's default partitioner gives a keyed record, computed by the relay.

The relay passes each record's partition to the producer instead of letting aiokafka's
partitioner pick it: that one runs a pure-Python MurmurHash2 byte by byte and rebuilds
the topic's partition lists for every record, which cost the relay more than any other
per-record step but the send itself. The mapping must stay the default one (Java
client's ``Utils.murmur2``, ``toPositive(hash) % partitions``): an aggregate's events
go to one partition, the same one every other producer of the topic picks for its key,
and the order per aggregate rests on that. ``tests/unit/test_partitions.py`` holds it
to aiokafka's ``DefaultPartitioner``.
"""

from __future__ import annotations

import struct
from functools import lru_cache

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


@lru_cache(maxsize=256)
def _words(length: int) -> struct.Struct:
    """The little-endian 32-bit words of a key of ``length`` bytes."""
    return struct.Struct(f"<{length // 4}I")


def murmur2(data: bytes) -> int:
    """Kafka's MurmurHash2 of ``data`` (unsigned 32 bits), word by word."""
    length = len(data)
    h = _SEED ^ length
    for k in _words(length).unpack_from(data):
        k = (k * _M) & _MASK
        k ^= k >> 24
        h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    tail = length & ~3
    extra = length - tail
    if extra:
        if extra >= 3:
            h ^= data[tail + 2] << 16
        if extra >= 2:
            h ^= data[tail + 1] << 8
        h = ((h ^ data[tail]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


def default_partition(key: bytes, partitions: int) -> int:
    """The partition, of ``partitions`` numbered from 0, that Kafka's default
    partitioner gives a record with ``key``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions
