"""One trace per business action, across the bus: registry and matching in the test
process, configured by the standard OTEL_* variables, exporting over OTLP/HTTP to a
receiver the test runs (synergia_devstack.otlp_sink)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from synergia_devstack.otlp_sink import OtlpSink, ReceivedSpan
from synergia_matching.app import create_app as create_matching
from synergia_matching.settings import MatchingSettings
from synergia_registry.app import create_app as create_registry
from synergia_registry.settings import RegistrySettings
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.topics import REGISTRY_ACTOR

from tests.integration.test_propagation import wait_for_200
from tests.support.stack import TestStack, auth, running_app

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
OTEL_VARIABLES = (
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_SERVICE_NAME",
    "OTEL_TRACES_SAMPLER",
    "OTEL_TRACES_SAMPLER_ARG",
)


@pytest.fixture
def sink() -> Iterator[OtlpSink]:
    with OtlpSink() as sink:
        yield sink


@pytest.fixture
def otel_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


async def published(stack: TestStack, actor_id: str) -> tuple[CloudEvent, dict[str, bytes]]:
    """The actor's first event as it is on the topic, and its record's headers."""
    kafka = AIOKafkaConsumer(
        f"{stack.topic_prefix}{REGISTRY_ACTOR}",
        bootstrap_servers=stack.kafka,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await kafka.start()
    try:
        async with asyncio.timeout(30):
            while True:
                for records in (await kafka.getmany(timeout_ms=500)).values():
                    for record in records:
                        event = CloudEvent.from_bytes(record.value)
                        if event.subject == actor_id:
                            return event, dict(record.headers)
    finally:
        await kafka.stop()


@asynccontextmanager
async def create_services(
    stack: TestStack,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Registry and matching, created after the test set its OTEL_* variables: a
    service reads them once, when its app is made. Leaving the block stops them, which
    flushes the spans they still hold."""
    registry = create_registry(RegistrySettings(**stack.settings_kwargs("registry")))  # type: ignore[arg-type]
    matching = create_matching(MatchingSettings(**stack.settings_kwargs("matching")))  # type: ignore[arg-type]
    async with (
        running_app(registry, "http://registry") as registry_client,
        running_app(matching, "http://matching") as matching_client,
    ):
        yield registry_client, matching_client


async def create_actor(
    registry: httpx.AsyncClient, matching: httpx.AsyncClient, headers: dict[str, str] | None = None
) -> str:
    created = await registry.post(
        "/v1/actors",
        json={"legal_name": "Adriatic Sensors d.o.o.", "kind": "sme", "country": "HR"},
        headers={**auth("sme"), **(headers or {})},
    )
    assert created.status_code == 201, created.text
    actor_id: str = created.json()["id"]
    assert (await wait_for_200(matching, f"/v1/profiles/{actor_id}")).status_code == 200
    return actor_id


async def spans_of_trace(
    sink: OtlpSink, trace_id: str, wanted: set[tuple[str, str]]
) -> list[ReceivedSpan]:
    """The trace's spans once every ``(service, kind)`` in ``wanted`` has arrived."""
    async with asyncio.timeout(20):
        while True:
            spans = [s for s in sink.received() if s.trace_id == trace_id]
            if wanted <= {(s.service, s.kind) for s in spans}:
                return spans
            await asyncio.sleep(0.1)


async def test_one_create_is_one_trace_across_registry_and_matching(
    stack: TestStack, sink: OtlpSink, otel_env: pytest.MonkeyPatch
) -> None:
    otel_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", sink.endpoint)
    otel_env.setenv("OTEL_TRACES_SAMPLER", "always_on")
    otel_env.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
    async with create_services(stack) as (registry, matching):
        actor_id = await create_actor(registry, matching)
        event, headers = await published(stack, actor_id)

    # The event carries the context it was created in: the registry's request.
    creation = TRACEPARENT.match(event.traceparent or "")
    assert creation is not None, event.traceparent
    trace_id, request_span_id, flags = creation.groups()
    assert int(flags, 16) & 1, "sampled"
    spans = await spans_of_trace(
        sink,
        trace_id,
        {
            ("registry", "SERVER"),
            ("registry", "CLIENT"),  # the database
            ("registry", "PRODUCER"),
            ("matching", "CONSUMER"),
        },
    )
    by_id = {s.span_id: s for s in spans}

    server = by_id[request_span_id]
    assert (server.service, server.kind) == ("registry", "SERVER")
    assert server.attributes.get("http.route") == "/v1/actors"
    statements = [
        s.name.upper()
        for s in spans
        if s.service == "registry" and s.kind == "CLIENT" and s.parent_span_id == server.span_id
    ]
    assert any(name.startswith("INSERT") for name in statements), statements
    # Statements outside any action (the relay's polling, matching's sweeps) make no
    # traces of their own.
    assert not [s.name for s in sink.received() if s.kind == "CLIENT" and not s.parent_span_id]

    # The relay's publish is a child of the request; the record's header carries it.
    publish = next(s for s in spans if s.kind == "PRODUCER")
    assert publish.parent_span_id == server.span_id
    assert publish.attributes["messaging.destination.name"].endswith(REGISTRY_ACTOR)
    header = TRACEPARENT.match(headers["traceparent"].decode())
    assert header is not None
    assert header.groups()[:2] == (trace_id, publish.span_id)

    # Matching's processing of the record continues the trace from the producer, through
    # its own database work.
    processing = [s for s in spans if s.service == "matching" and s.kind == "CONSUMER"]
    assert processing
    assert any(s.parent_span_id == publish.span_id for s in processing)
    consumer_ids = {s.span_id for s in spans if s.service == "matching"}
    assert any(
        s.service == "matching" and s.kind == "CLIENT" and s.parent_span_id in consumer_ids
        for s in spans
    ), "matching's transaction is in the trace"


async def test_a_batch_links_its_records_and_each_event_stays_in_its_own_trace(
    stack: TestStack, sink: OtlpSink, otel_env: pytest.MonkeyPatch
) -> None:
    """Several creates reach matching together: its batch span links every record's
    context, and each event's handler span is in that event's trace."""
    otel_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", sink.endpoint)
    otel_env.setenv("OTEL_TRACES_SAMPLER", "always_on")
    otel_env.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
    registry_app = create_registry(RegistrySettings(**stack.settings_kwargs("registry")))  # type: ignore[arg-type]
    async with running_app(registry_app, "http://registry") as registry:
        ids = []
        for n in range(6):
            created = await registry.post(
                "/v1/actors",
                json={"legal_name": f"Batch Actor {n} Oy", "kind": "sme", "country": "FI"},
                headers=auth("sme"),
            )
            assert created.status_code == 201
            ids.append(created.json()["id"])
        events = [(await published(stack, actor_id))[0] for actor_id in ids]
    # Matching starts with all six on the topic: it fetches them together.
    matching_app = create_matching(MatchingSettings(**stack.settings_kwargs("matching")))  # type: ignore[arg-type]
    async with running_app(matching_app, "http://matching") as matching:
        for actor_id in ids:
            assert (await wait_for_200(matching, f"/v1/profiles/{actor_id}")).status_code == 200

    trace_ids = set()
    for event in events:
        match = TRACEPARENT.match(event.traceparent or "")
        assert match is not None
        trace_ids.add(match[1])
    batches = [
        s
        for s in sink.received()
        if s.service == "matching" and s.kind == "CONSUMER" and len(s.links) > 1
    ]
    # Six records on three partitions: at least one partition's records come together.
    assert batches, "some records were applied as a batch"
    for batch in batches:
        linked = {trace_id for trace_id, _ in batch.links}
        assert linked <= trace_ids
        for trace_id in linked:
            spans = await spans_of_trace(sink, trace_id, {("matching", "INTERNAL")})
            applying = [s for s in spans if s.service == "matching" and s.kind == "INTERNAL"]
            assert any(
                s.name.startswith("apply ") and (batch.trace_id, batch.span_id) in s.links
                for s in applying
            ), applying


async def test_without_configuration_nothing_is_exported_and_events_pass_the_context_on(
    stack: TestStack, sink: OtlpSink, otel_env: pytest.MonkeyPatch
) -> None:
    # Configured, but the SDK disabled: as off as not configured at all.
    otel_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", sink.endpoint)
    otel_env.setenv("OTEL_SDK_DISABLED", "true")
    incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    async with create_services(stack) as (registry, matching):
        passed_on = await create_actor(registry, matching, {"traceparent": incoming})
        fresh = await create_actor(registry, matching)
        passed_on_event, passed_on_headers = await published(stack, passed_on)
        fresh_event, fresh_headers = await published(stack, fresh)
    await asyncio.sleep(0.5)
    assert sink.exports == 0
    assert sink.received() == []

    # A service that does not trace passes the caller's context on unchanged...
    assert passed_on_event.traceparent == incoming
    assert passed_on_headers["traceparent"].decode() == incoming
    # ...and without one, the event still has a valid context (its trace id is the one
    # the logs carry), marked not sampled: no span of it was recorded.
    match = TRACEPARENT.match(fresh_event.traceparent or "")
    assert match is not None
    assert match[3] == "00"
    assert set(match[1]) != {"0"}
    assert set(match[2]) != {"0"}
    assert fresh_headers["traceparent"].decode() == fresh_event.traceparent
