"""require(): one dependency, the same answers and the same OpenAPI as authenticate()."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from synergia_shared.http.auth import (
    Authenticator,
    Principal,
    Role,
    authenticate,
    document_credentials,
    issue_token,
    require,
    require_then,
)
from synergia_shared.http.openapi_document import finish_openapi
from synergia_shared.http.problems import (
    document_problems_as_problem_json,
    install_problem_handlers,
)
from synergia_shared.settings import DEV_JWT_SECRET, ServiceSettings

API_KEY = "k-lombardia-secret"
KEYS = [
    {
        "name": "lombardia",
        "sha256": hashlib.sha256(API_KEY.encode()).hexdigest(),
        "roles": ["authority"],
        "region": "ITC4",
    }
]


def _with_path(principal: Principal, request: Request) -> dict[str, Any]:
    return {"subject": principal.subject, "path": request.url.path}


AdminsThen = Annotated[dict[str, Any], Depends(require_then(_with_path, Role.ADMIN))]


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    finish_openapi(app, [document_problems_as_problem_json, document_credentials])
    app.state.authenticator = Authenticator(
        ServiceSettings(database_url="postgresql+asyncpg://u@h/x", api_keys=json.dumps(KEYS))
    )

    @app.get("/admins-only", operation_id="adminsOnly")
    async def admins_only(p: Annotated[Principal, Depends(require(Role.ADMIN))]) -> dict[str, Any]:
        return {"subject": p.subject, "via_api_key": p.via_api_key}

    @app.get("/authorities", operation_id="authorities")
    async def authorities(
        p: Annotated[Principal, Depends(require(Role.AUTHORITY, Role.ADMIN))],
    ) -> dict[str, Any]:
        return {"subject": p.subject, "region": p.region, "via_api_key": p.via_api_key}

    @app.get("/anyone", operation_id="anyone")
    async def anyone(p: Annotated[Principal, Depends(authenticate)]) -> dict[str, Any]:
        return {"subject": p.subject}

    @app.get("/admins-then", operation_id="adminsThen")
    async def admins_then(seen: AdminsThen) -> dict[str, Any]:
        return seen

    @app.get("/open", operation_id="open")
    async def open_() -> dict[str, str]:
        return {"status": "ok"}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def bearer(*roles: str, region: str | None = None) -> dict[str, str]:
    token = issue_token(DEV_JWT_SECRET, subject="u1", roles=list(roles), region=region)
    return {"Authorization": f"Bearer {token}"}


async def test_no_credentials_is_401_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/admins-only")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer garbage"},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dTpw"},
        {"X-API-Key": "wrong"},
    ],
    ids=["bad-token", "empty-bearer", "basic", "unknown-key"],
)
async def test_bad_credentials_are_401(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    assert (await client.get("/admins-only", headers=headers)).status_code == 401


async def test_a_missing_role_is_403(client: httpx.AsyncClient) -> None:
    response = await client.get("/admins-only", headers=bearer("viewer"))
    assert response.status_code == 403
    assert "admin" in response.json()["detail"]


async def test_the_right_role_passes(client: httpx.AsyncClient) -> None:
    response = await client.get("/admins-only", headers=bearer("admin"))
    assert response.status_code == 200
    assert response.json() == {"subject": "u1", "via_api_key": False}


async def test_an_api_key_passes_with_its_roles_and_region(client: httpx.AsyncClient) -> None:
    response = await client.get("/authorities", headers={"X-API-Key": API_KEY})
    expected = {"subject": "api-key:lombardia", "region": "ITC4", "via_api_key": True}
    assert response.json() == expected
    assert (await client.get("/admins-only", headers={"X-API-Key": API_KEY})).status_code == 403


async def test_a_bearer_token_wins_over_an_api_key(client: httpx.AsyncClient) -> None:
    headers = {**bearer("admin"), "X-API-Key": API_KEY}
    assert (await client.get("/admins-only", headers=headers)).json()["via_api_key"] is False
    headers = {"Authorization": "Bearer garbage", "X-API-Key": API_KEY}
    assert (await client.get("/authorities", headers=headers)).status_code == 401


def test_openapi_documents_require_like_authenticate() -> None:
    doc = make_app().openapi()
    both = [{"bearerAuth": []}, {"apiKeyAuth": []}]
    assert doc["paths"]["/admins-only"]["get"]["security"] == both
    assert doc["paths"]["/authorities"]["get"]["security"] == both
    assert doc["paths"]["/anyone"]["get"]["security"] == both
    assert doc["paths"]["/admins-then"]["get"]["security"] == both
    assert "security" not in doc["paths"]["/open"]["get"]
    assert doc["components"]["securitySchemes"] == {
        "bearerAuth": {
            "type": "http",
            "description": "A JWT from the identity provider.",
            "scheme": "bearer",
            "bearerFormat": "JWT",
        },
        "apiKeyAuth": {
            "type": "apiKey",
            "description": "Machine clients of regional authorities (bound to their NUTS region).",
            "in": "header",
            "name": "X-API-Key",
        },
    }
    # No parameters leak from the credentials into the operations.
    assert "parameters" not in doc["paths"]["/admins-only"]["get"]


async def test_require_then_checks_as_require_and_hands_on_what_then_made(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/admins-then")).status_code == 401
    refused = await client.get("/admins-then", headers=bearer("viewer"))
    assert refused.status_code == 403
    assert "admin" in refused.json()["detail"]
    assert (await client.get("/admins-then", headers={"X-API-Key": API_KEY})).status_code == 403
    passed = await client.get("/admins-then", headers=bearer("admin"))
    assert passed.json() == {"subject": "u1", "path": "/admins-then"}
