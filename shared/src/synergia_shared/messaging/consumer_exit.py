"""Closing an aiokafka consumer without waiting on a group join the broker is holding.

A consumer that joins a group sends JoinGroup, and the broker may hold the answer for
seconds (Kafka for ``group.initial.rebalance.delay.ms``, the embedded Tansu for half the
session timeout on a group's first join). ``AIOKafkaConsumer.stop()`` waits for that
answer before it closes: a service asked to stop in its first seconds, or during a
rebalance, would sit out the hold. Nothing is lost by not waiting: a consumer that has
not joined holds no partitions, and our offsets are committed by hand after each batch
(auto-commit is off), so the coordinator's last step (an auto-commit) has nothing to do.

aiokafka offers no public way to abandon a join, so this reaches into its coordinator;
``tests/integration/test_consumer_exit.py`` pins the behaviour against the locked version.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer


async def close_consumer(kafka: AIOKafkaConsumer) -> None:
    """Leave the group and close the connections, abandoning a join in progress."""
    coordinator = getattr(kafka, "_coordinator", None)
    routine: asyncio.Task[None] | None = getattr(coordinator, "_coordination_task", None)
    if routine is not None and not routine.done():
        routine.cancel()
        # Waited on, not awaited: its cancellation must not read as this task's own.
        await asyncio.wait({routine})
        if not routine.cancelled():
            routine.exception()  # retrieved, so asyncio does not log it as lost
    await kafka.stop()
