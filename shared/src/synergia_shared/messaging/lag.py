"""How far a consumer group is behind, as the broker sees it (not as a consumer believes).

The broker's committed offsets against the partitions' end offsets: what a drain waits to
see at zero, whichever process owned the partitions, and also when none does right now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition


async def group_lag(
    bootstrap_servers: str, groups: Mapping[str, Iterable[str]]
) -> dict[str, dict[str, int]]:
    """Per group (name -> its topics), the partitions with records not yet committed:
    ``{group: {"topic[partition]": lag}}``; an empty dict for a group that is caught up.

    A partition the group never committed counts from its start (``earliest``, as the
    consumers are configured).
    """
    ends_reader = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None)
    await ends_reader.start()
    try:
        await ends_reader.topics()  # fresh metadata: every topic's partitions
        topics = {topic for group_topics in groups.values() for topic in group_topics}
        partitions = [
            TopicPartition(topic, p)
            for topic in sorted(topics)
            for p in sorted(ends_reader.partitions_for_topic(topic) or ())
        ]
        ends = await ends_reader.end_offsets(partitions) if partitions else {}
    finally:
        await ends_reader.stop()
    return {
        group: await _behind(bootstrap_servers, group, set(group_topics), ends)
        for group, group_topics in groups.items()
    }


async def _behind(
    bootstrap_servers: str, group: str, topics: set[str], ends: dict[TopicPartition, int]
) -> dict[str, int]:
    # A consumer in the group that subscribes to nothing joins nothing: it only reads the
    # group's committed offsets (the admin client's OffsetFetch is not understood by the
    # embedded broker; the consumer's is).
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    await reader.start()
    try:
        lags: dict[str, int] = {}
        for tp, end in ends.items():
            if tp.topic not in topics:
                continue
            position = await reader.committed(tp) or 0
            if (lag := end - position) > 0:
                lags[f"{tp.topic}[{tp.partition}]"] = lag
        return lags
    finally:
        await reader.stop()
