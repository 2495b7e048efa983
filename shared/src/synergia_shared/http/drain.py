"""Draining: stop taking writes, so what is in flight can reach every consumer.

``POST /v1/admin/drain`` puts the service in drain mode: from then on every unsafe
request (POST, PUT, PATCH, DELETE; the admin endpoints excepted) is answered 503 with
``Retry-After``, while the relay keeps publishing the outbox and the consumers keep
consuming. ``GET /v1/admin/drain`` says what is left: the outbox rows not yet published
and, per consumer group, the records the broker holds that the group has not committed.
A supervisor (``synergia-dev run`` on Ctrl-C) drains every service and stops them once
all of it is zero; then nothing is left only in a broker that forgets (the embedded one)
or in a process about to stop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from starlette.requests import Request as StarletteRequest
from starlette.types import ASGIApp, Receive, Scope, Send

from synergia_shared.db import read_only
from synergia_shared.http.auth import Principal, Role, require
from synergia_shared.http.problems import PROBLEM_RESPONSES, problem_response
from synergia_shared.messaging.lag import group_lag
from synergia_shared.messaging.tables import outbox

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=PROBLEM_RESPONSES)

AdminOnly = Annotated[Principal, Depends(require(Role.ADMIN))]

# How long a client is asked to wait: a drain ends with the service stopping, and a
# restarted one (`make run` again) takes a while to take requests.
RETRY_AFTER_SECONDS = 5

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class DrainState:
    draining: bool = False


class DrainStatus(BaseModel):
    draining: bool
    outbox_unsent: int | None = Field(
        description="Outbox rows not yet published; null if the database did not answer."
    )
    consumer_lag: dict[str, dict[str, int]] | None = Field(
        description="Per consumer group, the partitions (`topic[partition]`) with records "
        "the group has not committed, and how many; `{}` for a group that is caught up. "
        "Null if the broker did not answer.",
    )
    drained: bool = Field(
        description="Draining, nothing left in the outbox, and every group caught up."
    )


class RefuseWritesWhileDraining:
    """503 + Retry-After for unsafe requests while the service drains (plain ASGI)."""

    def __init__(self, app: ASGIApp, state: DrainState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.state.draining
            and scope["type"] == "http"
            and scope["method"] not in _SAFE_METHODS
            and not scope["path"].startswith("/v1/admin/")
        ):
            response = problem_response(
                StarletteRequest(scope),
                503,
                "draining",
                "Service Unavailable",
                "The service is stopping and takes no writes now; send the request "
                "again (with the same Idempotency-Key) after Retry-After seconds.",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _status(request: Request) -> DrainStatus:
    state = request.app.state
    unsent: int | None = None
    try:
        async with read_only(state.sessions) as session:
            unsent = await session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
            )
    except Exception as exc:  # the database is away: the drain waits for it
        logger.warning("drain status: outbox not readable: %r", exc)
    prefix = state.settings.kafka_topic_prefix
    groups = {
        f"{prefix}{runner.consumer.name}": [f"{prefix}{t}" for t in runner.consumer.topics]
        for runner in state.consumer_runners
    }
    lag: dict[str, dict[str, int]] | None = {}
    if groups:
        try:
            lag = await group_lag(state.bus.bootstrap_servers, groups)
        except Exception as exc:  # the broker is away: the drain waits for it
            logger.warning("drain status: consumer lag not readable: %r", exc)
            lag = None
    draining = state.drain.draining
    return DrainStatus(
        draining=draining,
        outbox_unsent=unsent,
        consumer_lag=lag,
        drained=draining
        and unsent == 0
        and lag is not None
        and all(not behind for behind in lag.values()),
    )


@router.post(
    "/drain",
    operation_id="startDrain",
    summary="Stop taking writes (503 + Retry-After) while the relay and consumers catch up",
    response_model=DrainStatus,
)
async def start_drain(request: Request, _: AdminOnly) -> DrainStatus:
    if not request.app.state.drain.draining:
        request.app.state.drain.draining = True
        logger.warning("draining: writes are refused from now on")
    return await _status(request)


@router.get(
    "/drain",
    operation_id="getDrain",
    summary="What a drain still waits for: unpublished outbox rows, consumer lag",
    response_model=DrainStatus,
)
async def get_drain(request: Request, _: AdminOnly) -> DrainStatus:
    return await _status(request)
