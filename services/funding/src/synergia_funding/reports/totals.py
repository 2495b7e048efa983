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

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.db import SessionFactory, unit_of_work
from synergia_shared.periodic import PeriodicTask

logger = logging.getLogger(__name__)

# "FUNG": after the ledger writer's lock classes (ledger.repository).
COMPACTION_LOCK_CLASS = 0x46554E47


@dataclass(frozen=True)
class _Totals:
    table: str
    keys: tuple[str, ...]  # never NULL
    nullable_keys: tuple[str, ...]
    sums: tuple[str, ...]

    def compaction(self) -> TextClause:
        keys = ", ".join((*self.keys, *self.nullable_keys))
        same = " AND ".join(
            [f"t.{k} = a.{k}" for k in self.keys]
            + [f"t.{k} IS NOT DISTINCT FROM a.{k}" for k in self.nullable_keys]
        )
        sums = ", ".join(f"sum({s})" for s in self.sums)
        nonzero = " OR ".join(f"sum({s}) <> 0" for s in self.sums)
        # Names are this module's constants, not input.
        return text(
            f"""
            WITH appended AS (
                SELECT DISTINCT {keys} FROM {self.table} WHERE NOT compacted
            ), folded AS (
                DELETE FROM {self.table} AS t USING appended AS a WHERE {same}
                RETURNING t.*
            ), kept AS (
                INSERT INTO {self.table} ({keys}, {", ".join(self.sums)}, compacted)
                SELECT {keys}, {sums}, true FROM folded GROUP BY {keys} HAVING {nonzero}
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM folded) AS folded, (SELECT count(*) FROM kept) AS kept
            """  # noqa: S608
        )


_LINE = ("source", "kind")
_NULLABLE_LINE = ("fund", "private_timing")
TOTALS = (
    _Totals("ledger_region_totals", ("region_nuts", *_LINE), _NULLABLE_LINE, ("net", "originals")),
    _Totals("ledger_project_totals", ("project_id", *_LINE), _NULLABLE_LINE, ("net", "originals")),
    _Totals("ledger_esif_project_regions", ("project_id", "region_nuts"), (), ("originals",)),
)
_COMPACTIONS = [t.compaction() for t in TOTALS]


@dataclass(frozen=True)
class Compacted:
    """What a round did: rows it folded, into how many."""

    folded: int = 0
    kept: int = 0


async def compact(session: AsyncSession) -> Compacted | None:
    """Fold every group with appended rows into one row, in the caller's transaction;
    None when another replica's round holds the lock."""
    taken = await session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:class, 0)"), {"class": COMPACTION_LOCK_CLASS}
    )
    if not taken:
        return None
    folded = kept = 0
    for statement in _COMPACTIONS:
        row = (await session.execute(statement)).one()
        folded += row.folded
        kept += row.kept
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
