"""Request-scoped context that must follow work across HTTP, the outbox and consumers."""

from __future__ import annotations

import secrets
from contextvars import ContextVar

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
trace_id_var: ContextVar[str | None] = ContextVar("trace_id", default=None)
causation_id_var: ContextVar[str | None] = ContextVar("causation_id", default=None)


def new_trace_id() -> str:
    return secrets.token_hex(16)


def traceparent_for(trace_id: str) -> str:
    """A W3C traceparent for a new span in ``trace_id``."""
    return f"00-{trace_id}-{secrets.token_hex(8)}-01"


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
