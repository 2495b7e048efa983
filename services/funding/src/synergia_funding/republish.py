"""`synergia-funding-republish --since TIME [--topic T]`: send funding's outbox again
(docs/operations.md, "When the broker lost events")."""

from __future__ import annotations

import sys

from synergia_shared.messaging.republish_cli import main_for

from synergia_funding.settings import FundingSettings


def main() -> int:
    return main_for(FundingSettings)


if __name__ == "__main__":
    sys.exit(main())
