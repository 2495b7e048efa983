"""The app factory: routes the service's own paths first, documents the shared ones
first, and keeps the garbage collector off the request path while it runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from synergia_shared.app import ServiceDefinition, _GcTuning, create_service_app
from synergia_shared.http.auth import Authenticator
from synergia_shared.settings import ServiceSettings

DB = "postgresql+asyncpg://u@localhost/x"


def settings(**kwargs: object) -> ServiceSettings:
    return ServiceSettings(database_url=DB, **kwargs)  # type: ignore[arg-type]


def make_app() -> FastAPI:
    router = APIRouter(prefix="/v1/things", tags=["things"])

    @router.get("/{thing_id}", operation_id="getThing", summary="One thing")
    async def get_thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    return create_service_app(
        ServiceDefinition(
            settings=settings(),
            title="t",
            description="d",
            routers=[router],
            openapi_tags=[{"name": "things", "description": "Things."}],
        )
    )


def test_shared_paths_are_documented_first_as_always() -> None:
    order = list(make_app().openapi()["paths"])
    assert order == [
        "/healthz",
        "/readyz",
        "/status",
        "/metrics",
        "/v1/admin/dead-letters",
        "/v1/admin/dead-letters/{dead_letter_id}/replay",
        "/v1/admin/outbox:republish",
        "/v1/admin/drain",
        "/v1/things/{thing_id}",
    ]


async def test_service_and_shared_routes_both_answer() -> None:
    app = make_app()
    app.state.authenticator = Authenticator(settings())  # set by the lifespan, not run here
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert (await client.get("/metrics")).status_code == 200
        assert (await client.get("/v1/things/7")).json() == {"id": 7}
        assert (await client.get("/v1/admin/dead-letters")).status_code == 401


@pytest.fixture
def gc_state() -> Iterator[None]:
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def test_gc_is_frozen_and_its_young_threshold_raised_then_restored(gc_state: None) -> None:
    before = gc.get_threshold()
    tuning = _GcTuning()
    started = tuning.start(settings(gc_young_threshold=12_345))
    assert gc.get_threshold() == (12_345, before[1], before[2])
    assert gc.get_freeze_count() > 0
    tuning.stop(started)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_with_several_services_the_last_to_stop_restores(gc_state: None) -> None:
    before = gc.get_threshold()
    tuning = _GcTuning()
    first = tuning.start(settings(gc_young_threshold=5_000))
    second = tuning.start(settings(gc_young_threshold=6_000))
    tuning.stop(first)
    assert gc.get_threshold()[0] == 6_000
    assert gc.get_freeze_count() > 0
    tuning.stop(second)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_gc_tuning_can_be_turned_off(gc_state: None) -> None:
    before = gc.get_threshold()
    tuning = _GcTuning()
    started = tuning.start(settings(gc_young_threshold=0))
    assert not started
    assert gc.get_threshold() == before
    tuning.stop(started)
    assert gc.get_threshold() == before
