"""The compaction of the region report's running totals (migration 0013).

Triggers on ``ledger_nets`` append each writing statement's changes to the totals tables
as new rows, so that writers never wait for each other on a shared total; a group's
figure is the sum of its rows. Left alone, a busy ledger would pile up rows faster than
the reports could sum them. The compaction folds every group that has appended rows
into a single row, one statement per table:

* the rows it folds are those its statement sees: a writer's rows committed later stay
  appended (``compacted`` false) and are folded by the next round, so no change is lost
  or counted twice;
* it deletes and inserts, and writers only insert, so neither waits for the other;
  readers see the rows before or after the round (it commits as one transaction), whose
  sums are equal;
* replicas take turns through a transaction-level advisory lock; one that finds it held
  skips its round.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.db import SessionFactory, unit_of_work
from synergia_shared.periodic import PeriodicTask

from synergia_funding.reports import repository

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Compacted:
    """What a round did: rows it folded, into how many."""

    folded: int = 0
    kept: int = 0


async def compact(session: AsyncSession) -> Compacted | None:
    """Fold every group with appended rows into one row, in the caller's transaction;
    None when another replica's round holds the lock."""
    if not await repository.take_compaction_turn(session):
        return None
    folded, kept = await repository.fold_appended_totals(session)
    return Compacted(folded=folded, kept=kept)


class TotalsCompaction(PeriodicTask):
    """Runs :func:`compact` every ``interval`` seconds for the app's lifespan."""

    name = "totals-compaction"

    def __init__(self, sessions: SessionFactory, *, interval: float) -> None:
        super().__init__(interval=interval)
        self._sessions = sessions

    async def run_round(self) -> None:
        async with unit_of_work(self._sessions) as session:
            done = await compact(session)
        if done is not None and done.folded:
            logger.info("report totals compacted", extra={"folded": done.folded, "kept": done.kept})
