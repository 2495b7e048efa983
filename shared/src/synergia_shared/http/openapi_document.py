"""The one place a service's OpenAPI document is finished.

FastAPI renders the document from the routes; what it cannot know (problem answers are
``application/problem+json``, ``require`` accepts an API key too, schemas parsed by hand,
readable schema names...) is added by *finishers*: functions from the document to the
finished document, applied in order, once, before the document is cached and served.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI

DocumentFinisher = Callable[[dict[str, Any]], dict[str, Any]]


def finish_document(
    document: dict[str, Any], finishers: Sequence[DocumentFinisher]
) -> dict[str, Any]:
    """``document`` passed through ``finishers``, in their order."""
    for finish in finishers:
        document = finish(document)
    return document


def finish_openapi(app: FastAPI, finishers: Sequence[DocumentFinisher]) -> None:
    """Serve (and cache) ``app``'s OpenAPI document finished by ``finishers``."""
    generate = app.openapi  # FastAPI's own: renders once, caches in app.openapi_schema

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            # Not served half finished should a finisher fail: the next call starts over.
            app.openapi_schema = None
            app.openapi_schema = finish_document(document, finishers)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
