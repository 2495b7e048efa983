"""The app factory every service uses: one shape for wiring, lifespan and conventions."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from opentelemetry.trace import Tracer
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_shared.bus import Bus
from synergia_shared.db import SessionFactory, create_engine, create_session_factory, read_only
from synergia_shared.http import admin, drain, health
from synergia_shared.http.auth import Authenticator, document_credentials
from synergia_shared.http.input_limits import BodyLimits, InputLimitsMiddleware, InputRefused
from synergia_shared.http.middleware import CorrelationAndMetricsMiddleware
from synergia_shared.http.openapi_document import DocumentFinisher, finish_openapi
from synergia_shared.http.problems import (
    document_problems_as_problem_json,
    install_problem_handlers,
)
from synergia_shared.http.schema_names import rename_schemas
from synergia_shared.logging import configure_logging
from synergia_shared.messaging.inbox import ConsumerRunner, InboxConsumer
from synergia_shared.messaging.relay import OutboxRelay
from synergia_shared.messaging.retention import RetentionSweep, messaging_retentions
from synergia_shared.migrations import SchemaCheck
from synergia_shared.settings import CORS_EXPOSED_HEADERS, ServiceSettings
from synergia_shared.tracing import Tracing, configure_tracing, instrument, untraced_paths

logger = logging.getLogger(__name__)

DOCS_ASSETS_URL = "/docs-assets"
# The service itself, at the address that serves the document. Behind the Kubernetes
# ingress, uvicorn's root path (/registry, /matching, /funding) is listed first by FastAPI.
SERVERS: list[dict[str, Any]] = [
    {"url": "/", "description": "This service, at the address that serves this document"}
]
LICENSE = {"name": "EUPL-1.2", "identifier": "EUPL-1.2"}


class BackgroundTask(Protocol):
    """A service's own long-running work besides the relay and the consumers (a sweep):
    started once the database and the bus are set up, stopped before they close."""

    def start(self) -> None: ...

    async def stop(self, timeout: float) -> None: ...


@dataclass(frozen=True)
class ConsumerHold:
    """A reason the service must not consume, nor be ready, yet: ``check`` says why, or
    ``None`` once it may (a projection being rebuilt from the topics, say). Checked at
    startup and every ``interval`` seconds; the consumers start the first time it clears,
    and readiness follows it as long as the service runs (a replica without consumers
    must not take traffic either). ``/readyz`` shows it as ``checks[name]``."""

    name: str
    check: Callable[[AsyncSession], Awaitable[str | None]]
    interval: float = 5.0
    clear: str = "ok"


@dataclass
class ServiceDefinition:
    settings: ServiceSettings
    title: str
    description: str
    routers: Sequence[APIRouter]
    consumers: Sequence[InboxConsumer] = ()
    openapi_tags: list[dict[str, str]] = field(default_factory=list)
    version: str = "0.1.0"
    background: Sequence[Callable[[FastAPI], BackgroundTask | None]] = ()
    hold: ConsumerHold | None = None
    # The service's Alembic migrations: /readyz is not ready while the database's schema
    # is behind them. Where the directory is not shipped, the check is left out.
    migrations_dir: Path | None = None
    # Applied to the OpenAPI document after the shared finishers (synergia_shared.app.
    # _openapi_finishers): what the service documents beyond its routes.
    openapi_finishers: Sequence[DocumentFinisher] = ()


class _Hold:
    """Runs a :class:`ConsumerHold`: holds the runners until it clears, keeps its reason."""

    def __init__(
        self,
        hold: ConsumerHold,
        sessions: SessionFactory,
        runners: Sequence[ConsumerRunner],
    ) -> None:
        self.hold = hold
        self.reason: str | None = "not checked yet"
        self._sessions = sessions
        self._runners = runners
        self._started = False
        self._task: asyncio.Task[None] | None = None

    async def check(self) -> None:
        try:
            async with read_only(self._sessions) as session:
                reason = await self.hold.check(session)
        except Exception as exc:  # the database is away: stay held, the next round retries
            logger.warning("cannot check %s yet: %r", self.hold.name, exc)
            return
        if reason != self.reason:
            logger.log(
                logging.WARNING if reason else logging.INFO,
                "%s: %s",
                self.hold.name,
                reason or self.hold.clear,
            )
        self.reason = reason
        if reason is None and not self._started:
            self._started = True
            for runner in self._runners:
                await runner.start()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"hold-{self.hold.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.hold.interval)
            await self.check()


def _retention_sweep(app: FastAPI) -> RetentionSweep | None:
    """Every service's sweep of its messaging tables (outbox, inbox, idempotency keys,
    dead letters), with the retentions of its settings."""
    settings: ServiceSettings = app.state.settings
    if not settings.retention_sweep_enabled:
        return None
    return RetentionSweep(
        app.state.sessions,
        messaging_retentions(
            outbox_sent_hours=settings.retention_outbox_sent_hours,
            inbox_hours=settings.retention_inbox_hours,
            idempotency_keys_hours=settings.retention_idempotency_keys_hours,
            dead_letters_replayed_hours=settings.retention_dead_letters_replayed_hours,
        ),
        interval=settings.retention_sweep_interval_seconds,
        batch_size=settings.retention_sweep_batch_size,
    )


class _GcTuning:
    """Keep the cyclic garbage collector off the request path while services run.

    After startup, the objects that live as long as the process (modules, the app,
    pydantic and SQLAlchemy caches: over 100,000) are frozen out of the collector's
    generations, so a full collection no longer walks them. And the youngest
    generation's threshold is raised: with the default 700, the objects that requests
    in flight hold at any moment are enough to set off a collection every few
    requests, which finds nothing to free (reference counting frees request garbage)
    and only promotes live objects. Together they took the collector from ~60 µs to
    ~1 µs of CPU per GET in the benchmark.

    Process-wide, so counted: when the last service in the process (tests run several)
    stops, Python's thresholds come back and the frozen objects are collectable again.
    """

    def __init__(self) -> None:
        self.running = 0
        self.saved: tuple[int, int, int] | None = None

    def start(self, settings: ServiceSettings) -> bool:
        if settings.gc_young_threshold <= 0:
            return False
        if self.running == 0:
            self.saved = gc.get_threshold()
        self.running += 1
        assert self.saved is not None
        gc.collect()
        gc.freeze()
        gc.set_threshold(settings.gc_young_threshold, self.saved[1], self.saved[2])
        return True

    def stop(self, started: bool) -> None:
        if not started:
            return
        self.running -= 1
        if self.running == 0 and self.saved is not None:
            gc.set_threshold(*self.saved)
            gc.unfreeze()
            self.saved = None


_gc_tuning = _GcTuning()


def create_service_app(definition: ServiceDefinition) -> FastAPI:
    settings = definition.settings
    configure_logging(settings.service_name, settings.log_level)
    # Off unless the OTEL_* variables configure it (synergia_shared.tracing).
    tracing = configure_tracing(settings.service_name)
    tracer = tracing.tracer if tracing.enabled else None
    app = _new_app(definition, _lifespan(definition, tracing))
    # Known before startup, so the contract generator can describe what this service reads.
    app.state.consumers = {c.name: c for c in definition.consumers}
    app.state.drain = drain.DrainState()
    _install_error_handlers(app)
    _install_middleware(app, settings, tracer)
    _include_routers(app, definition.routers)
    finish_openapi(app, _openapi_finishers(definition))
    return app


def _new_app(
    definition: ServiceDefinition, lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]]
) -> FastAPI:
    """The bare app: its title, documentation pages and lifespan."""
    # /docs and /redoc load Swagger UI's and ReDoc's assets from the service itself
    # (fastapi-offline ships them), never from a CDN: government and corporate networks
    # often block CDNs. No online validator badge either (it would call swagger.io).
    return FastAPIOffline(
        title=definition.title,
        description=definition.description,
        version=definition.version,
        lifespan=lifespan,
        # Server spans come from CorrelationAndMetricsMiddleware (synergia_shared.tracing.
        # start_server_span): FastAPI's own instrumentation is off, told so rather than
        # looking for configured global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        static_url=DOCS_ASSETS_URL,
        swagger_ui_parameters={"validatorUrl": None},
        servers=SERVERS,
        license_info=LICENSE,
        openapi_tags=[
            *definition.openapi_tags,
            {"name": "admin", "description": "Operations on parked (dead-letter) events."},
            {"name": "operations", "description": "Health, readiness and metrics."},
        ],
    )


async def _input_refused(request: Request, exc: InputRefused) -> Response:
    return exc.response(request)  # type: ignore[no-any-return]


def _install_error_handlers(app: FastAPI) -> None:
    """Every error answered as a problem, a refused body included."""
    install_problem_handlers(app)
    app.exception_handler(InputRefused)(_input_refused)


def _install_middleware(app: FastAPI, settings: ServiceSettings, tracer: Tracer | None) -> None:
    """The middleware, innermost first: each added one wraps those added before it."""
    app.add_middleware(drain.RefuseWritesWhileDraining, state=app.state.drain)
    # Inside the correlation middleware, so a refused body is counted and correlated too.
    app.add_middleware(
        InputLimitsMiddleware,
        limits=BodyLimits(
            resource=settings.body_limit_bytes,
            batch=settings.batch_body_limit_bytes,
            upload=settings.upload_body_limit_bytes,
        ),
    )
    app.add_middleware(CorrelationAndMetricsMiddleware, tracer=tracer, untraced=untraced_paths())
    _allow_cross_origin(app, settings)


def _include_routers(app: FastAPI, routers: Sequence[APIRouter]) -> None:
    """The service's own routes first, ahead of the documentation pages too: routing
    tries routes in order, and these take the traffic (the paths of health, metrics,
    admin and the documentation are distinct, so order is not precedence here; each
    route tried in vain costs an API request ~1.5 µs)."""
    documentation = list(app.router.routes)
    app.router.routes.clear()
    for router in (*routers, admin.router, drain.router, health.router):
        _add_routes(app, router)
    app.router.routes.extend(documentation)


def _add_routes(app: FastAPI, router: APIRouter) -> None:
    """The router's routes, as they are, in the app's own route table.

    FastAPI keeps an included router as one entry of the table that matches a request
    by trying the router's routes, and then tries them all again to handle it: about
    25 µs of every registry request went to matching (GET /v1/actors/{id}, issue 18).
    Nothing is passed to ``include_router`` here, and a router's prefix, tags and
    responses are already on each of its routes when it declares them, so its routes
    can join the table unchanged: same paths, same order, same OpenAPI document, each
    tried once. A router that includes routers of its own is included as FastAPI does.
    """
    if not all(isinstance(route, APIRoute) for route in router.routes):
        app.include_router(router)
        return
    app.router.routes.extend(router.routes)


def _openapi_finishers(definition: ServiceDefinition) -> list[DocumentFinisher]:
    """What every service's OpenAPI document is finished with, in order, then the
    service's own finishers (schemas it parses by hand)."""
    return [
        document_problems_as_problem_json,
        document_credentials,
        _document_first([health.router, admin.router, drain.router]),
        _keep_nulls_in_examples,
        rename_schemas,
        *definition.openapi_finishers,
    ]


def _lifespan(
    definition: ServiceDefinition, tracing: Tracing
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The service's run: connect, start the relay, the consumers and the background
    tasks; on the way out, drain them in the reverse order and disconnect."""
    settings = definition.settings
    tracer = tracing.tracer if tracing.enabled else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _connect(app, definition, tracing)
        await _start_relay(app, settings, tracer)
        await _start_consumers(app, definition, tracer)
        _start_background(app, definition)
        logger.info("%s started", settings.service_name)
        gc_tuned = _gc_tuning.start(settings)
        try:
            yield
        finally:
            _gc_tuning.stop(gc_tuned)
            await _stop(app, settings, tracing)
            logger.info("%s stopped", settings.service_name)

    return lifespan


def _connect(app: FastAPI, definition: ServiceDefinition, tracing: Tracing) -> None:
    """The database engine and the bus (both connect lazily), and what requests use."""
    settings = definition.settings
    engine = create_engine(settings)
    instrument(engine, tracing)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = create_session_factory(engine)
    app.state.bus = Bus(settings.kafka_bootstrap_servers, client_id=settings.service_name)
    app.state.authenticator = Authenticator(settings)
    app.state.schema_check = (
        SchemaCheck(definition.migrations_dir)
        if definition.migrations_dir is not None and definition.migrations_dir.is_dir()
        else None
    )
    # Nothing runs yet: what /readyz and the drain look at is there from the start.
    app.state.relay = None
    app.state.consumer_runners = []


async def _start_relay(app: FastAPI, settings: ServiceSettings, tracer: Tracer | None) -> None:
    """The outbox relay, unless the settings turn it off (a replica that only serves)."""
    if not settings.relay_enabled:
        return
    app.state.relay = OutboxRelay(
        app.state.engine,
        app.state.bus,
        database_url=settings.database_url,
        topic_prefix=settings.kafka_topic_prefix,
        batch_size=settings.relay_batch_size,
        poll_interval=settings.relay_poll_interval_seconds,
        check_topics=settings.relay_check_topics,
        log_check_interval=settings.relay_log_check_interval_seconds,
        # Everything the outbox still keeps: the sent rows' retention is the window.
        republish_window=timedelta(hours=settings.retention_outbox_sent_hours),
        tracer=tracer,
    )
    await app.state.relay.start()


def _consumer_runner(
    app: FastAPI, consumer: InboxConsumer, settings: ServiceSettings, tracer: Tracer | None
) -> ConsumerRunner:
    """The runner of one of the service's consumers, with the settings' retry budget."""
    return ConsumerRunner(
        consumer,
        app.state.sessions,
        app.state.bus,
        topic_prefix=settings.kafka_topic_prefix,
        max_attempts=settings.consumer_max_attempts,
        backoff_initial=settings.consumer_backoff_initial_seconds,
        backoff_max=settings.consumer_backoff_max_seconds,
        attempt_timeout=settings.consumer_attempt_timeout_seconds,
        fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
        session_timeout_ms=settings.consumer_session_timeout_ms,
        heartbeat_interval_ms=settings.consumer_heartbeat_interval_ms,
        metadata_max_age_ms=settings.consumer_metadata_max_age_ms,
        tracer=tracer,
    )


async def _start_consumers(
    app: FastAPI, definition: ServiceDefinition, tracer: Tracer | None
) -> None:
    """The consumers (unless the settings turn them off), at once or once the service's
    hold clears."""
    settings = definition.settings
    if settings.consumers_enabled:
        app.state.consumer_runners = [
            _consumer_runner(app, consumer, settings, tracer) for consumer in definition.consumers
        ]
    app.state.hold = None
    if definition.hold is None:
        for runner in app.state.consumer_runners:
            await runner.start()
        return
    # Listed before they run, so /readyz reports them stopped while held.
    app.state.hold = _Hold(definition.hold, app.state.sessions, app.state.consumer_runners)
    await app.state.hold.check()
    app.state.hold.start()


def _start_background(app: FastAPI, definition: ServiceDefinition) -> None:
    """The messaging retention sweep and the service's own background tasks."""
    app.state.background = [
        task
        for make in (_retention_sweep, *definition.background)
        if (task := make(app)) is not None
    ]
    for task in app.state.background:
        task.start()


async def _stop(app: FastAPI, settings: ServiceSettings, tracing: Tracing) -> None:
    """Drain what runs, then disconnect."""
    if app.state.hold is not None:
        await app.state.hold.stop()
    # Background tasks and consumers finish the work in hand and commit (all at
    # once: each may be waiting on the broker or the database); the relay
    # flushes what the last requests committed; then the connections close.
    await asyncio.gather(
        *(t.stop(settings.drain_timeout_seconds) for t in app.state.background),
        *(r.stop(settings.drain_timeout_seconds) for r in app.state.consumer_runners),
    )
    if app.state.relay is not None:
        await app.state.relay.stop(settings.drain_timeout_seconds)
    await app.state.bus.close()
    await app.state.engine.dispose()
    # Exported in a thread of the SDK's: the loop goes on meanwhile.
    await asyncio.to_thread(tracing.flush)


def _allow_cross_origin(app: FastAPI, settings: ServiceSettings) -> None:
    """CORS for browser frontends on other origins, outermost so that refusals (401,
    problem answers, 503 while draining) carry the headers too and a browser lets the
    frontend read them. Nothing is allowed unless settings name origins."""
    origins = settings.cors_origins()
    if not origins and settings.cors_allow_origin_regex is None:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_origin_regex=settings.cors_allow_origin_regex,
        allow_methods=settings.cors_methods(),
        allow_headers=settings.cors_headers(),
        # Bearer tokens travel in Authorization, which is not a cookie: no credentials
        # mode is needed, and without it a misconfigured origin cannot ride on cookies.
        allow_credentials=False,
        expose_headers=list(CORS_EXPOSED_HEADERS),
        max_age=settings.cors_max_age_seconds,
    )


def _models_with_examples() -> dict[str, type[BaseModel]]:
    """Every loaded model whose config gives examples, by name (a name two such models
    share is left out: which one a schema is cannot be told)."""
    found: dict[str, type[BaseModel] | None] = {}
    todo: list[type[BaseModel]] = [BaseModel]
    while todo:
        for model in todo.pop().__subclasses__():
            todo.append(model)
            extra = model.model_config.get("json_schema_extra")
            if isinstance(extra, dict) and "examples" in extra:
                name = model.__name__
                found[name] = None if name in found and found[name] is not model else model
    return {name: model for name, model in found.items() if model is not None}


def _keep_nulls_in_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Put back the nulls FastAPI drops from schema examples.

    FastAPI renders the document without ``None`` values, examples included: an example
    of a required nullable field (``"left_on": null``) lost the field, and no longer
    validated against its own schema. The models' examples are taken again as written.
    """
    models = _models_with_examples()
    for name, component in document.get("components", {}).get("schemas", {}).items():
        title = str(component.get("title") or name)
        model = models.get(title) or models.get(name.rsplit("-", 1)[0])
        if model is None or "examples" not in component:
            continue
        extra = model.model_config.get("json_schema_extra")
        assert isinstance(extra, dict)
        component["examples"] = jsonable_encoder(extra["examples"])
    return document


def _document_first(routers: Sequence[APIRouter]) -> DocumentFinisher:
    """A finisher listing ``routers``' paths first in the OpenAPI document, in this order.

    They are routed last (see above) but have always been documented first; keeping
    that order keeps the committed documents stable when regenerated.
    """
    first = [getattr(route, "path", "") for router in routers for route in router.routes]

    def finish(document: dict[str, Any]) -> dict[str, Any]:
        if "paths" in document:
            paths: dict[str, Any] = document["paths"]
            ordered = {path: paths[path] for path in first if path in paths}
            ordered.update((path, item) for path, item in paths.items() if path not in ordered)
            document["paths"] = ordered
        return document

    return finish
