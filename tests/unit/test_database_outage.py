"""Which failures mean "the database is unreachable" (503 + Retry-After), and which stay
what they are: the rule is pure, and the HTTP answer comes from the shared handlers."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc
from synergia_shared.db_outage import is_database_unavailable
from synergia_shared.http.problems import install_problem_handlers


def _wrapped(orig: BaseException, *, invalidated: bool = False) -> sa_exc.DBAPIError:
    """As SQLAlchemy raises a driver error: wrapped, the driver's error as its cause."""
    try:
        raise orig
    except BaseException as cause:
        wrapped = sa_exc.DBAPIError("SELECT 1", None, cause, connection_invalidated=invalidated)
        wrapped.__cause__ = cause
        return wrapped


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
        OSError("Multiple exceptions: [Errno 111] Connect call failed"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed"),
        sa_exc.TimeoutError("QueuePool limit of size 20 overflow 0 reached"),
        _wrapped(asyncpg.AdminShutdownError("terminating connection")),
        _wrapped(RuntimeError("closed"), invalidated=True),
    ],
    ids=repr,
)
def test_an_unreachable_database_is_recognised_however_it_surfaces(error: Exception) -> None:
    assert is_database_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
        asyncpg.UniqueViolationError("duplicate key value"),
        _wrapped(asyncpg.UndefinedColumnError('column "x" does not exist')),
        sa_exc.IntegrityError("INSERT", None, Exception("duplicate key")),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        FileNotFoundError("/data/esif.csv"),
        PermissionError("/data"),
        ValueError("bad"),
    ],
    ids=repr,
)
def test_other_failures_are_not_an_outage(error: Exception) -> None:
    assert not is_database_unavailable(error)


def _app_raising(error: Exception) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/v1/things")
    async def create() -> None:
        raise error

    return app


async def _post(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post("/v1/things")


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        _wrapped(asyncpg.AdminShutdownError("terminating connection"), invalidated=True),
        sa_exc.TimeoutError("QueuePool limit reached"),
        asyncpg.CannotConnectNowError("the database system is shutting down"),
    ],
    ids=repr,
)
async def test_an_outage_is_answered_503_with_retry_after_as_a_problem(error: Exception) -> None:
    response = await _post(_app_raising(error))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["type"].endswith("/database-unavailable")
    assert body["instance"] == "/v1/things"
    assert "Retry in" in body["detail"]


async def test_other_database_errors_stay_500() -> None:
    error = _wrapped(asyncpg.UndefinedColumnError('column "x" does not exist'))
    response = await _post(_app_raising(error))
    assert response.status_code == 500
    assert "retry-after" not in response.headers
    assert response.json()["type"].endswith("/internal-error")


def test_a_timeout_of_the_request_itself_is_a_503_too() -> None:
    # TimeoutError is an OSError: a connect timeout (a server that does not answer) is
    # one, and any other timeout in a request is equally "try again later".
    assert is_database_unavailable(TimeoutError())
