"""CloudEvents 1.0 envelope in structured JSON mode."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CONTENT_TYPE = "application/cloudevents+json"


class CloudEvent(BaseModel):
    """One event as it travels on the bus (CloudEvents 1.0, structured mode).

    ``subject`` is the aggregate id and also the Kafka key, so one aggregate's events
    stay in one partition and in order. ``sequence`` is the aggregate's version.
    ``traceparent`` and ``tracestate`` are the CloudEvents distributed-tracing extension:
    the W3C trace context the event was created in (docs/operations.md, "Tracing").
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: str = "1.0"
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    source: str
    type: str
    subject: str
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    data: dict[str, Any]
    correlationid: str | None = None
    causationid: str | None = None
    sequence: int | None = None
    traceparent: str | None = None
    tracestate: str | None = None

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> CloudEvent:
        return cls.model_validate_json(raw)
