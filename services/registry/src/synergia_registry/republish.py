"""`synergia-registry-republish --since TIME [--topic T]`: send registry's outbox again
(docs/operations.md, "When the broker lost events")."""

from __future__ import annotations

import sys

from synergia_shared.messaging.republish_cli import main_for

from synergia_registry.settings import RegistrySettings


def main() -> int:
    return main_for(RegistrySettings)


if __name__ == "__main__":
    sys.exit(main())
