from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict
from synergia_shared.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore")
    service_name: ClassVar[str] = "matching"
    port: int = 8002
