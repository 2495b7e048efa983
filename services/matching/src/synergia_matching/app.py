"""The matching service's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI
from synergia_shared.app import ServiceDefinition, create_service_app

from synergia_matching.consumers import all_consumers
from synergia_matching.partners.router import router as partners_router
from synergia_matching.profiles.router import router as profiles_router
from synergia_matching.proposals.router import router as proposals_router
from synergia_matching.regions.router import router as regions_router
from synergia_matching.settings import MatchingSettings


def create_app(settings: MatchingSettings | None = None) -> FastAPI:
    return create_service_app(
        ServiceDefinition(
            settings=settings or MatchingSettings(),
            title="Synergia matching",
            description="Who complements whom: explained partner search and optimal "
            "value-chain teams, from the registry's events.",
            routers=[profiles_router, partners_router, regions_router, proposals_router],
            consumers=all_consumers(),
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
