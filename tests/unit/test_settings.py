from __future__ import annotations

import pytest
from synergia_matching.settings import MatchingSettings
from synergia_registry.settings import RegistrySettings


def test_database_url_names_a_server_and_each_service_gets_its_own_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pw@db.example:5432/postgres")
    assert RegistrySettings().database_url == (
        "postgresql+asyncpg://app:pw@db.example:5432/synergia_registry"
    )
    assert MatchingSettings().database_url.endswith("/synergia_matching")


def test_per_service_values_win_over_deployment_wide_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db/postgres")
    monkeypatch.setenv("REGISTRY_DATABASE_URL", "postgresql+asyncpg://r@db/registry_db")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k1:9092")
    monkeypatch.setenv("MATCHING_KAFKA_BOOTSTRAP_SERVERS", "k2:9092")
    assert RegistrySettings().database_url == "postgresql+asyncpg://r@db/registry_db"
    assert RegistrySettings().kafka_bootstrap_servers == "k1:9092"
    assert MatchingSettings().kafka_bootstrap_servers == "k2:9092"


def test_a_service_without_a_database_says_which_variable_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REGISTRY_DATABASE_URL", raising=False)
    with pytest.raises(ValueError, match="REGISTRY_DATABASE_URL or DATABASE_URL"):
        RegistrySettings()
