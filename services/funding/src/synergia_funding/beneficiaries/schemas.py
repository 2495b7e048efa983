from __future__ import annotations

from pydantic import ConfigDict, Field
from synergia_shared.projections import actor_views
from synergia_shared.projections.actor_views import (
    Ecosystems,
    NaceCodes,
    ProjectedActor,
    SharedContactView,
    SmeCategory,
)

from synergia_funding.reports.schemas import BeneficiaryFunding


class BeneficiaryContact(SharedContactView):
    """A contact person whose consent covers being shown to partners."""


class Beneficiary(ProjectedActor):
    """A funding beneficiary as this service knows it from the registry's events, and
    what the co-funding ledger holds for it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                actor_views.example(
                    between={},
                    after={
                        "funding": {
                            "total": {
                                "committed": "110000.00",
                                "cost_claimed": "0.00",
                                "disbursed": "50000.00",
                            },
                            "by_instrument": [
                                {
                                    "line": "esif.ERDF",
                                    "source": "esif",
                                    "fund": "ERDF",
                                    "private_timing": None,
                                    "instrument_id": "2014LT16MAOP001",
                                    "committed": "110000.00",
                                    "cost_claimed": "0.00",
                                    "disbursed": "50000.00",
                                }
                            ],
                            "de_minimis": {
                                "on": "2026-11-24",
                                "undertaking": ["3f0c9a52-6a43-4b7e-9d0e-2f4b8e1f6c21"],
                                "member_states": [
                                    {
                                        "member_state": "LT",
                                        "regulation": "Regulation (EU) 2023/2831",
                                        "ceiling": "300000.00",
                                        "used": "110000.00",
                                        "remaining": "190000.00",
                                        "window": "aid granted after 2023-11-24 up to 2026-11-24 "
                                        "(rolling three years)",
                                        "aids": [
                                            {
                                                "entry_id": "0e4f3c1a-5b7d-5e2f-9a6c-1d2b3c4d5e6f",
                                                "beneficiary_id": (
                                                    "3f0c9a52-6a43-4b7e-9d0e-2f4b8e1f6c21"
                                                ),
                                                "granted": "2025-03-01",
                                                "amount": "110000.00",
                                                "drops_out_on": "2028-03-01",
                                            }
                                        ],
                                    }
                                ],
                            },
                        },
                    },
                )
            ]
        }
    )

    nuts_code: str | None = Field(description="NUTS region, e.g. for ESIF")
    nace_codes: NaceCodes
    ecosystems: Ecosystems
    sme_category: SmeCategory
    active: bool = Field(description="False once deactivated: kept for history, not funded anew")
    shared_contacts: list[BeneficiaryContact] = Field(
        description=actor_views.SHARED_CONTACTS_DESCRIPTION
    )
    funding: BeneficiaryFunding = Field(
        description="Totals by source and instrument, and de minimis aid and headroom of its "
        "single undertaking, derived from the ledger"
    )
