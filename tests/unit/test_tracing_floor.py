"""The tracing bench's floor measures the traced request path, not an untraced one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from synergia_devstack.otlp_sink import OtlpSink

from bench.tracing_floor import cpu_per_request

REQUESTS = 40
WARM_UP = 1_000  # the requests bench.tracing_floor sends before it measures


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpSink]:
    received = OtlpSink().start()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", received.endpoint)
    # set here so that what bench.tracing_floor sets is undone after the test
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "")
    yield received
    received.stop()


async def test_on_every_request_of_the_measure_is_a_server_span_exported(sink: OtlpSink) -> None:
    seconds = await cpu_per_request("1", REQUESTS)

    spans = sink.received()
    assert len(spans) == WARM_UP + REQUESTS
    assert {(s.name, s.kind, s.service) for s in spans} == {
        ("GET /v1/actors/{actor_id}", "SERVER", "registry")
    }
    assert spans[-1].attributes["http.route"] == "/v1/actors/{actor_id}"
    assert 0 < seconds < 0.1


async def test_off_exports_nothing_whatever_the_environment_says(sink: OtlpSink) -> None:
    assert await cpu_per_request("off", REQUESTS) > 0
    assert sink.received() == []
