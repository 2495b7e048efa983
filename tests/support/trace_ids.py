"""The trace ids a test sets stay in the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from synergia_shared.context import trace_id_var, traceparent_var


@pytest.fixture(autouse=True)
def own_trace_ids() -> Iterator[None]:
    """Autouse where imported: the context's trace id and traceparent, reset after."""
    tokens = trace_id_var.set(None), traceparent_var.set(None)
    yield
    trace_id_var.reset(tokens[0])
    traceparent_var.reset(tokens[1])
