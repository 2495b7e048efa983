"""The funding service's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI
from synergia_shared.app import ServiceDefinition, create_service_app

from synergia_funding.beneficiaries.router import router as beneficiaries_router
from synergia_funding.consumers import all_consumers
from synergia_funding.settings import FundingSettings


def create_app(settings: FundingSettings | None = None) -> FastAPI:
    return create_service_app(
        ServiceDefinition(
            settings=settings or FundingSettings(),
            title="Synergia funding",
            description="Funding beneficiaries.",
            routers=[beneficiaries_router],
            consumers=all_consumers(),
            openapi_tags=[{"name": "beneficiaries", "description": "Funding beneficiaries."}],
        )
    )
