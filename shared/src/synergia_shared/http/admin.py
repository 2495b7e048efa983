"""Admin endpoints every service has: the events its consumers parked, and replay."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from synergia_shared.db import unit_of_work
from synergia_shared.events.topics import ALL_TOPICS
from synergia_shared.http.auth import Principal, Role, require
from synergia_shared.http.pagination import decode_cursor, encode_cursor
from synergia_shared.http.problems import (
    PROBLEM_RESPONSES,
    Problem,
    ProblemException,
    not_found,
    validation_problem,
)
from synergia_shared.http.transactions import OwnTransactions, ReadOnly
from synergia_shared.messaging import dead_letters
from synergia_shared.messaging.inbox import InboxConsumer, PoisonEvent
from synergia_shared.messaging.republish import republish_since
from synergia_shared.metrics import OUTBOX_REPUBLISHED

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=PROBLEM_RESPONSES)

AdminOnly = Annotated[Principal, Depends(require(Role.ADMIN))]


class DeadLetter(BaseModel):
    id: uuid.UUID
    consumer: str
    topic: str
    partition: int
    offset: int
    event_id: str | None
    event_type: str | None
    error: str
    attempts: int
    parked_at: datetime
    replayed_at: datetime | None
    replay_error: str | None


class DeadLetterPage(BaseModel):
    items: list[DeadLetter]
    next_cursor: str | None


class ReplayResult(BaseModel):
    id: uuid.UUID
    outcome: str  # "applied" | "already applied"


def _event_fields(payload: bytes) -> tuple[str | None, str | None]:
    import json

    try:
        body = json.loads(payload)
        event_id, event_type = body.get("id"), body.get("type")
    except (ValueError, AttributeError):
        return None, None
    # A JSON object that is not a CloudEvent has no id or type: null, not "None".
    return (
        None if event_id is None else str(event_id),
        None if event_type is None else str(event_type),
    )


@router.get(
    "/dead-letters",
    operation_id="listDeadLetters",
    summary="Events the consumers of this service parked",
    response_model=DeadLetterPage,
)
async def list_dead_letters(
    _: AdminOnly,
    session: ReadOnly,
    include_replayed: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> DeadLetterPage:
    after = None
    if cursor:
        parked_at, dl_id = decode_cursor(cursor, 2)
        after = (datetime.fromisoformat(parked_at), uuid.UUID(dl_id))
    rows = await dead_letters.list_parked(
        session, include_replayed=include_replayed, limit=limit + 1, after=after
    )
    items = [
        DeadLetter(
            id=r.id,
            consumer=r.consumer,
            topic=r.topic,
            partition=r.partition,
            offset=r.offset,
            event_id=_event_fields(r.payload)[0],
            event_type=_event_fields(r.payload)[1],
            error=r.error,
            attempts=r.attempts,
            parked_at=r.parked_at,
            replayed_at=r.replayed_at,
            replay_error=r.replay_error,
        )
        for r in rows[:limit]
    ]
    next_cursor = (
        encode_cursor([items[-1].parked_at.isoformat(), str(items[-1].id)])
        if len(rows) > limit
        else None
    )
    return DeadLetterPage(items=items, next_cursor=next_cursor)


@router.post(
    "/dead-letters/{dead_letter_id}/replay",
    operation_id="replayDeadLetter",
    summary="Apply a parked event again, once its cause is fixed",
    response_model=ReplayResult,
    responses={
        404: {"model": Problem, "description": "No such parked event"},
        409: {"model": Problem, "description": "It still fails; it stays parked"},
    },
)
async def replay_dead_letter(
    request: Request, dead_letter_id: uuid.UUID, _: AdminOnly, sessions: OwnTransactions
) -> ReplayResult:
    consumers: dict[str, InboxConsumer] = request.app.state.consumers
    # Its own transaction, not Write: a failed replay is recorded (committed) and then
    # answered with a 409, which would roll a Write session back.
    async with unit_of_work(sessions) as session:
        row = await dead_letters.get_for_update(session, dead_letter_id)
        if row is None:
            raise not_found(f"no dead letter {dead_letter_id}")
        consumer = consumers.get(row.consumer)
        if consumer is None:
            raise ProblemException(
                409, "conflict", "Conflict", f"consumer {row.consumer!r} does not run here"
            )
        error: str | None = None
        applied = False
        try:
            decoded = consumer.decode(row.payload)
            if decoded is not None:
                async with session.begin_nested():
                    applied = await consumer.apply_in(session, *decoded)
        except (PoisonEvent, Exception) as exc:  # report, keep it parked
            error = repr(exc)
        if error is not None:
            await dead_letters.mark_replay_failed(session, dead_letter_id, error)
        else:
            await dead_letters.mark_replayed(session, dead_letter_id)
    if error is not None:
        raise ProblemException(409, "replay-failed", "Replay failed", error)
    return ReplayResult(id=dead_letter_id, outcome="applied" if applied else "already applied")


class RepublishRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: AwareDatetime = Field(
        description="Every event this service sent at or after this time (ISO 8601, with "
        "its zone) is published again."
    )
    topics: list[str] | None = Field(
        default=None,
        description=f"Only events of these topics (of {', '.join(ALL_TOPICS)}); "
        "default: all of them.",
    )


class RepublishResult(BaseModel):
    since: datetime
    topics: list[str] | None
    queued: int = Field(description="Events marked unsent; the relay sends them in order.")


@router.post(
    "/outbox:republish",
    operation_id="republishOutbox",
    summary="Publish again what this service sent since a time",
    description="After a broker or topic was lost, or a topic's retention was set too "
    "short for a consumer that was behind: the events this service sent at or after "
    "`since` are marked unsent, and its relay publishes them again in their original "
    "order. Consumers skip the ones they had applied (inbox), so asking twice costs "
    "only traffic. Also a command: `synergia-<service>-republish --since TIME`.",
    response_model=RepublishResult,
)
async def republish_outbox(
    request: Request, body: RepublishRequest, _: AdminOnly
) -> RepublishResult:
    unknown = [
        {"loc": ["body", "topics", i], "msg": f"no topic {t!r}; one of {', '.join(ALL_TOPICS)}"}
        for i, t in enumerate(body.topics or ())
        if t not in ALL_TOPICS
    ]
    if unknown:
        raise validation_problem(unknown)
    async with request.app.state.engine.begin() as conn:
        queued = await republish_since(conn, body.since, body.topics)
    OUTBOX_REPUBLISHED.labels("operator").inc(queued)
    relay = getattr(request.app.state, "relay", None)
    if relay is not None:
        relay.wake()
    return RepublishResult(since=body.since, topics=body.topics, queued=queued)
