from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict
from synergia_shared.settings import ProjectionSettings


class MatchingSettings(ProjectionSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore")
    service_name: ClassVar[str] = "matching"
    port: int = 8002
    rebuild_check_interval_seconds: float = Field(
        default=5.0,
        gt=0,
        description="While a projection rebuild is in progress the service keeps its "
        "consumers stopped and reports not ready; it looks again this often and starts "
        "them once the rebuild has completed.",
    )
