"""Answers that only change with a deploy (code lists): a strong ETag that is the hash of
the body, ``If-None-Match`` answered 304, and a long ``Cache-Control``.

How long: an answer fetched with ``v=<version>`` (the version of its data, as the
code-list index gives it in each list's ``href``) is immutable for a year: a new version
is a new URL, so a browser or proxy never serves stale data. Without it (or with an old
one) it is cached for a day and then revalidated with ``If-None-Match``, which costs a
304 and no body while nothing changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

JSON = "application/json"
VERSIONED_MAX_AGE = 365 * 24 * 3600
UNVERSIONED_MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class CacheableBody:
    body: bytes
    etag: str  # strong, quoted

    @classmethod
    def of(cls, body: bytes) -> CacheableBody:
        return cls(body, f'"{content_hash(body)}"')


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


INDEX_MAX_AGE = 3600


def cache_control(*, versioned: bool, max_age: int | None = None) -> str:
    if max_age is not None:
        return f"public, max-age={max_age}"
    if versioned:
        return f"public, max-age={VERSIONED_MAX_AGE}, immutable"
    return f"public, max-age={UNVERSIONED_MAX_AGE}"


def none_match(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as RFC 9110 says for it)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in if_none_match.split(","))


def cacheable_json(
    request: Request, cached: CacheableBody, *, versioned: bool = False, max_age: int | None = None
) -> Response:
    """``cached`` as JSON, or a 304 when the client holds it already."""
    headers = {
        "ETag": cached.etag,
        "Cache-Control": cache_control(versioned=versioned, max_age=max_age),
        "Vary": "Accept-Encoding",
    }
    if none_match(request.headers.get("if-none-match"), cached.etag):
        return Response(status_code=304, headers=headers)
    return Response(cached.body, media_type=JSON, headers=headers)


CACHEABLE_HEADERS: dict[str, Any] = {
    "ETag": {
        "schema": {"type": "string"},
        "description": "A strong ETag: the hash of the body; send it in `If-None-Match`",
    },
    "Cache-Control": {
        "schema": {"type": "string"},
        "description": f"`public, max-age={VERSIONED_MAX_AGE}, immutable` when fetched "
        f"with the current `v`, else `public, max-age={UNVERSIONED_MAX_AGE}`",
    },
}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {
        "description": "Not modified: the `If-None-Match` ETag is current; no body",
        "headers": CACHEABLE_HEADERS,
    }
}
