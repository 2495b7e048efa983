from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from synergia_devstack.broker import EmbeddedBroker
from synergia_devstack.ports import free_port
from synergia_funding.app import create_app as create_funding
from synergia_funding.settings import FundingSettings
from synergia_matching.app import create_app as create_matching
from synergia_matching.settings import MatchingSettings
from synergia_registry.app import create_app as create_registry
from synergia_registry.settings import RegistrySettings
from synergia_shared.bus import Bus, ensure_topics

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


@pytest.fixture
async def own_broker(stack: TestStack, tmp_path: Path) -> AsyncIterator[tuple[EmbeddedBroker, Bus]]:
    """An embedded broker of the test's own, to restart (it comes back without topics),
    with the topics created and a bus on it; both stopped however the test ends."""
    broker = EmbeddedBroker(port=free_port(), log_path=tmp_path / "broker.log")
    broker.start()
    bus = Bus(broker.bootstrap_servers, client_id="test")
    try:
        await ensure_topics(broker.bootstrap_servers, stack.topic_prefix, partitions=3)
        yield broker, bus
    finally:
        await bus.close()
        broker.stop()
