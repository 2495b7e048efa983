"""Request-scoped context that must follow work across HTTP, the outbox and consumers."""

from __future__ import annotations

from contextvars import ContextVar

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
trace_id_var: ContextVar[str | None] = ContextVar("trace_id", default=None)
causation_id_var: ContextVar[str | None] = ContextVar("causation_id", default=None)
# The W3C traceparent the work came in with (a request's header, the event a consumer
# applies): passed on unchanged by a service that does not trace (synergia_shared.tracing).
traceparent_var: ContextVar[str | None] = ContextVar("traceparent", default=None)


def trace_id_from_traceparent(value: str | None) -> str | None:
    if not value:
        return None
    parts = value.split("-")
    if len(parts) != 4 or len(parts[1]) != 32:
        return None
    try:
        int(parts[1], 16)
    except ValueError:
        return None
    return parts[1]
