"""``synergia-<service>-republish --since TIME``: send a service's outbox again.

For an operator after a broker or topic was lost, or a topic's retention was set too
short for a consumer that was behind: every event the service sent at or after
``--since`` (optionally only to ``--topic``) is marked unsent, and the service's relay
sends it again in the original order; consumers skip what they had applied (inbox).
Runs against the service's own database with its settings (``<SERVICE>_DATABASE_URL``
or ``DATABASE_URL``), whether the service runs or not; a running relay picks the rows
up within its poll interval. The admin endpoint ``POST /v1/admin/outbox:republish`` does
the same through the API.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import create_async_engine

from synergia_shared.events.topics import ALL_TOPICS
from synergia_shared.messaging.republish import republish_since
from synergia_shared.settings import ServiceSettings


def aware_time(value: str) -> datetime:
    """An ISO 8601 time with its offset (``2026-12-01T00:00Z``); a bare one is refused,
    since the server's and the operator's zones may differ."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from exc
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{value!r} has no time zone; add one, e.g. {value}Z for UTC"
        )
    return moment


async def _republish(database_url: str, since: datetime, topics: Sequence[str] | None) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            return await republish_since(conn, since, topics)
    finally:
        await engine.dispose()


def main_for(settings_type: type[ServiceSettings], argv: Sequence[str] | None = None) -> int:
    service = settings_type.service_name
    parser = argparse.ArgumentParser(
        prog=f"synergia-{service}-republish",
        description=f"Mark every event {service} sent at or after --since unsent, so that "
        "its relay sends them again (consumers skip what they had applied).",
    )
    parser.add_argument(
        "--since", required=True, type=aware_time, help="ISO 8601 with a zone: 2026-12-01T00:00Z"
    )
    parser.add_argument(
        "--topic",
        action="append",
        choices=ALL_TOPICS,
        help="only events of this topic (repeatable); default: all of the service's topics",
    )
    args = parser.parse_args(argv)
    settings = settings_type()
    count = asyncio.run(_republish(settings.database_url, args.since, args.topic))
    print(
        f"{count} events {service} sent since {args.since.isoformat()} are queued to be "
        "published again; the relay sends them in their original order."
    )
    return 0
