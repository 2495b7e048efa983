"""`synergia-matching-rebuild`: rebuild matching's projections from the registry's topics.

Reads registry.actor, registry.cluster and registry.value-chain from the beginning and
applies every event as the live consumers do. Run it against a fresh, migrated database
(then point the service at it), or with ``--reset`` against the service's own database
while its consumers are stopped: ``--reset`` empties the projection tables and the
projection consumers' inbox rows first. What matching owns itself (S3 priorities, team
proposals) is never touched.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.db import SessionFactory, create_engine, create_session_factory, unit_of_work
from synergia_shared.messaging.rebuild import RebuildReport, rebuild
from synergia_shared.messaging.tables import inbox

from synergia_matching.consumers import projection_consumers
from synergia_matching.network.models import cluster_memberships, cluster_profiles, value_chains
from synergia_matching.profiles.models import actor_lifecycle_marks, actor_profiles, ownership_links
from synergia_matching.settings import MatchingSettings

PROJECTION_TABLES = (
    actor_profiles,
    actor_lifecycle_marks,
    ownership_links,
    cluster_profiles,
    cluster_memberships,
    value_chains,
)


async def projection_is_empty(session: AsyncSession) -> bool:
    for table in PROJECTION_TABLES:
        if await session.scalar(select(func.count()).select_from(table)):
            return False
    return True


async def reset_projections(session: AsyncSession) -> None:
    for table in PROJECTION_TABLES:
        await session.execute(delete(table))
    names = [c.name for c in projection_consumers()]
    await session.execute(delete(inbox).where(inbox.c.consumer.in_(names)))


async def rebuild_projections(
    sessions: SessionFactory, settings: MatchingSettings, *, reset: bool
) -> RebuildReport:
    async with unit_of_work(sessions) as session:
        if reset:
            await reset_projections(session)
        elif not await projection_is_empty(session):
            raise SystemExit(
                "the projection tables are not empty: rebuild into a fresh database, "
                "or pass --reset with the matching consumers stopped"
            )
    return await rebuild(
        projection_consumers(),
        sessions,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        topic_prefix=settings.kafka_topic_prefix,
    )


async def _main(reset: bool) -> RebuildReport:
    settings = MatchingSettings()
    engine = create_engine(settings)
    try:
        return await rebuild_projections(create_session_factory(engine), settings, reset=reset)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reset",
        action="store_true",
        help="empty the projections first (stop the matching consumers before)",
    )
    args = parser.parse_args()
    report = asyncio.run(_main(args.reset))
    print(
        f"read {report.events_read} events, applied {report.applied}, "
        f"duplicates {report.duplicates}, failed {len(report.failed)} "
        f"in {report.seconds:.1f}s ({report.events_per_second:,.0f} events/s)"
    )
    for failure in report.failed:
        print(f"  failed: {failure}", file=sys.stderr)
    sys.exit(1 if report.failed else 0)


if __name__ == "__main__":
    main()
