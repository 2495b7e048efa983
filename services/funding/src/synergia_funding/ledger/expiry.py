"""Parked entries whose prerequisite never arrives are refused after a while.

A reference with a typo, or one naming another sender's item, would otherwise wait
forever, unseen. After ``parked_expiry_days`` the entry is refused like any other refused
item: kept in ``parked_entries`` as ``rejected`` with the reason (its status says so) and
announced as ``authority-item.rejected`` in the same transaction. A prerequisite arriving
later no longer releases it (only waiting entries are released); the item itself sent
again is decided afresh (``ledger.service.EXPIRED_RULE``).

The sweep claims small batches with ``FOR UPDATE SKIP LOCKED``, each in its own
transaction, so replicas share the work and a writer releasing an entry at the same
moment either holds it first (the sweep skips it; it is applied) or waits for the sweep
and finds it refused.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.db import SessionFactory, unit_of_work
from synergia_shared.messaging.outbox import add_events
from synergia_shared.periodic import PeriodicTask

from synergia_funding.ledger import repository
from synergia_funding.ledger.service import EXPIRED_RULE, REGISTRATION_PREFIX, item_rejected

logger = logging.getLogger(__name__)


def expires_at(parked_at: datetime, max_age: timedelta) -> datetime:
    return parked_at + max_age


def waiting_names(waiting_for: Sequence[uuid.UUID], refers_to: Mapping[str, str]) -> list[str]:
    """What an entry waits for, by the sender's own ids where known."""
    return [refers_to.get(str(w), str(w)) for w in waiting_for]


def _days(max_age: timedelta) -> int | float:
    days = max_age / timedelta(days=1)
    return int(days) if days.is_integer() else days


def expiry_problem(
    waiting: Sequence[str], parked_at: datetime, max_age: timedelta
) -> dict[str, Any]:
    """The stored refusal of an expired entry: ``ledger.service.refusal_problem``'s shape,
    with one violation naming the rule, so the refusal can be told from a rule's."""
    days = _days(max_age)
    period = f"{days} day" if days == 1 else f"{days} days"
    actors = [
        w.removeprefix(REGISTRATION_PREFIX) for w in waiting if w.startswith(REGISTRATION_PREFIX)
    ]
    items = [w for w in waiting if not w.startswith(REGISTRATION_PREFIX)]
    parked = parked_at.date().isoformat()
    reasons, remedies = [], []
    if items:
        noun = "prerequisite" if len(items) == 1 else "prerequisites"
        reasons.append(f"its {noun} {', '.join(items)} did not arrive within {period}")
        remedies.append("send the missing item")
    if actors:
        # Money is never applied to an actor id the registry has not announced.
        reasons.append(
            f"its beneficiary {', '.join(actors)} is not a registered actor: no registration "
            f"of it reached funding within {period}"
        )
        remedies.append("register the beneficiary (or correct its id)")
    reason = (
        f"{'; '.join(reasons)} (parked {parked}); {' and '.join(remedies)}, "
        "then send this item again"
    )
    violation = {
        "rule": EXPIRED_RULE,
        "severity": "error",
        "message": reason,
        "details": {
            "waiting_for": list(waiting),
            "parked_at": parked_at.isoformat(),
            "max_age_days": days,
        },
    }
    return {"reason": reason, "violations": [violation]}


async def expire_batch(
    session: AsyncSession, *, now: datetime, max_age: timedelta, limit: int
) -> int:
    """Refuse up to ``limit`` expired entries in the caller's transaction; how many."""
    rows = await repository.claim_expired(session, now - max_age, limit)
    refused = [
        (row, expiry_problem(waiting_names(row.waiting_for, row.refers_to), row.parked_at, max_age))
        for row in rows
    ]
    await repository.reject_parked(session, [(row.entry_id, problem) for row, problem in refused])
    await add_events(
        session,
        [
            item_rejected(row.external_system, row.external_id, p["reason"], p["violations"])
            for row, p in refused
        ],
    )
    return len(rows)


async def expire_parked(
    sessions: SessionFactory,
    *,
    max_age: timedelta,
    now: datetime | None = None,
    batch_size: int = 100,
) -> int:
    """Refuse every entry parked longer than ``max_age`` before ``now``, a batch per
    transaction; how many. Running it again (or on several replicas) refuses none twice."""
    now = now or datetime.now(UTC)
    total = 0
    while True:
        async with unit_of_work(sessions) as session:
            done = await expire_batch(session, now=now, max_age=max_age, limit=batch_size)
        total += done
        if done < batch_size:  # none left, or the rest held by another replica
            if total:
                logger.info("expired parked items refused", extra={"refused": total})
            return total


class ParkedExpiry(PeriodicTask):
    """Runs :func:`expire_parked` every ``interval`` seconds for the app's lifespan."""

    name = "parked-expiry"

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        max_age: timedelta,
        interval: float,
        batch_size: int,
    ) -> None:
        super().__init__(interval=interval)
        self._sessions = sessions
        self._max_age = max_age
        self._batch_size = batch_size

    async def run_round(self) -> None:
        await expire_parked(self._sessions, max_age=self._max_age, batch_size=self._batch_size)
