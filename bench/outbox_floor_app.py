"""The floor of the outbox design: the bare POST plus only what ARCHITECTURE.md requires of it.

The registry's create must write its ``registered`` event to the outbox in the same
transaction as the actor, and a relay in the same process must publish it. This app is
:mod:`bench.baseline_app`'s POST with exactly that added, in the cheapest form the rule
allows, so the HTTP benchmark can say how much of the registry's distance from the bare
insert the design itself costs:

- the event is built with the shared envelope from the catalogue's
  ``ActorRegisteredV1`` (what any conforming producer sends);
- the actor and the outbox row are written by ONE statement (a CTE), autocommitted:
  atomic without a BEGIN and a COMMIT, one round trip like the bare insert;
- the shared :class:`OutboxRelay` runs in the process, with the services' settings
  (batch size, poll interval) and the shared producer settings.

Nothing else: no auth, no ORM on the request path, no profile normalisation, no SME
assessment, no Idempotency-Key. Its environment is the bare app's plus
``BENCH_FLOOR_DATABASE_URL`` (SQLAlchemy form, for the relay's engine),
``BENCH_FLOOR_KAFKA`` and ``BENCH_FLOOR_TOPIC_PREFIX``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import create_async_engine
from synergia_shared.bus import Bus
from synergia_shared.events.registry import ActorKind, ActorRegisteredV1
from synergia_shared.events.topics import REGISTRY_ACTOR
from synergia_shared.messaging.outbox import build_event
from synergia_shared.messaging.relay import OutboxRelay
from synergia_shared.settings import ServiceSettings

from bench.baseline_app import (
    INSERT_COLUMNS,
    RETURNING,
    ActorIn,
    add_readyz,
    insert_values,
    open_pool,
    row_json,
)

_ACTOR_PARAMS = len(INSERT_COLUMNS)
INSERT_WITH_EVENT_SQL = (
    f"WITH actor AS (INSERT INTO actors ({', '.join(INSERT_COLUMNS)}) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, _ACTOR_PARAMS + 1))}) "
    f"RETURNING {RETURNING}), "
    "event AS (INSERT INTO outbox "
    "(event_id, aggregate_type, aggregate_id, event_type, topic, payload) "
    f"VALUES (${_ACTOR_PARAMS + 1}, 'actor', ${_ACTOR_PARAMS + 2}, "
    f"${_ACTOR_PARAMS + 3}, ${_ACTOR_PARAMS + 4}, ${_ACTOR_PARAMS + 5})) "
    "SELECT * FROM actor"
)


def create_app() -> FastAPI:
    database_url = os.environ["BENCH_FLOOR_DATABASE_URL"]
    defaults = ServiceSettings.model_fields

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await open_pool()
        engine = create_async_engine(database_url, pool_size=2, max_overflow=0)
        bus = Bus(os.environ["BENCH_FLOOR_KAFKA"], client_id="bench-floor")
        relay = OutboxRelay(
            engine,
            bus,
            database_url=database_url,
            topic_prefix=os.environ.get("BENCH_FLOOR_TOPIC_PREFIX", ""),
            batch_size=int(defaults["relay_batch_size"].default),
            poll_interval=float(defaults["relay_poll_interval_seconds"].default),
        )
        await relay.start()
        try:
            yield
        finally:
            await relay.stop()
            await bus.close()
            await engine.dispose()
            await app.state.pool.close()

    app = FastAPI(title="bench outbox floor", lifespan=lifespan)
    add_readyz(app)

    @app.post("/v1/actors", status_code=201)
    async def create_actor(request: Request, body: ActorIn) -> JSONResponse:
        actor_id = uuid.uuid4()
        event = build_event(
            ActorRegisteredV1(
                actor_id=actor_id,
                legal_name=body.legal_name,
                short_name=body.short_name,
                kind=ActorKind(body.kind),
                country=body.country.upper(),
                registered_at=datetime.now(UTC),
            ),
            subject=str(actor_id),
            sequence=1,
        )
        row = await request.app.state.pool.fetchrow(
            INSERT_WITH_EVENT_SQL,
            *insert_values(actor_id, body),
            event.id,
            event.subject,
            event.type,
            REGISTRY_ACTOR,
            event.to_bytes(),
        )
        return JSONResponse(row_json(row), status_code=201)

    return app
