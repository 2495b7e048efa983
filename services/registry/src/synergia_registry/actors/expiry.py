"""The daily announcement of expired offers and needs.

An offer or need counts through its ``valid_until`` day (UTC) and is expired from the
next. Nothing happens to the stored profile at that moment, so no write announces it: this
sweep does. Once per UTC day it finds the active actors with an offer or need expired
since they were last announced (``actors.expiry_announced_before``), gives each a new
version and publishes ``actor.updated.v1`` with the whole profile and the newly expired
entries in ``expired``. Matching applies it like any update and stops counting them.

Batches of actors are claimed with ``FOR UPDATE SKIP LOCKED``, each batch in its own
transaction, so replicas share the work and a client's update of an actor is never
waited on (the actor is taken in the next round). Each actor's mark moves in the same
transaction as its event, so a crash or a second replica announces nothing twice. Once
no actor is left due for the day (none held by a writer either), the sweep rests until
the next UTC day.
"""

from __future__ import annotations

import logging
from datetime import date

from synergia_shared.db import SessionFactory, read_only, unit_of_work
from synergia_shared.periodic import PeriodicTask
from synergia_shared.validity import utc_today

from synergia_registry.actors import repository, service

logger = logging.getLogger(__name__)


async def announce_expired(
    sessions: SessionFactory, *, today: date | None = None, batch_size: int = 100
) -> int:
    """Announce every offer and need expired before ``today`` (UTC, the current day by
    default) and not announced yet, a batch of actors per transaction; how many actors
    were announced. Running it again (or on several replicas) announces none twice."""
    today = today or utc_today()
    total = 0
    while True:
        async with unit_of_work(sessions) as session:
            due = await repository.claim_expiring(session, today, batch_size)
            done = await service.announce_expiry(session, due, today)
        total += done
        if done < batch_size:  # none left, or the rest held by others for now
            if total:
                logger.info("expired offers and needs announced", extra={"actors": total})
            return total


class ExpirySweep(PeriodicTask):
    """Runs :func:`announce_expired` every ``interval`` seconds for the app's lifespan,
    and not again on a day once nothing is left to announce for it."""

    name = "offer-expiry"

    def __init__(self, sessions: SessionFactory, *, interval: float, batch_size: int) -> None:
        super().__init__(interval=interval)
        self._sessions = sessions
        self._batch_size = batch_size
        self._done_on: date | None = None

    async def run_round(self) -> None:
        today = utc_today()
        if self._done_on == today:
            return
        await announce_expired(self._sessions, today=today, batch_size=self._batch_size)
        async with read_only(self._sessions) as session:
            if not await repository.any_expiring(session, today):
                self._done_on = today
