"""`synergia-funding-migrate`: bring the funding database to the latest schema (one-shot job)."""

from __future__ import annotations

from pathlib import Path

from synergia_shared.migrations import upgrade_head

from synergia_funding.settings import FundingSettings

SERVICE_DIR = Path(__file__).resolve().parents[2]


def main() -> None:
    upgrade_head(SERVICE_DIR, FundingSettings().database_url)


if __name__ == "__main__":
    main()
