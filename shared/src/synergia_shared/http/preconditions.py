"""ETag / If-Match optimistic concurrency: a stale write is a 412, a blind one a 428."""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from fastapi import Header
from fastapi.responses import JSONResponse

from synergia_shared.http.problems import (
    IF_MATCH,
    Problem,
    ProblemException,
    precondition_required,
)

# The header of every write that needs it: declared required, as it is enforced. A
# request without it is a 428 (not FastAPI's 422 for a missing parameter: see
# problems.install_problem_handlers), one with a stale ETag a 412.
IfMatch = Annotated[
    str,
    Header(
        alias=IF_MATCH,
        description="The ETag of the version this change is based on, as read "
        "(`ETag` of the GET): 428 without it, 412 when it is no longer current.",
    ),
]

PRECONDITION_RESPONSES: dict[int | str, dict[str, Any]] = {
    412: {"model": Problem, "description": "If-Match is no longer current: read it again"},
    428: {"model": Problem, "description": "If-Match is missing"},
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
        raise precondition_required()
    tag = if_match.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    if not tag.isdigit():
        raise ProblemException(
            422,
            "validation-error",
            "Request validation failed",
            f"header.If-Match: '{if_match}' is not an ETag this service issued",
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
