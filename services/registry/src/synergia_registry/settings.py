from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from synergia_shared.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")
    service_name: ClassVar[str] = "registry"
    port: int = 8001
    offer_expiry_enabled: bool = Field(
        default=True,
        description="Run the sweep that announces expired offers and needs in this process "
        "(safe on every replica: each claims its actors with SKIP LOCKED).",
    )
    offer_expiry_interval_seconds: float = Field(
        default=300.0,
        gt=0,
        description="How often the sweep looks for offers and needs expired today (UTC); "
        "once a day is done it rests until the next, so this bounds how long after midnight "
        "UTC an expired offer may still count in matching.",
    )
    offer_expiry_batch_size: int = Field(
        default=100,
        ge=1,
        description="Actors announced per transaction (short transactions, short row locks "
        "against clients' updates).",
    )
