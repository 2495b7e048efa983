"""The request's SERVER span, with the sampling decision taken before the span is built.

At 10 % sampling nine requests in ten are not recorded, so what an unsampled request
costs is most of what tracing costs. The SDK's ``Tracer.start_span`` builds the parent
context (the propagator's parse, a ``TraceState``, a span, a ``Context``), asks the
sampler through ``ParentBased`` and builds a ``SamplingResult`` before it returns a
non-recording span. For the samplers the ``OTEL_TRACES_SAMPLER`` variable names, the
decision depends on two things only: the caller's sampled flag (parent-based samplers
continue a sampled remote parent and never an unsampled one) and, for a trace that
starts here, the trace id's low 64 bits against the ratio's bound. :class:`ServerSpans`
reads both from the ``traceparent`` header itself and, when the answer is no, builds
the non-recording span the SDK would have returned (same trace id, a new span id, the
caller's flags and ``tracestate``); when the answer is yes, the SDK builds the span, as
before, with all its attributes at once. A sampler it does not know, the SDK asks.

A trace that starts here is decided on the trace id the SDK will use:
:class:`HandedTraceIds` (the service's provider's id generator) gives ``start_span``
the id the decision was made on.

Imported only when tracing is on (it loads the SDK).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    ParentBasedTraceIdRatio,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    TraceFlags,
    Tracer,
)
from opentelemetry.trace.span import TraceState

from synergia_shared.tracing import start_server_span, traceparent_parts

# Version 00 only, as synergia_shared.tracing.context_from accepts; the all-zero ids
# are invalid (checked apart: cheaper than a longer pattern).
_SAMPLED = int(TraceFlags.SAMPLED)
_RANDOM_TRACE_ID = int(TraceFlags.RANDOM_TRACE_ID)
_TRACE_ID_LOW_BITS = TraceIdRatioBased.TRACE_ID_LIMIT


class HandedTraceIds(RandomIdGenerator):
    """The SDK's random ids, except the trace id of a span :class:`ServerSpans` has
    decided to sample as the start of a trace: ``start_span`` asks for one trace id,
    right after it is handed over, in the same thread (a thread-local, so a span
    started in another thread meanwhile gets an id of its own)."""

    def __init__(self) -> None:
        self._handed = threading.local()

    def new_trace_id(self) -> int:
        return super().generate_trace_id()

    def hand(self, trace_id: int | None) -> None:
        self._handed.trace_id = trace_id

    def generate_trace_id(self) -> int:
        trace_id: int | None = getattr(self._handed, "trace_id", None)
        if trace_id is None:
            return super().generate_trace_id()
        self._handed.trace_id = None
        return trace_id


@dataclass(frozen=True)
class SamplingRule:
    """What a sampler decides for a server span, from the trace id and the caller's
    sampled flag alone: a trace id is sampled when its low 64 bits are below ``bound``
    (as ``TraceIdRatioBased``: ``2**64`` always, ``0`` never); a parent-based sampler
    follows the caller's flag instead when there is a caller."""

    bound: int
    parent_based: bool

    @classmethod
    def of(cls, sampler: Sampler | None) -> SamplingRule | None:
        """The rule of the samplers ``OTEL_TRACES_SAMPLER`` names; ``None`` for any other
        (a subclass may decide otherwise, and a parent-based sampler with delegates of
        its own is no longer decided by the caller's flag alone)."""
        if type(sampler) in (ParentBased, ParentBasedTraceIdRatio):
            delegates = (
                getattr(sampler, "_remote_parent_sampled", None),
                getattr(sampler, "_remote_parent_not_sampled", None),
            )
            if delegates[0] is not ALWAYS_ON or delegates[1] is not ALWAYS_OFF:
                return None
            bound = _bound(getattr(sampler, "_root", None))
            return None if bound is None else cls(bound, parent_based=True)
        bound = _bound(sampler)
        return None if bound is None else cls(bound, parent_based=False)

    def sampled(self, trace_id: int, parent_flags: int | None) -> bool:
        if parent_flags is not None and self.parent_based:
            return bool(parent_flags & _SAMPLED)
        return trace_id & _TRACE_ID_LOW_BITS < self.bound


def _bound(sampler: Sampler | None) -> int | None:
    if sampler is ALWAYS_ON:
        return _TRACE_ID_LOW_BITS + 1
    if sampler is ALWAYS_OFF:
        return 0
    if type(sampler) is TraceIdRatioBased:
        return sampler.bound
    return None


class ServerSpans:
    """Starts the requests' SERVER spans for one tracer (see the module); they are ended
    by synergia_shared.tracing.end_server_span."""

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer
        ids = getattr(tracer, "id_generator", None)
        self._ids = ids if isinstance(ids, RandomIdGenerator) else None
        # A trace that starts here can be decided only on the id the SDK will use.
        self._handed = ids if isinstance(ids, HandedTraceIds) else None
        rule = SamplingRule.of(getattr(tracer, "sampler", None))
        self.rule = rule if self._ids is not None else None

    def start(
        self, scope: Mapping[str, Any], traceparent: str | None, tracestate: str | None
    ) -> tuple[Span, str]:
        """The request's span, started (synergia_shared.tracing.end_server_span ends it),
        and its trace id as the logs write it: a child of the caller's ``traceparent``, if
        valid."""
        parent = traceparent_parts(traceparent)
        if self.rule is None or self._ids is None or (parent is None and self._handed is None):
            span = start_server_span(self._tracer, scope, traceparent, tracestate)
            return span, format(span.get_span_context().trace_id, "032x")
        if parent is None:
            assert self._handed is not None
            trace_id = self._handed.new_trace_id()
            trace_hex, parent_flags, flags = format(trace_id, "032x"), None, _RANDOM_TRACE_ID
        else:
            trace_hex, parent_flags = parent
            trace_id, flags = int(trace_hex, 16), parent_flags & _RANDOM_TRACE_ID
        if self.rule.sampled(trace_id, parent_flags):
            root = trace_id if parent is None else None
            return self._recording(scope, root, traceparent, tracestate)
        span_context = SpanContext(
            trace_id,
            self._ids.generate_span_id(),
            is_remote=False,
            trace_flags=TraceFlags(flags),
            trace_state=TraceState.from_header([tracestate]) if parent and tracestate else None,
        )
        return NonRecordingSpan(span_context), trace_hex

    def _recording(
        self,
        scope: Mapping[str, Any],
        root_trace_id: int | None,
        traceparent: str | None,
        tracestate: str | None,
    ) -> tuple[Span, str]:
        """The span the SDK builds for a request decided sampled: under the caller's
        context (``traceparent``), or, given ``root_trace_id``, as the start of a trace
        with the id the decision was taken on (handed over, and taken back if the SDK
        did not ask for it, so no later span gets it)."""
        if root_trace_id is None:
            span = start_server_span(self._tracer, scope, traceparent, tracestate, sampled=True)
        else:
            assert self._handed is not None
            self._handed.hand(root_trace_id)
            try:
                span = start_server_span(self._tracer, scope, None, None, sampled=True)
            finally:
                self._handed.hand(None)
        return span, format(span.get_span_context().trace_id, "032x")
