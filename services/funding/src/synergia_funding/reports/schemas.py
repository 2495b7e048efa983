"""Response models of the funding reports (the beneficiary view embeds some of them)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from synergia_funding.ledger.entries import EsifFund, PrivateTiming, Source

Money = Annotated[Decimal, Field(description="EUR, two decimals (a JSON string)")]

EXAMPLE_PROJECT = "9b7c3f0e-2d8a-4c51-8e0b-6a1d5f4c3b21"


class Amounts(BaseModel):
    """Net of corrections: a reversed entry counts 0, an adjustment adds its delta."""

    committed: Money = Field(description="Amounts awarded")
    cost_claimed: Money = Field(description="Cost items claimed")
    disbursed: Money = Field(description="Payments")


class LineTotals(Amounts):
    """A report line: a source, ESIF by fund, private money by timing."""

    line: str = Field(
        description="source, or source.fund / source.timing: h2020, fstp, esif.ERDF, efsi, "
        "national, regional, private.upfront, private.follow_up",
        examples=["esif.ERDF"],
    )
    source: Source
    fund: EsifFund | None = None
    private_timing: PrivateTiming | None = None


class InstrumentTotals(LineTotals):
    instrument_id: str | None = Field(
        description="CCI code, grant agreement number, FSTP call, EFSI window...; null when "
        "the entries name none"
    )


class DeMinimisAid(BaseModel):
    entry_id: uuid.UUID = Field(description="The commitment that granted the aid")
    beneficiary_id: uuid.UUID = Field(description="Which enterprise of the undertaking got it")
    granted: date = Field(description="When the legal right to the aid arose")
    amount: Money = Field(description="Gross grant equivalent, net of corrections")
    drops_out_on: date = Field(description="First day it no longer counts toward the ceiling")


class DeMinimisState(BaseModel):
    member_state: str = Field(examples=["LT"])
    regulation: str = Field(description="The regulation in force on the reference date")
    ceiling: Money
    used: Money = Field(description="Aid counting on the reference date")
    remaining: Money = Field(
        description="What may still be granted on the reference date: the ceiling minus "
        "the aid used, and less when aid already granted for a later date would overflow"
    )
    window: str = Field(description="The period counted, in words")
    aids: list[DeMinimisAid] = Field(description="The aid counted, oldest first")


class DeMinimis(BaseModel):
    """De minimis aid per Member State of the beneficiary's single undertaking."""

    on: date = Field(description="Reference date (today unless ?on= is given)")
    undertaking: list[uuid.UUID] = Field(
        description="The single undertaking: the beneficiary and every enterprise linked to "
        "it (> 50 % or control, followed both ways and transitively)"
    )
    member_states: list[DeMinimisState] = Field(
        description="Each Member State where the undertaking received de minimis aid"
    )


class BeneficiaryFunding(BaseModel):
    """What the ledger holds for one beneficiary."""

    total: Amounts
    by_instrument: list[InstrumentTotals] = Field(
        description="By source line and instrument, in line order"
    )
    de_minimis: DeMinimis


class SmeShareOut(BaseModel):
    """The share of the value chain's budget (the H2020 grant incl. FSTP, committed) that
    goes to SMEs directly."""

    sources: list[Source] = Field(description="The money that makes up the budget")
    total_budget: Money
    sme_budget: Money = Field(description="Committed to micro, small and medium enterprises")
    not_sme_budget: Money = Field(description="Committed to beneficiaries known not to be SMEs")
    unknown_budget: Money = Field(
        description="Committed to beneficiaries whose SME category is not known here (not "
        "computed by the registry, or registration not arrived): counted as not SME"
    )
    unknown_beneficiaries: list[uuid.UUID]
    percent: Decimal | None = Field(
        description="sme_budget / total_budget in %, rounded down to 0.01; null without budget"
    )
    threshold_percent: Decimal
    meets_threshold: bool | None = Field(description="Exact comparison; null without budget")


class LineAmount(BaseModel):
    line: str
    committed: Money


class LeverageOut(BaseModel):
    """Other money per euro of base money, on committed amounts."""

    base_sources: list[Source]
    other_sources: list[Source]
    base: Money
    other: Money
    ratio: Decimal | None = Field(description="other / base, 4 decimals; null when base is 0")
    other_by_line: list[LineAmount]
    private_upfront: Money
    private_follow_up: Money


class RuleFlag(BaseModel):
    rule: str = Field(examples=["fstp_cap"])
    severity: str = Field(description="error: the rule forbids it; flag: to watch")
    message: str
    details: dict[str, Any]


class ValueChainCoFunding(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "value_chain_id": EXAMPLE_PROJECT,
                    "entries": 12,
                    "total": {
                        "committed": "1650000.00",
                        "cost_claimed": "0.00",
                        "disbursed": "400000.00",
                    },
                    "lines": [
                        {
                            "line": "h2020",
                            "source": "h2020",
                            "fund": None,
                            "private_timing": None,
                            "committed": "1000000.00",
                            "cost_claimed": "0.00",
                            "disbursed": "400000.00",
                        }
                    ],
                    "sme_share": {
                        "sources": ["fstp", "h2020"],
                        "total_budget": "1000000.00",
                        "sme_budget": "800000.00",
                        "not_sme_budget": "200000.00",
                        "unknown_budget": "0.00",
                        "unknown_beneficiaries": [],
                        "percent": "80.00",
                        "threshold_percent": "75",
                        "meets_threshold": True,
                    },
                    "leverage": {
                        "base_sources": ["efsi", "esif", "fstp", "h2020"],
                        "other_sources": ["national", "private", "regional"],
                        "base": "1000000.00",
                        "other": "650000.00",
                        "ratio": "0.6500",
                        "other_by_line": [{"line": "private.upfront", "committed": "650000.00"}],
                        "private_upfront": "650000.00",
                        "private_follow_up": "0.00",
                    },
                    "flags": [],
                    "notes": [],
                }
            ]
        }
    )

    value_chain_id: uuid.UUID
    entries: int = Field(description="Original ledger entries of the value chain")
    total: Amounts
    lines: list[LineTotals] = Field(
        description="Every report line, zeros included: h2020, fstp, esif by fund, efsi, "
        "national, regional, private upfront / follow-up"
    )
    sme_share: SmeShareOut
    leverage: LeverageOut = Field(
        description="Money mobilised (national, regional, private) per euro of EU programme "
        "money (H2020, FSTP, ESIF, EFSI)"
    )
    flags: list[RuleFlag] = Field(description="Rule breaches of the ledger as it stands")
    notes: list[str] = Field(description="What the figures leave out or assume")


class RegionCoFunding(BaseModel):
    nuts_code: str = Field(examples=["ITH5"])
    region_name: str
    nuts_level: int
    nuts_version: str
    method: str = Field(description="How the figures are defined")
    entries: int = Field(description="Original ledger entries located in the region")
    esif: Amounts = Field(description="ESIF mobilised in the region, all funds")
    esif_by_fund: list[LineTotals]
    lines: list[LineTotals] = Field(description="All money located in the region, by line")
    leverage_in_region: LeverageOut = Field(
        description="National, regional and private money located in the region per euro of "
        "ESIF located in the region"
    )
    projects_with_esif: int = Field(description="Projects with ESIF located in the region")
    leverage_in_projects: LeverageOut = Field(
        description="National, regional and private money of the projects with ESIF in the "
        "region per euro of those projects' ESIF (both wherever located)"
    )
