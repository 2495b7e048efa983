"""`synergia-registry-migrate`: bring the registry database to the latest schema (one-shot job)."""

from __future__ import annotations

from pathlib import Path

from synergia_shared.migrations import upgrade_head

from synergia_registry.settings import RegistrySettings

SERVICE_DIR = Path(__file__).resolve().parents[2]


def main() -> None:
    upgrade_head(SERVICE_DIR, RegistrySettings().database_url)


if __name__ == "__main__":
    main()
