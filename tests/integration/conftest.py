from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from synergia_funding.app import create_app as create_funding
from synergia_funding.settings import FundingSettings
from synergia_matching.app import create_app as create_matching
from synergia_matching.settings import MatchingSettings
from synergia_registry.app import create_app as create_registry
from synergia_registry.settings import RegistrySettings

from tests.support.stack import TestStack, running_app, serving


@pytest.fixture
async def registry(stack: TestStack) -> AsyncIterator[httpx.AsyncClient]:
    """The registry in the test process, also listening on ``stack.registry_port``, where
    matching and funding fetch actors' shared contacts."""
    app = create_registry(RegistrySettings(**stack.settings_kwargs("registry")))  # type: ignore[arg-type]
    async with running_app(app, "http://registry") as client, serving(app, stack.registry_port):
        yield client


@pytest.fixture
async def matching(stack: TestStack) -> AsyncIterator[httpx.AsyncClient]:
    app = create_matching(MatchingSettings(**stack.settings_kwargs("matching")))  # type: ignore[arg-type]
    async with running_app(app, "http://matching") as client:
        yield client


@pytest.fixture
async def funding(stack: TestStack) -> AsyncIterator[httpx.AsyncClient]:
    app = create_funding(FundingSettings(**stack.settings_kwargs("funding")))  # type: ignore[arg-type]
    async with running_app(app, "http://funding") as client:
        yield client
