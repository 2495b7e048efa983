"""ETag / If-Match optimistic concurrency: a stale write is a 412, a blind one a 428."""

from __future__ import annotations

from typing import Protocol

from fastapi.responses import JSONResponse

from synergia_shared.http.problems import ProblemException

IF_MATCH_HEADERS = {
    "If-Match": {
        "description": "The ETag of the version this change was based on (required).",
        "schema": {"type": "string"},
    }
}


def etag_for(version: int) -> str:
    return f'"{version}"'


class Versioned(Protocol):
    """A view of something with optimistic concurrency: a pydantic model with a version."""

    version: int

    def model_dump(self, *, mode: str) -> dict[str, object]: ...


def versioned_json(view: Versioned, status_code: int = 200, **headers: str) -> JSONResponse:
    """The view as JSON with its ``ETag``, for a client to send back in ``If-Match``."""
    return JSONResponse(
        view.model_dump(mode="json"),
        status_code=status_code,
        headers={"ETag": etag_for(view.version), **headers},
    )


def expected_version(if_match: str | None) -> int:
    """The version a client based its write on, from its ``If-Match`` header."""
    if if_match is None:
        raise ProblemException(
            428,
            "precondition-required",
            "Precondition Required",
            "send If-Match with the ETag of the version you read, so that you do not "
            "overwrite someone else's change",
        )
    tag = if_match.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    if not tag.isdigit():
        raise ProblemException(
            422,
            "validation-error",
            "Request validation failed",
            f"header.If-Match: {if_match!r} is not an ETag this service issued",
            errors=[{"loc": ["header", "If-Match"], "msg": "not an ETag this service issued"}],
        )
    return int(tag)


def check_version(if_match: str | None, current: int, what: str) -> None:
    """412 when the resource moved on since the client read it."""
    expected = expected_version(if_match)
    if expected != current:
        raise ProblemException(
            412,
            "precondition-failed",
            "Precondition Failed",
            f"{what} is at version {current}, your change was based on version {expected}; "
            "read it again and reapply your change",
            headers={"ETag": etag_for(current)},
        )
