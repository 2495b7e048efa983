"""Retention: the messaging tables stop growing.

Sent outbox rows, inbox rows, idempotency keys and replayed dead letters are deleted
once older than their table's retention (settings ``retention_*``; the reasons for the
defaults are in docs/configuration.md). Open dead letters and unsent outbox rows are
never deleted: they are work still to do.

Safe with several replicas and never in the way of writes: each batch is one short
transaction that deletes at most ``batch_size`` rows it could lock at once
(``FOR UPDATE SKIP LOCKED``: rows another sweeper holds are left to it, nothing waits),
found through an index on the table's time column. Times are the database's clock,
as the rows' own timestamps are.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, TextClause, text

from synergia_shared.db import SessionFactory, unit_of_work
from synergia_shared.messaging.tables import dead_letters, idempotency_keys, inbox, outbox
from synergia_shared.metrics import RETENTION_DELETED, RETENTION_LAST_SWEEP
from synergia_shared.periodic import PeriodicTask

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retention:
    """Rows of ``column``'s table whose ``column`` is older than ``max_age_seconds`` go
    (a row whose ``column`` is NULL never does: that is how unsent and open rows stay)."""

    column: Column[Any]
    max_age_seconds: float

    @property
    def table(self) -> str:
        return str(self.column.table.name)

    def batch_delete(self) -> TextClause:
        # ctid = ANY(ARRAY(...)): the locked rows are deleted by their physical address
        # (a TID scan), whatever the table's key; locked and deleted in one statement.
        # The names are the code's own tables' (below), never input.
        table, column = self.table, self.column.name
        return text(
            f"DELETE FROM {table} WHERE ctid = ANY(ARRAY("  # noqa: S608
            f"SELECT ctid FROM {table} "
            f"WHERE {column} < now() - make_interval(secs => :max_age) "
            "LIMIT :batch_size FOR UPDATE SKIP LOCKED))"
        )


def messaging_retentions(
    *,
    outbox_sent_hours: float,
    inbox_hours: float,
    idempotency_keys_hours: float,
    dead_letters_replayed_hours: float,
) -> list[Retention]:
    hour = 3600.0
    return [
        Retention(outbox.c.sent_at, outbox_sent_hours * hour),
        Retention(inbox.c.received_at, inbox_hours * hour),
        Retention(idempotency_keys.c.created_at, idempotency_keys_hours * hour),
        Retention(dead_letters.c.replayed_at, dead_letters_replayed_hours * hour),
    ]


async def sweep_table(
    sessions: SessionFactory,
    retention: Retention,
    *,
    batch_size: int,
    stopping: asyncio.Event | None = None,
) -> int:
    """Delete ``retention``'s expired rows, a batch per transaction; how many.

    Stops at the first batch that is not full: none left, or the rest held by another
    sweeper (which deletes them) or by a writer (the next round takes them); and
    between batches once ``stopping`` is set.
    """
    statement = retention.batch_delete()
    total = 0
    while True:
        async with unit_of_work(sessions) as session:
            result = await session.execute(
                statement, {"max_age": retention.max_age_seconds, "batch_size": batch_size}
            )
        deleted = int(getattr(result, "rowcount", 0) or 0)
        total += deleted
        RETENTION_DELETED.labels(retention.table).inc(deleted)
        if deleted < batch_size:
            RETENTION_LAST_SWEEP.labels(retention.table).set(time.time())
            return total
        if stopping is not None and stopping.is_set():
            return total


async def sweep(
    sessions: SessionFactory, retentions: Sequence[Retention], *, batch_size: int
) -> dict[str, int]:
    """One round over every table: rows deleted per table."""
    deleted: dict[str, int] = {}
    for retention in retentions:
        deleted[retention.table] = await sweep_table(sessions, retention, batch_size=batch_size)
    if any(deleted.values()):
        logger.info("retention sweep", extra={"deleted": deleted})
    return deleted


class RetentionSweep(PeriodicTask):
    """Runs a round over every table every ``interval`` seconds for the app's lifespan;
    a table that fails (the database away) is tried again at the next round."""

    name = "retention-sweep"

    def __init__(
        self,
        sessions: SessionFactory,
        retentions: Sequence[Retention],
        *,
        interval: float,
        batch_size: int,
    ) -> None:
        super().__init__(interval=interval)
        self._sessions = sessions
        self._retentions = list(retentions)
        self._batch_size = batch_size

    async def run_round(self) -> None:
        deleted: dict[str, int] = {}
        for retention in self._retentions:
            if self.stopping.is_set():
                return
            try:
                deleted[retention.table] = await sweep_table(
                    self._sessions,
                    retention,
                    batch_size=self._batch_size,
                    stopping=self.stopping,
                )
            except Exception as exc:
                logger.warning("retention sweep of %s failed: %r", retention.table, exc)
        if any(deleted.values()):
            logger.info("retention sweep", extra={"deleted": deleted})
