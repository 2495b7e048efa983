"""The three services' apps, built without a database, for their OpenAPI documents."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI

from synergia_shared.messaging.inbox import InboxConsumer

SERVICES = ("registry", "matching", "funding")

# Settings insist on a database URL; building the app and its OpenAPI never connects.
_PLACEHOLDER_DATABASE_URL = "postgresql://contracts@localhost/contracts"


def create_app(service: str) -> FastAPI:
    """``synergia_<service>.app:create_app()``, imported here so shared does not depend on it."""
    factory: Callable[[], FastAPI] = importlib.import_module(f"synergia_{service}.app").create_app
    with _placeholder_database_url():
        return factory()


def openapi_document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def consumers_of(app: FastAPI) -> Sequence[InboxConsumer]:
    consumers: dict[str, InboxConsumer] = app.state.consumers
    return list(consumers.values())


@contextmanager
def _placeholder_database_url() -> Iterator[None]:
    if os.environ.get("DATABASE_URL"):
        yield
        return
    os.environ["DATABASE_URL"] = _PLACEHOLDER_DATABASE_URL
    try:
        yield
    finally:
        del os.environ["DATABASE_URL"]
