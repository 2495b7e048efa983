"""Events and metrics as the services publish and expose them, for tests that read them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.registry import ActorKind, ActorRegisteredV1
from synergia_shared.messaging.outbox import build_event


def actor_event(
    legal_name: str,
    *,
    country: str = "PL",
    keywords: Sequence[str] = (),
    description: str | None = None,
) -> CloudEvent:
    """An actor-registered event as the registry would publish it, built by hand; its
    keywords and description, when given, make its offers document in matching."""
    actor_id = uuid.uuid4()
    return build_event(
        ActorRegisteredV1(
            actor_id=actor_id,
            legal_name=legal_name,
            kind=ActorKind.SME,
            country=country,
            registered_at=datetime.now(UTC),
            keywords=list(keywords),
            description=description,
        ),
        subject=str(actor_id),
        sequence=1,
    )


async def metric(http: httpx.AsyncClient, name: str, **labels: str) -> float:
    """One sample of a service's Prometheus metrics (0 if it has none yet)."""
    text = (await http.get("/metrics")).text
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        series, _, value = line.rpartition(" ")
        if series == f"{name}{{{wanted}}}" or (not labels and series == name):
            return float(value)
    return 0.0
