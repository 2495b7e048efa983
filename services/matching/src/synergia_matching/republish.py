"""`synergia-matching-republish --since TIME [--topic T]`: send matching's outbox again
(docs/operations.md, "When the broker lost events")."""

from __future__ import annotations

import sys

from synergia_shared.messaging.republish_cli import main_for

from synergia_matching.settings import MatchingSettings


def main() -> int:
    return main_for(MatchingSettings)


if __name__ == "__main__":
    sys.exit(main())
