"""Sending the outbox again: after the broker lost its log, or when an operator asks.

The outbox is the source of truth for what a service published. Republishing marks sent
rows unsent again; the ordinary relay then sends them in ``id`` order (each aggregate's
events in their original order) and the consumers' inboxes skip what they had applied.

The relay notices a lost log by itself: it remembers, per topic partition, the highest
offset the broker acknowledged (``outbox_offsets``). A partition whose log now ends at or
below that offset has lost records the relay was told were written: a broker that forgot
its log (the embedded in-memory one, restarted), a topic deleted and recreated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ARRAY, Text, bindparam, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from synergia_shared.messaging.tables import outbox, outbox_offsets

Partition = tuple[str, int]  # (unprefixed topic, partition)

# Whatever the batch, one statement (one array parameter per column); sorted by the
# caller, so two relays upserting the same partitions take their row locks in one order.
_RECORD_ACKS = text(
    "INSERT INTO outbox_offsets (topic, partition, acked_offset) "
    "SELECT * FROM unnest(CAST(:topics AS text[]), CAST(:partitions AS integer[]), "
    "CAST(:offsets AS bigint[])) "
    "ON CONFLICT (topic, partition) DO UPDATE SET "
    "acked_offset = GREATEST(outbox_offsets.acked_offset, EXCLUDED.acked_offset), "
    "acked_at = now()"
)
# One relay at a time decides on a loss: two replicas noticing it together republish once.
_LOSS_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('synergia.outbox.republish'))")


@dataclass(frozen=True)
class LostPartition:
    """A partition whose log ends at or below an offset the broker had acknowledged."""

    topic: str
    partition: int
    acked_offset: int
    end_offset: int


def lost_partitions(
    acked: Mapping[Partition, int], ends: Mapping[Partition, int]
) -> list[LostPartition]:
    """The partitions whose end is not beyond what was acknowledged on them.

    An intact log's end is past every offset it acknowledged (``end > acked``); the end
    is read after the acknowledgements, so a concurrent publish cannot make it look
    shorter. A partition the broker does not have at all (no end) is not judged: the
    relay cannot publish to it either, and checks again once it is there.
    """
    return [
        LostPartition(topic, partition, offset, ends[(topic, partition)])
        for (topic, partition), offset in sorted(acked.items())
        if (topic, partition) in ends and ends[(topic, partition)] <= offset
    ]


async def record_acks(conn: AsyncConnection, acks: Mapping[Partition, int]) -> None:
    """Remember the highest acknowledged offset per partition (never lowered here)."""
    if not acks:
        return
    ordered = sorted(acks.items())
    await conn.execute(
        _RECORD_ACKS,
        {
            "topics": [topic for (topic, _), _ in ordered],
            "partitions": [partition for (_, partition), _ in ordered],
            "offsets": [offset for _, offset in ordered],
        },
    )


async def acked_offsets(conn: AsyncConnection) -> dict[Partition, int]:
    rows = await conn.execute(
        select(outbox_offsets.c.topic, outbox_offsets.c.partition, outbox_offsets.c.acked_offset)
    )
    return {(topic, partition): offset for topic, partition, offset in rows.all()}


async def republish_lost(
    conn: AsyncConnection, lost: Iterable[LostPartition], window: timedelta
) -> tuple[list[str], int]:
    """Mark the lost topics' rows sent within ``window`` unsent, forget their offsets.

    In the caller's transaction, under a lock: a topic is republished only if its
    offsets are still those the loss was judged on, so another replica that handled the
    same loss first (and forgot them) does not cause a second republish. Returns the
    topics republished and how many rows.
    """
    lost = list(lost)
    if not lost:
        return [], 0
    await conn.execute(_LOSS_LOCK)
    now = await acked_offsets(conn)
    topics = sorted({p.topic for p in lost if now.get((p.topic, p.partition)) == p.acked_offset})
    if not topics:
        return [], 0
    # The outbox rows first, then the offsets: a relay marking a batch sent holds its
    # rows and then upserts offsets, so taking them the other way round could deadlock.
    result = await conn.execute(
        update(outbox)
        .where(
            outbox.c.sent_at >= func.now() - window,
            outbox.c.topic == func.any(bindparam("topics", type_=ARRAY(Text))),
        )
        .values(sent_at=None),
        {"topics": topics},
    )
    in_topics = outbox_offsets.c.topic == func.any(bindparam("topics", type_=ARRAY(Text)))
    await conn.execute(delete(outbox_offsets).where(in_topics), {"topics": topics})
    return topics, result.rowcount


async def republish_since(
    conn: AsyncConnection, since: datetime, topics: Iterable[str] | None = None
) -> int:
    """The operator's tool: every row sent at or after ``since`` (of ``topics``, if
    given) is marked unsent; returns how many. The relay sends them in ``id`` order."""
    statement = update(outbox).where(outbox.c.sent_at >= since).values(sent_at=None)
    chosen = sorted(set(topics)) if topics is not None else None
    if chosen is not None:
        statement = statement.where(
            outbox.c.topic == func.any(bindparam("topics", type_=ARRAY(Text)))
        )
    result = await conn.execute(statement, {"topics": chosen} if chosen is not None else {})
    return result.rowcount
