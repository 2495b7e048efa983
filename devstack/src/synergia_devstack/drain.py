"""The supervisor's side of a drain: every service stops taking writes, then it waits
until every outbox is published and every consumer group has committed the end of
every partition, before anything is stopped (`synergia-dev run` on Ctrl-C)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from synergia_devstack.services import ServiceProcess

# Two rounds in a row with nothing left: between the reads of one round a consumer may
# have written an event (to its outbox) that the next round sees.
_CLEAN_ROUNDS = 2


def drain_timeout() -> float:
    """``SYNERGIA_DRAIN_TIMEOUT_SECONDS`` (docs/configuration.md)."""
    return float(os.environ.get("SYNERGIA_DRAIN_TIMEOUT_SECONDS") or 300)


def _left(name: str, status: dict[str, Any] | None, error: str | None) -> list[str]:
    """What one service's drain still waits for, in words; empty when it is done."""
    if status is None:
        return [f"{name}: no answer ({error})"]
    left = []
    if not status.get("draining"):
        left.append(f"{name}: not draining yet")
    unsent = status.get("outbox_unsent")
    if unsent is None:
        left.append(f"{name}: outbox (database not answering)")
    elif unsent:
        left.append(f"{name}: {unsent} outbox events unpublished")
    lag = status.get("consumer_lag")
    if lag is None:
        left.append(f"{name}: consumer lag (broker not answering)")
    else:
        for group, behind in sorted(lag.items()):
            if behind:
                where = ", ".join(f"{tp} {n}" for tp, n in sorted(behind.items()))
                left.append(f"{group}: {sum(behind.values())} records behind ({where})")
    return left


def drain(
    services: Sequence[ServiceProcess],
    token: str,
    *,
    timeout: float,
    say: Callable[[str], None],
    forced: Callable[[], bool],
    tick: Callable[[], None] = lambda: None,
    interval: float = 0.5,
) -> bool:
    """Drain ``services``; ``True`` once nothing is left anywhere, ``False`` when it gave
    up (``timeout``, saying what it was waiting for) or was ``forced`` (a second Ctrl-C).

    ``tick`` runs every round: the supervisor's watch, so a service that dies while
    draining is restarted and its consumers can finish.
    """
    headers = {"Authorization": f"Bearer {token}"}
    started = time.monotonic()
    clean = 0
    last_said = 0.0
    left: list[str] = []
    with httpx.Client(headers=headers, timeout=30.0) as http:
        while True:
            tick()
            left = []
            for service in services:
                status, error = None, None
                try:
                    # POST each round (idempotent): a service restarted meanwhile drains too.
                    response = http.post(f"{service.base_url}/v1/admin/drain")
                    response.raise_for_status()
                    status = response.json()
                except (httpx.HTTPError, ValueError) as exc:
                    error = str(exc) or type(exc).__name__
                left.extend(_left(service.name, status, error))
            clean = 0 if left else clean + 1
            if clean >= _CLEAN_ROUNDS:
                say(
                    f"drained in {time.monotonic() - started:.1f}s: every outbox published, "
                    "every consumer group at the end of its partitions"
                )
                return True
            now = time.monotonic()
            if forced():
                say("drain cut short (second Ctrl-C); still waiting for: " + "; ".join(left))
                return False
            if now - started > timeout:
                say(
                    f"gave up draining after {timeout:.0f}s (SYNERGIA_DRAIN_TIMEOUT_SECONDS); "
                    "still waiting for: " + ("; ".join(left) or "a second clean round")
                )
                return False
            if left and now - last_said >= 5.0:
                say("draining… waiting for: " + "; ".join(left))
                last_said = now
            time.sleep(interval)
