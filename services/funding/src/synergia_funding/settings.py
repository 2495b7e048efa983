from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict
from synergia_shared.settings import ServiceSettings


class FundingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FUNDING_", extra="ignore")
    service_name: ClassVar[str] = "funding"
    port: int = 8003
