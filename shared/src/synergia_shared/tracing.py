"""OpenTelemetry tracing: one trace per business action, across HTTP, the database, the
outbox, the relay's publish, the Kafka record and the consumer's transaction.

Off unless configured. The standard ``OTEL_*`` variables configure it; a service sets up
an SDK tracer provider and its OTLP (http/protobuf) exporter only when
``OTEL_TRACES_EXPORTER`` names an exporter or an ``OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT``
is set, and ``OTEL_SDK_DISABLED`` is not ``true``. Otherwise nothing is instrumented and
every span is the API's no-op one (the OTel default exporter is ``otlp``; a service that
exported to ``localhost:4318`` because nobody said otherwise would only log errors).

Each service gets a provider of its own rather than the process-wide global one: the
tests run several services in one process, each must report its own ``service.name``.

The trace context travels with an event twice, as the messaging conventions and the
CloudEvents distributed-tracing extension describe:

- the CloudEvent's ``traceparent``/``tracestate`` attributes hold the context the event
  was *created* in (the request's span, or the consumer span of the event that caused
  it), written with the outbox row and never changed afterwards;
- the Kafka record's ``traceparent``/``tracestate`` headers hold the relay's producer
  span, a child of the creation context. The consumer's span continues from the header
  (from the CloudEvent's attribute when a record has no header).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from synergia_shared.context import trace_id_var, traceparent_var

logger = logging.getLogger(__name__)

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
# Health probes and scrapes are not business actions: they would be most of the spans.
DEFAULT_EXCLUDED_URLS = "healthz,readyz,metrics"
SUPPORTED_EXPORTERS = ("otlp", "console")
# The HTTP conventions' known methods; any other is reported as ``_OTHER``.
_HTTP_METHODS = frozenset(
    ("CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE")
)

_PROPAGATOR = TraceContextTextMapPropagator()
_NOOP_TRACER: Tracer = trace.NoOpTracer()
_TRACEPARENT_SHAPE = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_ZERO_TRACE_ID, _ZERO_SPAN_ID = "0" * 32, "0" * 16
# The envelope's own attributes come after its data in both ways an outbox payload is
# written (CloudEvent.to_bytes, OutboxRecords), so the last match is the envelope's even
# if the data has a member of that name.
_PAYLOAD_TRACEPARENT = re.compile(rb'"traceparent":"(00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2})"')
_PAYLOAD_TRACESTATE = re.compile(rb'"tracestate":"([^"\\]{1,512})"')


class TracingConfigurationError(ValueError):
    """The ``OTEL_*`` variables ask for something this build does not do."""


@dataclass(frozen=True)
class Tracing:
    """A service's tracer, and its provider when tracing is on (``None`` when off)."""

    tracer: Tracer
    provider: Any = None  # opentelemetry.sdk.trace.TracerProvider when on

    @property
    def enabled(self) -> bool:
        return self.provider is not None

    def flush(self, timeout_millis: int = 5_000) -> None:
        """Export the spans still buffered (the service is stopping)."""
        if self.provider is not None:
            self.provider.force_flush(timeout_millis)


TRACING_OFF = Tracing(tracer=_NOOP_TRACER)


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() == "true"


def tracing_requested(environ: Mapping[str, str]) -> bool:
    """Whether the ``OTEL_*`` variables ask for traces (see the module's docstring)."""
    if _flag(environ, "OTEL_SDK_DISABLED"):
        return False
    exporters = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters:
        return exporters != "none"
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
        or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    )


def configure_tracing(service_name: str, environ: Mapping[str, str] | None = None) -> Tracing:
    """The service's tracing as the ``OTEL_*`` variables configure it.

    The SDK reads the rest of them itself: the sampler (``OTEL_TRACES_SAMPLER``,
    ``OTEL_TRACES_SAMPLER_ARG``; ``parentbased_always_on`` by default), the exporter's
    endpoint, headers, timeout and compression, the batch processor's queue and delay
    (``OTEL_BSP_*``), ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES``.
    """
    env = os.environ if environ is None else environ
    if not tracing_requested(env):
        return TRACING_OFF
    # Imported only when on: a service without tracing does not load the SDK.
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

    protocol = env.get(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", env.get("OTEL_EXPORTER_OTLP_PROTOCOL", "")
    ).strip()
    if protocol and protocol != "http/protobuf":
        raise TracingConfigurationError(
            f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol} is not supported: the services export "
            "traces with OTLP over http/protobuf (port 4318 on a collector)"
        )
    names = [n.strip() for n in (env.get("OTEL_TRACES_EXPORTER") or "otlp").lower().split(",")]
    unknown = [n for n in names if n and n not in (*SUPPORTED_EXPORTERS, "none")]
    if unknown:
        raise TracingConfigurationError(
            f"OTEL_TRACES_EXPORTER={','.join(unknown)} is not supported: "
            f"one of {', '.join(SUPPORTED_EXPORTERS)} or none"
        )
    exporters: list[SpanExporter] = []
    if "otlp" in names:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporters.append(OTLPSpanExporter())
    if "console" in names:
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        exporters.append(ConsoleSpanExporter())
    # OTEL_SERVICE_NAME, when set, takes precedence over the service's own name.
    from synergia_shared.server_spans import HandedTraceIds

    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: service_name}),
        # A request's span is decided before the SDK builds it (server_spans.ServerSpans).
        id_generator=HandedTraceIds(),
    )
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    logger.info("tracing on: exporting spans with %s", ", ".join(names))
    return Tracing(tracer=provider.get_tracer("synergia"), provider=provider)


def untraced_paths(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Path prefixes that get no server span (``OTEL_PYTHON_FASTAPI_EXCLUDED_URLS``, else
    ``OTEL_PYTHON_EXCLUDED_URLS``; the health probes and the metrics scrape by default)."""
    env = os.environ if environ is None else environ
    return tuple(
        f"/{path.strip().strip('/')}"
        for path in (
            env.get("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS")
            or env.get("OTEL_PYTHON_EXCLUDED_URLS", DEFAULT_EXCLUDED_URLS)
        ).split(",")
        if path.strip()
    )


def start_server_span(
    tracer: Tracer,
    scope: Mapping[str, Any],
    traceparent: str | None,
    tracestate: str | None,
    *,
    sampled: bool = False,
) -> Span:
    """The request's SERVER span, started (the caller ends it with
    :func:`end_server_span`): a child of the caller's ``traceparent``, if valid.

    Chosen over FastAPI's own instrumentation (``FastAPI(telemetry=...)``) and
    opentelemetry-instrumentation-fastapi because most requests are not sampled: those
    build every attribute, parse the ``Host`` header, run the global propagators and
    walk the middleware stack before the sampler says no (``make bench`` measured
    FastAPI's at about 0.1 ms of a 0.55 ms registry GET at 10 % sampling). The sampler
    is asked with the attributes the HTTP conventions give it; the others are added
    only to a recording span. Given ``sampled`` (the sampler's answer is known:
    synergia_shared.server_spans), all of them at the start, validated by the SDK in
    one pass rather than again by ``set_attributes``.
    """
    attributes = _sampler_attributes(scope)
    if sampled:
        attributes.update(_request_attributes(scope))
    method = scope["method"]
    span = tracer.start_span(
        method if method in _HTTP_METHODS else "HTTP",
        context=(context_from(traceparent, tracestate) if traceparent else None) or Context(),
        kind=SpanKind.SERVER,
        attributes=attributes,
    )
    if not sampled and span.is_recording():
        span.set_attributes(_request_attributes(scope))
    return span


def _sampler_attributes(scope: Mapping[str, Any]) -> dict[str, Any]:
    """What a sampler may decide on, as the HTTP conventions list for span creation."""
    method = scope["method"]
    return {
        "http.request.method": method if method in _HTTP_METHODS else "_OTHER",
        "url.path": scope["path"],
        "url.scheme": scope.get("scheme", "http"),
    }


def _request_attributes(scope: Mapping[str, Any]) -> dict[str, Any]:
    """The rest of the request's attributes (a recording span's only)."""
    attributes: dict[str, Any] = {}
    if scope["method"] not in _HTTP_METHODS:
        attributes["http.request.method_original"] = scope["method"]
    if scope.get("query_string"):
        attributes["url.query"] = scope["query_string"].decode("latin-1")
    if scope.get("http_version"):
        attributes["network.protocol.version"] = scope["http_version"]
    attributes.update(_server_attributes(scope))
    return attributes


def _server_attributes(scope: Mapping[str, Any]) -> dict[str, Any]:
    """``server.address`` and ``server.port`` as the client named them (``Host``), else
    the socket the request came in on."""
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    if host is not None:
        try:
            url = urlsplit("//" + host.decode("latin-1"))
            address, port = url.hostname, url.port
        except ValueError:  # a malformed Host is the client's problem, not the span's
            return {}
        if port is None:
            port = 443 if scope.get("scheme") == "https" else 80
    else:
        address, port = scope.get("server") or (None, None)
    return {"server.address": address, "server.port": port} if address else {}


def end_server_span(
    span: Span, scope: Mapping[str, Any], status: int, error: BaseException | None = None
) -> None:
    """Ends the request's span with its route template and outcome (nothing to do for
    a request that was not sampled)."""
    if not span.is_recording():
        return
    method = scope["method"]
    attributes: dict[str, Any] = {"http.response.status_code": status}
    route = getattr(scope.get("route"), "path", None)
    if route:
        attributes["http.route"] = route
        span.update_name(f"{method if method in _HTTP_METHODS else 'HTTP'} {route}")
    if error is not None or status >= 500:
        attributes["error.type"] = _error_type(error) if error is not None else str(status)
        span.set_status(StatusCode.ERROR)
    span.set_attributes(attributes)
    span.end()


def _error_type(error: BaseException) -> str:
    kind = type(error)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def instrument(engine: Any, tracing: Tracing) -> None:
    """The SQLAlchemy instrumentation's spans (one per statement) on this service's
    engine only."""
    if not tracing.enabled:
        return
    import sqlalchemy.event
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.instrumentation.sqlalchemy.version import (
        __version__ as sqlalchemy_version,
    )
    from opentelemetry.metrics import NoOpMeter

    # What SQLAlchemyInstrumentor().instrument(engine=...) attaches, attached directly:
    # the instrumentor is a process-wide singleton (a second service in the process
    # is refused) that also wraps create_engine and Engine.connect for every engine
    # with the first provider, and its declared range stops below SQLAlchemy 2.1
    # although the engine events it listens to are unchanged (tests/integration/
    # test_tracing.py checks the spans).
    sync_engine = engine.sync_engine
    engine_tracer = EngineTracer(  # type: ignore[no-untyped-call]
        tracing.provider.get_tracer("opentelemetry.instrumentation.sqlalchemy", sqlalchemy_version),
        sync_engine,
        NoOpMeter("synergia").create_up_down_counter("db.client.connections.usage"),
    )
    # Its pool listeners only count connections in use, for a metric nobody reads here
    # (the meter is a no-op): each checkout and checkin would still pay for them.
    for identifier, listener in (
        ("connect", engine_tracer._pool_connect),
        ("close", engine_tracer._pool_close),
        ("checkin", engine_tracer._pool_checkin),
        ("checkout", engine_tracer._pool_checkout),
    ):
        sqlalchemy.event.remove(sync_engine, identifier, listener)
    # Its statement listener reads the URL's attributes, parses the statement for the
    # span's name and calls the sampler before it knows whether anyone records: a
    # statement gets a span only within a recording one. One outside any (the relay's
    # polling, a sweep) is no business action's; one in a request that was not sampled
    # costs this check, nothing more. (The names it is reached by are private: startup
    # fails, and tests/integration/test_tracing.py with it, if an upgrade renames them.)
    statement_span: Callable[..., tuple[str, Any]] = engine_tracer._before_cur_exec
    sqlalchemy.event.remove(sync_engine, "before_cursor_execute", statement_span)

    def before_cursor_execute(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool
    ) -> tuple[str, Any]:
        if not trace.get_current_span().is_recording():
            return statement, params
        return statement_span(conn, cursor, statement, params, context, executemany)

    sqlalchemy.event.listen(
        sync_engine, "before_cursor_execute", before_cursor_execute, retval=True
    )


def traceparent_parts(value: str | None) -> tuple[str, int] | None:
    """The trace id (32 hex digits) and flags of a valid W3C ``traceparent``; ``None``
    if it is absent or malformed, an all-zero trace or parent id included."""
    if not value:
        return None
    match = _TRACEPARENT_SHAPE.fullmatch(value)
    if match is None or match[1] == _ZERO_TRACE_ID or match[2] == _ZERO_SPAN_ID:
        return None
    return match[1], int(match[3], 16)


def _valid_traceparent(value: str | None) -> str | None:
    return value if traceparent_parts(value) is not None else None


def current_trace_context() -> tuple[str, str | None]:
    """``(traceparent, tracestate)`` for an event created now.

    With tracing on, the active span's context. Otherwise the context the work came in
    with, unchanged (a request's ``traceparent`` header, the event a consumer applies):
    a service that does not trace passes it on as W3C trace context asks of a
    non-participating hop, and the logs of every service keep one trace id. Without
    one, a fresh context marked not sampled (nothing recorded a span of it).
    """
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        carrier: dict[str, str] = {}
        _PROPAGATOR.inject(carrier, context=trace.set_span_in_context(trace.get_current_span()))
        return carrier[TRACEPARENT], carrier.get(TRACESTATE) or None
    passed_on = _valid_traceparent(traceparent_var.get())
    if passed_on is not None:
        return passed_on, None
    trace_id = trace_id_var.get() or secrets.token_hex(16)
    return f"00-{trace_id}-{secrets.token_hex(8)}-00", None


def context_from(traceparent: str | None, tracestate: str | None = None) -> Context | None:
    """The remote context ``traceparent`` names; ``None`` if it is absent or malformed."""
    if _valid_traceparent(traceparent) is None:
        return None
    carrier = {TRACEPARENT: traceparent or ""}
    if tracestate:
        carrier[TRACESTATE] = tracestate
    context = _PROPAGATOR.extract(carrier)
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def _last_member(payload: bytes, prefix: bytes, pattern: re.Pattern[bytes]) -> str | None:
    """The value of the last match of ``pattern`` (a JSON member, its name ``prefix``)
    in ``payload``, looked for from the end: the envelope's members are at the end, after
    its data, so this reads a few dozen bytes where a search from the start reads all."""
    end = len(payload)
    while (start := payload.rfind(prefix, 0, end)) >= 0:
        if match := pattern.match(payload, start):
            return match.group(1).decode()
        end = start + len(prefix) - 1
    return None


def payload_traceparent(payload: bytes) -> str | None:
    """The ``traceparent`` an outbox payload (a CloudEvent's JSON) carries, read without
    parsing the JSON: the relay handles thousands of these a second."""
    return _last_member(payload, b'"traceparent":"', _PAYLOAD_TRACEPARENT)


def payload_trace_context(payload: bytes) -> tuple[str | None, str | None]:
    """The creation context an outbox payload carries (``payload_traceparent``)."""
    traceparent = payload_traceparent(payload)
    if traceparent is None:
        return None, None
    return traceparent, _last_member(payload, b'"tracestate":"', _PAYLOAD_TRACESTATE)


def headers_trace_context(
    headers: Iterable[tuple[str, bytes]] | None,
) -> tuple[str | None, str | None]:
    traceparent = tracestate = None
    for name, value in headers or ():
        if name == TRACEPARENT:
            traceparent = value.decode("latin-1")
        elif name == TRACESTATE:
            tracestate = value.decode("latin-1")
    return traceparent, tracestate


def trace_headers(span: Span) -> list[tuple[str, bytes]]:
    """Kafka record headers for the context of ``span``."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
    return [(name, value.encode("latin-1")) for name, value in carrier.items()]


def start_producer_span(tracer: Tracer, topic: str, payload: bytes, key: str) -> Span:
    """The relay's ``send`` span for one record, started (the caller ends it once the
    broker answered): a PRODUCER span, child of the context the event was created in, so
    the request, its database work, the publish and the consumer's work are one trace.
    The messaging conventions also allow a link instead; a child keeps the whole action
    one tree in a trace viewer, and the relay's batching is not something a user acts on."""
    traceparent, tracestate = payload_trace_context(payload)
    return tracer.start_span(
        f"send {topic}",
        context=context_from(traceparent, tracestate) or Context(),
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.operation.name": "send",
            "messaging.destination.name": topic,
            "messaging.kafka.message.key": key,
        },
    )


def record_context(
    headers: Iterable[tuple[str, bytes]] | None, event_traceparent: str | None
) -> Context | None:
    """The context a consumer continues for one record: its producer span (the Kafka
    header), else the event's creation context (a record published without one)."""
    return context_from(*headers_trace_context(headers)) or context_from(event_traceparent)


def consumer_span(
    tracer: Tracer,
    name: str,
    *,
    consumer: str,
    topic: str,
    parent: Context | None = None,
    links: Sequence[Context] = (),
    count: int | None = None,
) -> Any:
    """A CONSUMER ``process`` span: for one record a child of its producer context; for a
    batch applied in one transaction, linked to each record's (one span cannot have
    several parents; the messaging conventions' batch receive)."""
    attributes: dict[str, Any] = {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": topic,
        "messaging.consumer.group.name": consumer,
    }
    if count is not None:
        attributes["messaging.batch.message_count"] = count
    return tracer.start_as_current_span(
        name,
        context=parent or Context(),
        kind=SpanKind.CONSUMER,
        attributes=attributes,
        links=[Link(trace.get_current_span(c).get_span_context()) for c in links],
    )
