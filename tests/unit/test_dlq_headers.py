"""What a parked record carries on the DLQ topic: its own headers, then why and where from."""

from __future__ import annotations

from aiokafka import ConsumerRecord
from synergia_shared.messaging.inbox import dlq_headers


def record(headers: list[tuple[str, bytes]]) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="registry.actor",
        partition=3,
        offset=41,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=b"{}",
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=2,
        headers=headers,
    )


def test_the_records_own_headers_come_first_then_the_parking_ones() -> None:
    headers = dlq_headers(
        record([("traceparent", b"00-abc")]), "matching.actor-projection", "boom", 5
    )
    assert headers == [
        ("traceparent", b"00-abc"),
        ("x-dlq-error", b"boom"),
        ("x-dlq-consumer", b"matching.actor-projection"),
        ("x-dlq-original-topic", b"registry.actor"),
        ("x-dlq-original-partition", b"3"),
        ("x-dlq-original-offset", b"41"),
        ("x-dlq-attempts", b"5"),
    ]


def test_a_long_error_is_cut_to_4000_characters() -> None:
    headers = dict(dlq_headers(record([]), "c", "é" * 5000, 1))
    assert headers["x-dlq-error"] == ("é" * 4000).encode()
