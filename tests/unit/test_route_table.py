"""A service's routes are the app's own route table: each request is matched once against
them, in the order the service lists its routers, and answered as before."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route
from synergia_shared.app import ServiceDefinition, create_service_app
from synergia_shared.settings import ServiceSettings

SETTINGS = ServiceSettings(database_url="postgresql+asyncpg://u@localhost/x")


def _things() -> APIRouter:
    router = APIRouter(prefix="/v1/things", tags=["things"])

    @router.get("/{thing_id}", operation_id="getThing")
    async def get_thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    @router.patch("/{thing_id}", operation_id="updateThing")
    async def update_thing(thing_id: int) -> dict[str, int]:
        return {"id": -thing_id}

    return router


def _app(*routers: APIRouter) -> FastAPI:
    return create_service_app(
        ServiceDefinition(settings=SETTINGS, title="t", description="d", routers=routers)
    )


def test_a_routers_routes_join_the_apps_table_unchanged() -> None:
    router = _things()
    app = _app(router)
    table = app.router.routes
    # No entry stands for a whole router: every route is matched by itself, once.
    assert all(isinstance(route, Route | Mount) for route in table)
    # The service's own routes are tried first, before the shared ones and the docs.
    assert table[:2] == router.routes
    assert [route.path for route in table[2:] if isinstance(route, APIRoute)][-1] == "/redoc"
    client = TestClient(app)  # no lifespan: these routes need no database
    assert client.get("/v1/things/7").json() == {"id": 7}
    assert client.patch("/v1/things/7").json() == {"id": -7}
    refused = client.delete("/v1/things/7")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET, PATCH"
    assert client.get("/healthz").status_code == 200
    assert client.get("/docs").status_code == 200
    document = app.openapi()
    assert document["paths"]["/v1/things/{thing_id}"]["get"]["tags"] == ["things"]


def test_a_router_that_includes_routers_is_included_as_fastapi_does() -> None:
    outer = APIRouter(prefix="/v1/outer")
    outer.include_router(_things())
    app = _app(outer)
    assert TestClient(app).get("/v1/outer/v1/things/3").json() == {"id": 3}
    assert "/v1/outer/v1/things/{thing_id}" in app.openapi()["paths"]
