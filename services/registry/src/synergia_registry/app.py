"""The registry's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI
from synergia_shared.app import ServiceDefinition, create_service_app

from synergia_registry.actors.expiry import ExpirySweep
from synergia_registry.actors.personal_data_router import router as personal_data_router
from synergia_registry.actors.router import router as actors_router
from synergia_registry.beneficiaries.router import document_batch_schema
from synergia_registry.beneficiaries.router import router as beneficiaries_router
from synergia_registry.clusters.router import router as clusters_router
from synergia_registry.code_lists.router import router as code_lists_router
from synergia_registry.imports.router import router as imports_router
from synergia_registry.migrate import SERVICE_DIR
from synergia_registry.regions.router import router as regions_router
from synergia_registry.settings import RegistrySettings
from synergia_registry.value_chains.accepted_teams import accepted_teams
from synergia_registry.value_chains.router import router as value_chains_router


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    app = create_service_app(
        ServiceDefinition(
            migrations_dir=SERVICE_DIR / "migrations",
            settings=settings or RegistrySettings(),
            title="Synergia registry",
            description="Innovation actors, cluster organisations and value-chain initiatives.",
            # Before the actors' router: /v1/actors:batch-register is not an actor id.
            routers=[
                beneficiaries_router,
                actors_router,
                clusters_router,
                value_chains_router,
                imports_router,
                regions_router,
                personal_data_router,
                code_lists_router,
            ],
            consumers=[accepted_teams()],
            background=[_offer_expiry],
            openapi_finishers=[document_batch_schema],
            openapi_tags=[
                {"name": "actors", "description": "Innovation actors."},
                {
                    "name": "clusters",
                    "description": "Cluster organisations: profile, members, completeness.",
                },
                {
                    "name": "value-chains",
                    "description": "Value-chain initiatives: leads, stages, participants, "
                    "life cycle and eligibility.",
                },
                {
                    "name": "imports",
                    "description": "Imports of open data: CORDIS Horizon 2020 organisations.",
                },
                {
                    "name": "regions",
                    "description": "NUTS regions found by name, in any script.",
                },
                {
                    "name": "code-lists",
                    "description": "Countries, NUTS regions, NACE codes and the API's "
                    "enumerations, for dropdowns and labels: public, with ETags and long "
                    "caching.",
                },
            ],
        )
    )
    return app


def _offer_expiry(app: FastAPI) -> ExpirySweep | None:
    """The daily announcement of expired offers and needs (actors/expiry.py)."""
    settings: RegistrySettings = app.state.settings
    if not settings.offer_expiry_enabled:
        return None
    return ExpirySweep(
        app.state.sessions,
        interval=settings.offer_expiry_interval_seconds,
        batch_size=settings.offer_expiry_batch_size,
    )
