"""The app factory every service uses: one shape for wiring, lifespan and conventions."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI

from synergia_shared.bus import Bus
from synergia_shared.db import create_engine, create_session_factory
from synergia_shared.http import admin, health
from synergia_shared.http.auth import Authenticator
from synergia_shared.http.middleware import CorrelationAndMetricsMiddleware
from synergia_shared.http.problems import install_problem_handlers
from synergia_shared.logging import configure_logging
from synergia_shared.messaging.inbox import ConsumerRunner, InboxConsumer
from synergia_shared.messaging.relay import OutboxRelay
from synergia_shared.settings import ServiceSettings

logger = logging.getLogger(__name__)


@dataclass
class ServiceDefinition:
    settings: ServiceSettings
    title: str
    description: str
    routers: Sequence[APIRouter]
    consumers: Sequence[InboxConsumer] = ()
    openapi_tags: list[dict[str, str]] = field(default_factory=list)
    version: str = "0.1.0"


def create_service_app(definition: ServiceDefinition) -> FastAPI:
    settings = definition.settings
    configure_logging(settings.service_name, settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        bus = Bus(settings.kafka_bootstrap_servers, client_id=settings.service_name)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessions = create_session_factory(engine)
        app.state.bus = bus
        app.state.authenticator = Authenticator(settings)
        app.state.relay = None
        app.state.consumer_runners = []
        if settings.relay_enabled:
            app.state.relay = OutboxRelay(
                engine,
                bus,
                database_url=settings.database_url,
                topic_prefix=settings.kafka_topic_prefix,
                batch_size=settings.relay_batch_size,
                poll_interval=settings.relay_poll_interval_seconds,
            )
            await app.state.relay.start()
        if settings.consumers_enabled:
            for consumer in definition.consumers:
                runner = ConsumerRunner(
                    consumer,
                    app.state.sessions,
                    bus,
                    topic_prefix=settings.kafka_topic_prefix,
                    max_attempts=settings.consumer_max_attempts,
                    backoff_initial=settings.consumer_backoff_initial_seconds,
                    backoff_max=settings.consumer_backoff_max_seconds,
                    fetch_max_wait_ms=settings.consumer_fetch_max_wait_ms,
                )
                await runner.start()
                app.state.consumer_runners.append(runner)
        logger.info("%s started", settings.service_name)
        try:
            yield
        finally:
            # Consumers finish the event in hand and commit; the relay flushes what
            # the last requests committed; then the connections close.
            for runner in app.state.consumer_runners:
                await runner.stop(settings.drain_timeout_seconds)
            if app.state.relay is not None:
                await app.state.relay.stop(settings.drain_timeout_seconds)
            await bus.close()
            await engine.dispose()
            logger.info("%s stopped", settings.service_name)

    app = FastAPI(
        title=definition.title,
        description=definition.description,
        version=definition.version,
        lifespan=lifespan,
        openapi_tags=[
            *definition.openapi_tags,
            {"name": "admin", "description": "Operations on parked (dead-letter) events."},
            {"name": "operations", "description": "Health, readiness and metrics."},
        ],
    )
    # Known before startup, so the contract generator can describe what this service reads.
    app.state.consumers = {c.name: c for c in definition.consumers}
    install_problem_handlers(app)
    app.add_middleware(CorrelationAndMetricsMiddleware)
    app.include_router(health.router)
    app.include_router(admin.router)
    for router in definition.routers:
        app.include_router(router)
    return app
