from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from synergia_shared.settings import ProjectionSettings


class FundingSettings(ProjectionSettings):
    model_config = SettingsConfigDict(env_prefix="FUNDING_", extra="ignore")
    service_name: ClassVar[str] = "funding"
    port: int = 8003

    # A parked item waits for its prerequisite this long, then is refused: a reference
    # with a typo, or one naming another sender's item, would otherwise wait forever.
    parked_expiry_days: int = Field(
        default=30,
        ge=1,
        description="A parked authority item whose prerequisite has not arrived within "
        "this many days is rejected (announced as authority-item.rejected).",
    )
    parked_expiry_enabled: bool = Field(
        default=True,
        description="Run the sweep that rejects expired parked items in this process "
        "(safe on every replica: each claims its rows with SKIP LOCKED).",
    )
    parked_expiry_interval_seconds: float = Field(
        default=300.0, gt=0, description="How often the sweep looks for expired items."
    )
    parked_expiry_batch_size: int = Field(
        default=100,
        ge=1,
        description="Expired items rejected per transaction (short transactions, short "
        "row locks against the writers releasing parked items).",
    )
    totals_compaction_interval_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How often the rows the ledger's writers append to the region "
        "report's totals are folded into one per group (safe on every replica: they take "
        "turns).",
    )
