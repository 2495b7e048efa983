"""Limits on what a request may send, enforced while it is read, before any parsing.

One ASGI middleware for every service (:class:`InputLimitsMiddleware`):

- **Body size per route.** A route declares its kind (:func:`body_limit`: a single
  resource by default, a batch, a streamed upload); the sizes are settings. The limit is
  checked against ``Content-Length`` before a byte is read, and counted while the body
  arrives (chunked bodies too): a 20 MB body to a single-resource route is refused after
  its first megabyte, not buffered, parsed and validated. 413, the limit in the problem.
- **JSON depth.** A JSON body nested deeper than :data:`MAX_JSON_DEPTH` is refused (422)
  before it is parsed: Python's parser recurses, and 10,000 levels raise where a
  client's error should be answered.
- **Text PostgreSQL cannot store** (:mod:`.storable_text`) in the query, the path or a
  JSON body: 422 naming each field. A batch route (kind ``batch``) refuses such an item
  alone instead, in its per-item results, so the body check leaves batches to them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from itertools import accumulate
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from synergia_shared.http.problems import errors_detail, problem_response
from synergia_shared.http.storable_text import UNSTORABLE_MSG, is_storable, unstorable_text

BODY_LIMIT_KEY = "x-body-limit"
MAX_JSON_DEPTH = 32


class BodyKind(StrEnum):
    RESOURCE = "resource"  # one resource written: a few KB, 1 MiB allowed by default
    BATCH = "batch"  # up to thousands of items as JSON or CSV, read whole
    UPLOAD = "upload"  # an import streamed row by row, bounded by rows and cell size


def body_limit(kind: BodyKind) -> dict[str, Any]:
    """Declare a route's body limit: ``openapi_extra={**body_limit(BodyKind.BATCH)}``.
    The OpenAPI document shows the kind (``x-body-limit``); the sizes are settings."""
    return {BODY_LIMIT_KEY: kind.value}


@dataclass(frozen=True)
class BodyLimits:
    resource: int
    batch: int
    upload: int

    def of(self, kind: BodyKind) -> int:
        return int(getattr(self, kind.value))


class InputRefused(StarletteHTTPException):
    """A request refused while its body is read. An ``HTTPException`` so that FastAPI's
    own body reading lets it through unchanged (it turns other errors into a 400)."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(status_code=status, detail=detail)
        self.slug = slug
        self.title = title
        self.errors = errors
        self.extensions = extensions

    def response(self, request: Request) -> Any:
        return problem_response(
            request,
            self.status_code,
            self.slug,
            self.title,
            str(self.detail),
            self.errors,
            extensions=self.extensions,
        )


def too_large(limit: int) -> InputRefused:
    return InputRefused(
        413,
        "content-too-large",
        "Content Too Large",
        f"the request body is larger than this route's limit of {limit} bytes",
        extensions={"limit_bytes": limit},
    )


def invalid(errors: list[dict[str, Any]]) -> InputRefused:
    return InputRefused(
        422, "validation-error", "Request validation failed", errors_detail(errors), errors=errors
    )


def too_deep(max_depth: int = MAX_JSON_DEPTH) -> InputRefused:
    return invalid([{"loc": ["body"], "msg": f"JSON nested deeper than {max_depth} levels"}])


# A JSON string, unrolled (no backtracking per character), to blank out before counting.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
# A \u escape that may decode to unstorable text (not preceded by an escaping backslash).
_SUSPECT_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u(?:0000|[dD][89abcdefABCDEF][0-9a-fA-F]{2})")


def json_depth_exceeds(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body``, read as JSON, nests arrays and objects deeper than ``max_depth``
    (brackets inside strings do not count). Linear, in C but for one pass over the
    brackets, and only when there are more openers than ``max_depth``."""
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False
    skeleton = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, skeleton)), default=0) > max_depth


def loads_bounded(body: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` after the depth check (422 :class:`InputRefused` beyond it)."""
    raw = body.encode() if isinstance(body, str) else body
    if json_depth_exceeds(raw, max_depth):
        raise too_deep(max_depth)
    return json.loads(body)


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _route_kind(scope: Scope) -> BodyKind:
    extra = getattr(scope.get("route"), "openapi_extra", None) or {}
    try:
        return BodyKind(extra.get(BODY_LIMIT_KEY, BodyKind.RESOURCE))
    except ValueError:
        return BodyKind.RESOURCE


def _address_problems(scope: Scope) -> list[dict[str, Any]]:
    """Unstorable text in the path or the query string (``%00``)."""
    errors: list[dict[str, Any]] = []
    if not is_storable(scope.get("path", "")):
        errors.append({"loc": ["path"], "msg": UNSTORABLE_MSG})
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if not (is_storable(name) and is_storable(value)):
                errors.append(
                    {"loc": ["query", name.replace("\x00", "\\u0000")], "msg": UNSTORABLE_MSG}
                )
    return errors


class _GuardedBody:
    """The app's ``receive``: counts the body against the route's limit; a JSON body is
    read whole (within the limit) and checked before the app sees any of it."""

    def __init__(self, scope: Scope, receive: Receive, limits: BodyLimits, max_depth: int) -> None:
        self.scope = scope
        self.receive = receive
        self.limits = limits
        self.max_depth = max_depth
        self.limit: int | None = None
        self.seen = 0

    async def __call__(self) -> Message:
        if self.limit is None:
            # The first read happens after routing: the route is known by now.
            kind = _route_kind(self.scope)
            self.limit = self.limits.of(kind)
            length = _content_length(self.scope)
            if length is not None and length > self.limit:
                raise too_large(self.limit)
            if _is_json(self.scope):
                return await self._whole_json(kind)
        return self._count(await self.receive())

    def _count(self, message: Message) -> Message:
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            assert self.limit is not None
            if self.seen > self.limit:
                raise too_large(self.limit)
        return message

    async def _whole_json(self, kind: BodyKind) -> Message:
        chunks = []
        while True:
            message = self._count(await self.receive())
            if message["type"] != "http.request":
                return message  # the client went away: the app hears it
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if json_depth_exceeds(body, self.max_depth):
            raise too_deep(self.max_depth)
        if kind is not BodyKind.BATCH and _SUSPECT_ESCAPE.search(body):
            try:
                document = json.loads(body)
            except (ValueError, RecursionError):
                document = None  # malformed: the app's own parsing says where
            if errors := unstorable_text(document, ["body"]):
                raise invalid(errors)
        return {"type": "http.request", "body": body, "more_body": False}


class InputLimitsMiddleware:
    def __init__(self, app: ASGIApp, limits: BodyLimits, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.limits = limits
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if errors := _address_problems(scope):
            await invalid(errors).response(Request(scope))(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        guarded = _GuardedBody(scope, receive, self.limits, self.max_depth)
        try:
            await self.app(scope, guarded, watched_send)
        except InputRefused as refused:
            # Raised where no exception handler answered it (a streaming response).
            if started:
                raise
            await refused.response(Request(scope))(scope, receive, send)
