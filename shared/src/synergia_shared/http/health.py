"""Liveness, readiness and metrics endpoints (open: no auth)."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy import text

from synergia_shared.db import unit_of_work
from synergia_shared.messaging import dead_letters
from synergia_shared.metrics import DLQ_OPEN

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, Any] = Field(
        description="`database` and `broker`: up/down; `relay`: running/stopped; "
        "`consumers`: each consumer group's running/stopped.",
        examples=[
            {
                "database": "up",
                "broker": "up",
                "relay": "running",
                "consumers": {"matching.actor-projection": "running"},
            }
        ],
    )


@router.get(
    "/readyz",
    operation_id="readyz",
    summary="Database and broker reachable, relay and consumers running",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready; `checks` says what is down"}},
)
async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    database_ok = await _database_ok(request)
    broker_ok = await state.bus.ping()
    checks: dict[str, Any] = {
        "database": "up" if database_ok else "down",
        "broker": "up" if broker_ok else "down",
        "relay": "running" if state.relay is None or state.relay.status.running else "stopped",
        "consumers": {
            runner.consumer.name: "running" if runner.status.running else "stopped"
            for runner in state.consumer_runners
        },
    }
    hold = getattr(state, "hold", None)
    held = hold.reason if hold is not None else None
    if hold is not None:
        checks[hold.hold.name] = held or hold.hold.clear
    ready = (
        database_ok
        and broker_ok
        and held is None
        and checks["relay"] == "running"
        and all(v == "running" for v in checks["consumers"].values())
    )
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


async def _database_ok(request: Request) -> bool:
    try:
        async with asyncio.timeout(2.0), unit_of_work(request.app.state.sessions) as session:
            await session.execute(text("SELECT 1"))
            for consumer, count in (await dead_letters.count_open(session)).items():
                DLQ_OPEN.labels(consumer).set(count)
        return True
    except Exception:
        return False


@router.get(
    "/metrics",
    operation_id="metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={200: {"description": "The Prometheus text exposition format"}},
)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
