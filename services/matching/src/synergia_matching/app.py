"""The matching service's FastAPI app.

Its projection of the registry may be partial: while ``synergia-matching-rebuild`` runs
(or after it was interrupted) the ``projection_rebuild`` row says so. Then the service
does not start its consumers (they would interleave with the rebuild, which hands their
groups over when it completes) and ``/readyz`` reports not ready with the reason, so no
traffic reaches a replica that would answer from half a projection. The consumers start
as soon as the row is gone.
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.app import ConsumerHold, ServiceDefinition, create_service_app
from synergia_shared.projections.contact_fetcher import ContactFetcher

from synergia_matching.consumers import all_consumers
from synergia_matching.migrate import SERVICE_DIR
from synergia_matching.partners.router import router as partners_router
from synergia_matching.profiles.models import CONTACT_TABLES
from synergia_matching.profiles.router import router as profiles_router
from synergia_matching.projection_rebuild.repository import rebuild_in_progress
from synergia_matching.proposals.router import router as proposals_router
from synergia_matching.regions.router import router as regions_router
from synergia_matching.settings import MatchingSettings


async def _projection_partial(session: AsyncSession) -> str | None:
    rebuild = await rebuild_in_progress(session)
    return None if rebuild is None else rebuild.reason


def create_app(settings: MatchingSettings | None = None) -> FastAPI:
    settings = settings or MatchingSettings()
    return create_service_app(
        ServiceDefinition(
            migrations_dir=SERVICE_DIR / "migrations",
            settings=settings,
            title="Synergia matching",
            description="Who complements whom: explained partner search and optimal "
            "value-chain teams, from the registry's events.",
            routers=[profiles_router, partners_router, regions_router, proposals_router],
            consumers=all_consumers(),
            background=[_contact_fetcher],
            hold=ConsumerHold(
                "projection",
                _projection_partial,
                interval=settings.rebuild_check_interval_seconds,
                clear="complete",
            ),
            openapi_tags=[
                {"name": "profiles", "description": "Partner profiles."},
                {"name": "partners", "description": "Explained partner search."},
                {
                    "name": "team-proposals",
                    "description": "Optimal value-chain teams, accepted or declined.",
                },
                {
                    "name": "regions",
                    "description": "Regional smart-specialisation (S3) priorities.",
                },
            ],
        )
    )


def _contact_fetcher(app: FastAPI) -> ContactFetcher | None:
    """Fetches actors' shared contacts from the registry (they never travel in events)."""
    settings: MatchingSettings = app.state.settings
    if not settings.contact_fetch_enabled:
        return None
    return ContactFetcher.from_settings(app.state.sessions, CONTACT_TABLES, settings)
