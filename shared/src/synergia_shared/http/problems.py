"""RFC 9457 problem details for every error a client can cause or see."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from synergia_shared.db_outage import RETRY_AFTER_SECONDS, is_database_unavailable
from synergia_shared.http.methods import allowed_methods
from synergia_shared.http.reports import echo

logger = logging.getLogger(__name__)

# A message quoting what the client sent (a 100,000-character cell) is cut.
MESSAGE_LIMIT = 500

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://synergia.eu/problems/"


class ProblemError(BaseModel):
    loc: list[str | int] = Field(
        description="Where the problem is: body/query/path/header, then the field."
    )
    msg: str


class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong, and for validation, where."""

    type: str = Field(examples=[f"{TYPE_BASE}validation-error"])
    title: str = Field(examples=["Request validation failed"])
    status: int = Field(examples=[422])
    detail: str | None = Field(default=None, examples=["body.country: unknown country code 'XX'"])
    instance: str | None = Field(default=None, examples=["/v1/actors"])
    errors: list[ProblemError] | None = None


class ProblemException(Exception):
    """Raise from a service or router to answer with a problem."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers
        # RFC 9457 extension members, beside the standard ones (e.g. a refusal's candidates).
        self.extensions = extensions


def errors_detail(errors: Sequence[Mapping[str, Any]]) -> str:
    """The one-line ``detail`` naming every error: ``body.country: unknown code; …``."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)


# Pydantic's wording where it speaks of Python (its class names, "object", "instance").
_PLAIN_MESSAGES = {
    "extra_forbidden": "unknown field",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
    "dict_type": "expected an object",
    "uuid_type": "expected a UUID as a string",
    "decimal_type": 'expected a decimal number, as a string such as "1234.56" or a number',
    "is_instance_of": "not a value of the expected kind",
    "dataclass_type": "expected an object",
}
_PYTHON_PREFIXES = ("Value error, ", "Assertion failed, ")


def field_errors(
    errors: Iterable[Mapping[str, Any]], loc_prefix: Sequence[str | int] = ()
) -> list[dict[str, Any]]:
    """Pydantic's errors as the problems' ``errors``: where (``loc``, under
    ``loc_prefix``) and what, in words (an unknown field says so)."""
    out = []
    for err in errors:
        loc = [*loc_prefix, *(part for part in err.get("loc", ()) if isinstance(part, str | int))]
        kind = str(err.get("type", ""))
        msg = _PLAIN_MESSAGES.get(kind) or str(err.get("msg", "invalid"))
        ctx = err.get("ctx") or {}
        if kind == "json_invalid":
            msg = f"malformed JSON: {ctx.get('error', 'cannot parse')}"
        elif kind in {"union_tag_invalid", "union_tag_not_found"}:
            # Pydantic quotes the tag's Python repr ('None'); say which field and values.
            field = str(ctx.get("discriminator", "")).strip("'")
            loc = [*loc, field] if field else loc
            expected = ctx.get("expected_tags")
            msg = f"expected one of {expected}" if expected else "required"
        elif msg.startswith(_PYTHON_PREFIXES):  # "Value error, " of a validator's ValueError
            msg = msg.split(", ", 1)[1]
        out.append({"loc": loc, "msg": echo(msg, MESSAGE_LIMIT)})
    return out


IF_MATCH = "If-Match"


def precondition_required() -> ProblemException:
    """428 for a write without ``If-Match`` where the service requires it (RFC 6585)."""
    return ProblemException(
        428,
        "precondition-required",
        "Precondition Required",
        "send If-Match with the ETag of the version you read, so that you do not "
        "overwrite someone else's change",
    )


def _only_if_match_missing(errors: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the request's one problem is a missing ``If-Match``: that is a 428, not
    a 422 (with other errors, it is listed among them)."""
    return bool(errors) and all(
        e.get("type") == "missing" and tuple(e.get("loc", ())) == ("header", IF_MATCH)
        for e in errors
    )


def not_utf8_message(error: UnicodeDecodeError) -> str:
    """What a body that is not UTF-8 is told, naming the first bad byte's offset."""
    return f"not UTF-8 text (invalid byte at offset {error.start})"


def validation_problem(errors: list[dict[str, Any]]) -> ProblemException:
    """422 for what a service checks beyond the request model (a code that does not exist,
    an unknown id), shaped like FastAPI's own validation errors: each error names its
    field (``loc``) and the detail lists them all."""
    return ProblemException(
        422, "validation-error", "Request validation failed", errors_detail(errors), errors=errors
    )


def not_found(detail: str) -> ProblemException:
    """404 for a resource that does not exist (or not yet, here); ``detail`` names it."""
    return ProblemException(404, "not-found", "Not Found", detail)


def invalid_field(loc: list[str | int], msg: str) -> ProblemException:
    """:func:`validation_problem` for one field."""
    return validation_problem([{"loc": loc, "msg": msg}])


def problem_response(
    request: Request,
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        **(extensions or {}),
        "type": f"{TYPE_BASE}{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(
        jsonable_encoder({k: v for k, v in body.items() if v is not None}),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


async def _problem(request: Request, exc: ProblemException) -> JSONResponse:
    """A :class:`ProblemException` raised by a service or a router, as it says."""
    return problem_response(
        request,
        exc.status,
        exc.slug,
        exc.title,
        exc.detail,
        exc.errors,
        exc.headers,
        exc.extensions,
    )


def _invalid_request(request: Request, errors: list[dict[str, Any]]) -> JSONResponse:
    """422 naming each of ``errors`` (``loc``, ``msg``) and all of them in ``detail``."""
    return problem_response(
        request,
        422,
        "validation-error",
        "Request validation failed",
        errors_detail(errors),
        errors,
    )


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    """What FastAPI found wrong with the request; a missing ``If-Match`` alone is a 428."""
    if _only_if_match_missing(exc.errors()):
        return await _problem(request, precondition_required())
    return _invalid_request(request, field_errors(exc.errors()))


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Starlette's and FastAPI's HTTP errors (404, 405...) as problems."""
    if isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI's body reading turns bytes that are not UTF-8 into a bare 400; a
        # body is the client's input like any other: 422 saying where, as a CSV
        # upload that is not UTF-8 is.
        return _invalid_request(
            request, [{"loc": ["body"], "msg": not_utf8_message(exc.__cause__)}]
        )
    title = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
    slug = title.lower().replace(" ", "-")
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405 and (methods := allowed_methods(request)):
        headers = {**(headers or {}), "Allow": ", ".join(methods)}
    return problem_response(request, exc.status_code, slug, title, detail, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """503 while the database is away; else a logged 500 that says nothing of the cause."""
    if is_database_unavailable(exc):
        logger.warning("database unavailable: %r", exc)
        return database_unavailable_response(request)
    logger.exception("unhandled error")
    return problem_response(
        request,
        500,
        "internal-error",
        "Internal Server Error",
        "The error was logged with this request's correlation id.",
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error with a problem (RFC 9457)."""
    app.exception_handler(ProblemException)(_problem)
    app.exception_handler(RequestValidationError)(_validation)
    app.exception_handler(StarletteHTTPException)(_http)
    # The errors a database outage raises get handlers of their own: Starlette answers
    # them in its exception middleware, where the response is the end of it. The
    # catch-all below runs in the outermost middleware, which re-raises after answering
    # (a traceback per request, while PostgreSQL is merely restarting).
    for kind in _DATABASE_ERRORS:
        app.add_exception_handler(kind, _unexpected)
    app.add_exception_handler(Exception, _unexpected)


def database_unavailable_response(request: Request) -> JSONResponse:
    """503 with ``Retry-After``: the database is unreachable now, the request may be
    retried as it is (nothing of it was applied: its transaction never committed)."""
    return problem_response(
        request,
        503,
        "database-unavailable",
        "Service Unavailable",
        "The database cannot be reached at the moment; nothing was changed. "
        f"Retry in {RETRY_AFTER_SECONDS} seconds.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


_DATABASE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    SQLAlchemyError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


def _example(status: int, slug: str, detail: str, **more: Any) -> dict[str, Any]:
    return {
        "type": f"{TYPE_BASE}{slug}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **more,
    }


# What each shared problem response looks like, as the services send it: each status
# shows its own (a 401 is not illustrated by a 422).
PROBLEM_EXAMPLES: dict[int, dict[str, Any]] = {
    401: _example(
        401, "unauthorized", "send a bearer token (Authorization: Bearer …) or an X-API-Key"
    ),
    403: _example(
        403,
        "forbidden",
        "this needs one of the roles admin, cluster_manager; the caller has viewer",
    ),
    412: _example(
        412,
        "precondition-failed",
        "actor 3f0c9a52-6a43-4b7e-9d0e-2f4b8e1f6c21 is at version 4, your change was based on "
        "version 3; read it again and reapply your change",
    ),
    422: {
        **_example(422, "validation-error", "body.country: unknown country code 'XX'"),
        "title": "Request validation failed",
        "errors": [{"loc": ["body", "country"], "msg": "unknown country code 'XX'"}],
    },
    428: _example(
        428,
        "precondition-required",
        "send If-Match with the ETag of the version you read, so that you do not "
        "overwrite someone else's change",
    ),
    503: {
        **_example(
            503,
            "database-unavailable",
            "The database cannot be reached at the moment; nothing was changed. "
            f"Retry in {RETRY_AFTER_SECONDS} seconds.",
        ),
    },
}

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": desc}
    for status, desc in (
        (401, "Missing or invalid credentials"),
        (403, "Authenticated, but not allowed to do this"),
        (422, "The request is invalid; `errors` says where"),
        (503, "The database cannot be reached at the moment; retry after `Retry-After`"),
    )
}


def document_problems_as_problem_json(document: dict[str, Any]) -> dict[str, Any]:
    """Document ``Problem`` responses (and those of its subclasses, which add extension
    members) as ``application/problem+json``, as they are sent; a finisher of the
    OpenAPI document (synergia_shared.http.openapi_document).

    FastAPI documents a response ``model`` under the route's media type (JSON).
    """
    problems = [{"$ref": f"#/components/schemas/{name}"} for name in _problem_models()]
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if content.get("application/json", {}).get("schema") in problems:
                    # Keeping what a route documents itself (examples).
                    documented = content.pop("application/json")
                    content[PROBLEM_JSON] = {**documented, **content.get(PROBLEM_JSON, {})}
                media = content.get(PROBLEM_JSON)
                if media is not None and not ({"example", "examples"} & set(media)):
                    media["example"] = _problem_example(int(status), response)
    return document


def _problem_example(status: int, response: dict[str, Any]) -> dict[str, Any]:
    """The example of a problem response that shows none: the shared one of its status,
    or one made of the status and the response's description."""
    if status in PROBLEM_EXAMPLES:
        return PROBLEM_EXAMPLES[status]
    title = HTTPStatus(status).phrase
    detail = str(response.get("description") or title)
    return _example(status, title.lower().replace(" ", "-"), detail)


def _problem_models() -> list[str]:
    found, todo = [Problem.__name__], [Problem]
    while todo:
        for subclass in todo.pop().__subclasses__():
            found.append(subclass.__name__)
            todo.append(subclass)
    return found
