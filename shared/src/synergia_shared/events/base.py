"""The base of every event payload."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class EventData(BaseModel):
    """Base of every event payload: consumers ignore fields they do not know yet."""

    model_config = ConfigDict(extra="ignore", frozen=True)
