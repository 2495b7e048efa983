"""The funding service's FastAPI app."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from synergia_shared.app import ServiceDefinition, create_service_app
from synergia_shared.projections.contact_fetcher import ContactFetcher

from synergia_funding.authority.router import document_batch_schema
from synergia_funding.authority.router import router as authority_router
from synergia_funding.beneficiaries.models import CONTACT_TABLES
from synergia_funding.beneficiaries.router import router as beneficiaries_router
from synergia_funding.consumers import all_consumers
from synergia_funding.ledger.expiry import ParkedExpiry
from synergia_funding.migrate import SERVICE_DIR
from synergia_funding.reference.router import router as reference_router
from synergia_funding.reports.router import router as reports_router
from synergia_funding.reports.totals import TotalsCompaction
from synergia_funding.settings import FundingSettings
from synergia_funding.value_chains.router import router as value_chains_router


def create_app(settings: FundingSettings | None = None) -> FastAPI:
    settings = settings or FundingSettings()
    app = create_service_app(
        ServiceDefinition(
            migrations_dir=SERVICE_DIR / "migrations",
            settings=settings,
            title="Synergia funding",
            description="Co-funding of value chains across Horizon 2020, ESIF, EFSI, "
            "national and private money: the ledger, what regional authority systems push "
            "into it, and the reports derived from it.",
            routers=[
                beneficiaries_router,
                authority_router,
                value_chains_router,
                reference_router,
                reports_router,
            ],
            consumers=all_consumers(settings),
            background=[_parked_expiry, _contact_fetcher, _totals_compaction],
            openapi_finishers=[document_batch_schema],
            openapi_tags=[
                {"name": "beneficiaries", "description": "Funding beneficiaries."},
                {
                    "name": "funding-sources",
                    "description": "Reference data: the sources money comes from (Horizon "
                    "2020 grants, FSTP calls, ESIF programmes, EFSI, national programmes, "
                    "private investors), loaded by API or from the ESIF open data.",
                },
                {
                    "name": "authority-events",
                    "description": "Commitments, cost items and payments pushed by regional "
                    "authority systems, each recorded exactly once.",
                },
                {
                    "name": "value-chains",
                    "description": "A value chain's own ledger: the co-funding its lead "
                    "clusters' managers record, and its entries.",
                },
                {
                    "name": "reports",
                    "description": "Co-funding reports of value chains and regions, derived "
                    "from the append-only ledger; JSON or CSV (Accept: text/csv).",
                },
            ],
        )
    )
    return app


def _parked_expiry(app: FastAPI) -> ParkedExpiry | None:
    """The sweep that refuses parked items whose prerequisite never came."""
    settings: FundingSettings = app.state.settings
    if not settings.parked_expiry_enabled:
        return None
    return ParkedExpiry(
        app.state.sessions,
        max_age=timedelta(days=settings.parked_expiry_days),
        interval=settings.parked_expiry_interval_seconds,
        batch_size=settings.parked_expiry_batch_size,
    )


def _contact_fetcher(app: FastAPI) -> ContactFetcher | None:
    """Fetches actors' shared contacts from the registry (they never travel in events)."""
    settings: FundingSettings = app.state.settings
    if not settings.contact_fetch_enabled:
        return None
    return ContactFetcher.from_settings(app.state.sessions, CONTACT_TABLES, settings)


def _totals_compaction(app: FastAPI) -> TotalsCompaction:
    """Folds the rows appended to the region report's totals (reports.totals)."""
    settings: FundingSettings = app.state.settings
    return TotalsCompaction(
        app.state.sessions, interval=settings.totals_compaction_interval_seconds
    )
