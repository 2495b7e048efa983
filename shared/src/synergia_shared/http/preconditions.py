"""ETag / If-Match optimistic concurrency: a stale write is a 412, a blind one a 428."""

from __future__ import annotations

from synergia_shared.http.problems import ProblemException

IF_MATCH_HEADERS = {
    "If-Match": {
        "description": "The ETag of the version this change was based on (required).",
        "schema": {"type": "string"},
    }
}


def etag_for(version: int) -> str:
    return f'"{version}"'


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
