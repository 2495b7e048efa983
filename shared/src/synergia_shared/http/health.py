"""Liveness, readiness and metrics endpoints (open: no auth)."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy import text

from synergia_shared.db import read_only
from synergia_shared.messaging import dead_letters
from synergia_shared.metrics import (
    BROKER_UP,
    CONSUMER_ASSIGNED,
    CONSUMER_RUNNING,
    DLQ_OPEN,
    RELAY_BROKER_OK,
    RELAY_RUNNING,
)
from synergia_shared.migrations import SchemaCheck

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, Any] = Field(
        description="`database`: up/down; `migrations`: `at head`, or how the database's "
        "schema is behind this code; and a service's own hold (matching's `projection`). "
        "The broker, the relay and the consumers are not readiness: see `/status`.",
        examples=[{"database": "up", "migrations": "at head"}],
    )


@router.get(
    "/readyz",
    operation_id="readyz",
    summary="Can serve requests: its database reachable, its schema migrated",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready; `checks` says why"}},
)
async def readyz(request: Request) -> JSONResponse:
    """Ready means the API can serve its requests. A broker outage does not make a
    service unready: writes wait in the outbox and are published once it is back; the
    broker, relay and consumers are reported by ``/status`` and the metrics instead."""
    state = request.app.state
    database_ok, (schema_ok, migrations) = await _database_and_schema(request)
    checks: dict[str, Any] = {"database": "up" if database_ok else "down"}
    if migrations is not None:
        checks["migrations"] = migrations
    hold = getattr(state, "hold", None)
    held = hold.reason if hold is not None else None
    if hold is not None:
        checks[hold.hold.name] = held or hold.hold.clear
    ready = database_ok and schema_ok and held is None
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


async def _database_and_schema(request: Request) -> tuple[bool, tuple[bool, str | None]]:
    """Whether the database answers, and what :class:`SchemaCheck` says of its schema
    (``(True, None)`` for a service that does not check it)."""
    schema: SchemaCheck | None = getattr(request.app.state, "schema_check", None)
    try:
        # Read-only, and opened here rather than declared on the route: a database that
        # does not answer is this probe's answer (503), not an error of the request.
        async with asyncio.timeout(2.0), read_only(request.app.state.sessions) as session:
            await session.execute(text("SELECT 1"))
            for consumer, count in (await dead_letters.count_open(session)).items():
                DLQ_OPEN.labels(consumer).set(count)
            verdict = await schema.verdict(session) if schema is not None else (True, None)
        return True, verdict
    except Exception:
        return False, (False, None)


class RelayState(BaseModel):
    running: bool
    broker_ok: bool = Field(description="The last publishing round reached the broker.")
    last_error: str | None


class ConsumerState(BaseModel):
    running: bool = Field(description="Joined the broker and consuming (or retrying).")
    assigned: bool = Field(description="Has partitions assigned at the last fetch.")
    last_error: str | None
    max_poll_interval_ms: int = Field(
        description="Derived from the retry budget (docs/configuration.md)."
    )


class ServiceStatus(BaseModel):
    database: Literal["up", "down"]
    broker: Literal["up", "down"]
    relay: RelayState | None = Field(description="`null` where the relay is disabled.")
    consumers: dict[str, ConsumerState]
    hold: dict[str, str] = Field(
        default_factory=dict, description="A service's own hold and its reason, if any."
    )


@router.get(
    "/status",
    operation_id="status",
    summary="The broker, the relay and the consumers: what readiness leaves out",
    response_model=ServiceStatus,
)
async def status(request: Request) -> ServiceStatus:
    """Always 200: a report for operators (and the dashboards), not a probe. The same
    values are metrics: ``synergia_broker_up``, ``synergia_relay_running``,
    ``synergia_consumer_running`` and ``synergia_consumer_lag``."""
    state = request.app.state
    database_ok, _ = await _database_and_schema(request)
    broker_ok = await state.bus.ping()
    BROKER_UP.set(1 if broker_ok else 0)
    _record_worker_gauges(state)
    relay = state.relay
    hold = getattr(state, "hold", None)
    return ServiceStatus(
        database="up" if database_ok else "down",
        broker="up" if broker_ok else "down",
        relay=None
        if relay is None
        else RelayState(
            running=relay.status.running,
            broker_ok=relay.status.broker_ok,
            last_error=relay.status.last_error,
        ),
        consumers={
            runner.consumer.name: ConsumerState(
                running=runner.status.running,
                assigned=runner.status.assigned,
                last_error=runner.status.last_error,
                max_poll_interval_ms=runner.max_poll_interval_ms,
            )
            for runner in state.consumer_runners
        },
        hold={} if hold is None else {hold.hold.name: hold.reason or hold.hold.clear},
    )


def _record_worker_gauges(state: Any) -> None:
    relay = getattr(state, "relay", None)
    if relay is not None:
        RELAY_RUNNING.set(1 if relay.status.running else 0)
        RELAY_BROKER_OK.set(1 if relay.status.broker_ok else 0)
    for runner in getattr(state, "consumer_runners", ()):
        CONSUMER_RUNNING.labels(runner.consumer.name).set(1 if runner.status.running else 0)
        CONSUMER_ASSIGNED.labels(runner.consumer.name).set(1 if runner.status.assigned else 0)


@router.get(
    "/metrics",
    operation_id="metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={200: {"description": "The Prometheus text exposition format"}},
)
async def metrics(request: Request) -> Response:
    # The broker is pinged by /status (not per scrape: with the broker away a ping waits
    # for its timeout); the relay's and consumers' states are read from memory.
    _record_worker_gauges(request.app.state)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
