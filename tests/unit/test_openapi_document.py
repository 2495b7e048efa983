"""One place finishes a service's OpenAPI document: its finishers run in order, once,
and a document is served only finished."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from synergia_shared.app import ServiceDefinition, create_service_app
from synergia_shared.http.openapi_document import finish_document, finish_openapi
from synergia_shared.settings import ServiceSettings


def _app() -> FastAPI:
    app = FastAPI(title="t", version="1")

    @app.get("/things", operation_id="listThings")
    async def things() -> list[int]:
        return []

    return app


def test_finishers_run_in_order_on_each_others_result() -> None:
    def tag(name: str) -> Any:
        def finish(document: dict[str, Any]) -> dict[str, Any]:
            return {**document, "x-finished": [*document.get("x-finished", []), name]}

        return finish

    assert finish_document({}, [tag("a"), tag("b"), tag("c")]) == {"x-finished": ["a", "b", "c"]}
    assert finish_document({"info": {}}, []) == {"info": {}}


def test_document_is_finished_once_and_served_from_the_cache() -> None:
    app = _app()
    calls: list[str] = []

    def count(document: dict[str, Any]) -> dict[str, Any]:
        calls.append("count")
        return {**document, "x-count": len(calls)}

    finish_openapi(app, [count])
    first = app.openapi()
    assert first["x-count"] == 1
    assert "/things" in first["paths"]
    assert app.openapi() is first
    assert app.openapi_schema is first
    assert calls == ["count"]


def test_a_failing_finisher_leaves_no_half_finished_document() -> None:
    app = _app()
    failures = [RuntimeError("once")]

    def flaky(document: dict[str, Any]) -> dict[str, Any]:
        if failures:
            raise failures.pop()
        return {**document, "x-finished": True}

    finish_openapi(app, [flaky])
    with pytest.raises(RuntimeError):
        app.openapi()
    assert app.openapi_schema is None
    assert app.openapi()["x-finished"] is True


def test_a_services_own_finishers_run_after_the_shared_ones() -> None:
    seen: list[dict[str, Any]] = []

    def own(document: dict[str, Any]) -> dict[str, Any]:
        seen.append(document)
        return {**document, "x-own": True}

    app = create_service_app(
        ServiceDefinition(
            settings=ServiceSettings(database_url="postgresql+asyncpg://u@localhost/x"),
            title="t",
            description="d",
            routers=[],
            openapi_finishers=[own],
        )
    )
    document = app.openapi()
    assert document["x-own"] is True
    # The shared finishers ran before: the API key scheme is documented beside the bearer.
    assert "apiKeyAuth" in seen[0]["components"]["securitySchemes"]
    assert next(iter(seen[0]["paths"])) == "/healthz"
