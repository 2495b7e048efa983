"""CORS: a browser frontend on an allowed origin may call the API and read the headers
it needs (ETag, Location, the correlation id); any other origin gets nothing, and
production allows no origin unless settings name it."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Response
from pydantic import ValidationError
from synergia_devstack.stack import Servers, service_env
from synergia_shared.app import ServiceDefinition, create_service_app
from synergia_shared.http.auth import Authenticator
from synergia_shared.settings import LOCAL_ORIGINS_REGEX, ServiceSettings

DB = "postgresql+asyncpg://u@localhost/x"
FRONTEND = "https://app.synergia.example.eu"


def settings(**kwargs: object) -> ServiceSettings:
    return ServiceSettings(database_url=DB, **kwargs)  # type: ignore[arg-type]


def make_app(service_settings: ServiceSettings) -> FastAPI:
    router = APIRouter(prefix="/v1/things")

    @router.post("", status_code=201)
    async def create_thing(response: Response) -> dict[str, int]:
        response.headers["Location"] = "/v1/things/1"
        response.headers["ETag"] = '"1"'
        return {"id": 1}

    app = create_service_app(
        ServiceDefinition(settings=service_settings, title="t", description="d", routers=[router])
    )
    app.state.authenticator = Authenticator(service_settings)
    return app


async def preflight(app: FastAPI, origin: str, *, headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.options(
            "/v1/things",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": headers,
            },
        )


WRITE_HEADERS = (
    "authorization, content-type, if-match, if-none-match, idempotency-key, "
    "x-correlation-id, traceparent"
)


async def test_a_preflight_from_an_allowed_origin_is_answered_with_what_it_may_send() -> None:
    app = make_app(settings(cors_allow_origins=f'["{FRONTEND}"]'))
    answer = await preflight(app, FRONTEND, headers=WRITE_HEADERS)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == FRONTEND
    assert "PATCH" in answer.headers["access-control-allow-methods"]
    allowed = {h.strip().lower() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert {h.strip() for h in WRITE_HEADERS.split(",")} <= allowed
    assert "access-control-allow-credentials" not in answer.headers


async def test_a_preflight_from_another_origin_gets_no_cors_headers() -> None:
    app = make_app(settings(cors_allow_origins=f'["{FRONTEND}"]'))
    answer = await preflight(app, "https://evil.example.com", headers="authorization")
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers


async def test_production_allows_no_origin_by_default() -> None:
    production = settings(environment="production", auth_jwt_secret="s" * 32)
    app = make_app(production)
    for origin in (FRONTEND, "http://localhost:5173"):
        answer = await preflight(app, origin, headers="authorization")
        assert "access-control-allow-origin" not in answer.headers
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            plain = await client.get("/healthz", headers={"Origin": origin})
        assert plain.status_code == 200
        assert "access-control-allow-origin" not in plain.headers


async def test_a_real_request_lets_the_frontend_read_etag_location_and_correlation_id() -> None:
    app = make_app(settings(cors_allow_origins=f'["{FRONTEND}"]'))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.post("/v1/things", headers={"Origin": FRONTEND})
    assert answer.status_code == 201
    assert answer.headers["access-control-allow-origin"] == FRONTEND
    exposed_header = answer.headers["access-control-expose-headers"]
    exposed = {h.strip().lower() for h in exposed_header.split(",")}
    assert {"etag", "location", "retry-after", "x-correlation-id"} <= exposed
    assert answer.headers["etag"] == '"1"'


async def test_refusals_carry_cors_headers_so_the_frontend_can_read_them() -> None:
    app = make_app(settings(cors_allow_origins=f'["{FRONTEND}"]'))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/v1/admin/dead-letters", headers={"Origin": FRONTEND})
    assert answer.status_code == 401
    assert answer.headers["access-control-allow-origin"] == FRONTEND


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://localhost:5173", True),
        ("http://127.0.0.1:3000", True),
        ("http://localhost", True),
        ("https://localhost:8443", True),
        ("http://localhost.evil.com", False),
        ("http://127.0.0.1.evil.com:80", False),
        ("https://app.synergia.example.eu", False),
    ],
)
async def test_the_dev_stack_allows_local_origins_on_any_port(origin: str, allowed: bool) -> None:
    servers = Servers(database_urls={"registry": DB}, kafka_bootstrap_servers="127.0.0.1:9")
    env = service_env("registry", servers, 8001)
    regex = env["REGISTRY_CORS_ALLOW_ORIGIN_REGEX"]
    assert regex == LOCAL_ORIGINS_REGEX
    app = make_app(settings(cors_allow_origin_regex=regex))
    answer = await preflight(app, origin, headers="authorization")
    assert (answer.headers.get("access-control-allow-origin") == origin) is allowed


def test_a_wildcard_origin_is_refused() -> None:
    with pytest.raises(ValidationError, match="not allowed"):
        settings(cors_allow_origins='["*"]')


def test_origins_must_be_a_json_list() -> None:
    with pytest.raises(ValidationError, match="JSON list"):
        settings(cors_allow_origins="https://a.example.eu")


async def test_an_empty_origin_regex_allows_no_origin() -> None:
    # deploy/k8s states every setting: CORS_ALLOW_ORIGIN_REGEX= means none.
    configured = settings(cors_allow_origin_regex="  ")
    assert configured.cors_allow_origin_regex is None
    answer = await preflight(make_app(configured), "http://localhost:5173", headers="authorization")
    assert "access-control-allow-origin" not in answer.headers
