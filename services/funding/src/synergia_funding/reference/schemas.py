"""Requests that load funding reference data: the sources and instruments money comes from.

One model per kind of source, told apart by ``kind`` (:data:`FundingSourceIn`):
Horizon 2020 grants, FSTP calls of a value-chain project, ESIF operational programmes
with their planned financing lines, EFSI windows, national or regional programmes and
private investors. Unknown fields are refused. Money is Decimal EUR with at most two
decimals and never negative; rates are fractions of one (0.85 is 85 %).

A rule that needs several fields is checked on the last of them, so the error names it
(``total_amount``, ``co_financing_rate``, ``closes_on``...). Ceilings of co-financing
rates are not checked here: a rate above one is flagged by
:func:`synergia_funding.reference.rules.check_rate_ceiling`, never refused, because the
regulation has exceptions the figures do not show.
"""

from __future__ import annotations

import functools
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from synergia_shared.http.iso_date import IsoDate
from synergia_shared.reference.countries import CountryStanding, UnknownCountry, lookup_country
from synergia_shared.reference.nuts import InvalidNuts, validate_nuts

from synergia_funding.amount_fields import PlainMoney
from synergia_funding.ledger.entries import FinanceType
from synergia_funding.reference.cci import InvalidCci, fund_fits_cci, parse_cci
from synergia_funding.reference.rules import (
    FSTP_DEFAULT_CAP_PER_THIRD_PARTY,
    EsifFund,
    RegionCategory,
    amounts_mismatch,
    rate_mismatch,
)

# The service's one amount rule (synergia_funding.amounts), as for authority items.
Money = PlainMoney
Rate = Annotated[
    Decimal,
    Field(ge=0, le=1, max_digits=7, decimal_places=6, description="A fraction: 0.85 is 85 %"),
]
# Horizon 2020 grant agreement numbers: six digits, or nine from 101 for the last grants.
GRANT_AGREEMENT_PATTERN = r"^(?:[0-9]{6}|101[0-9]{6})$"
# Work-programme topic identifiers: INNOSUP-01-2018-2020, SC1-PHE-CORONAVIRUS-2020,
# EIC-SMEInst-2018-2020.
TOPIC_PATTERN = r"^[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)+$"


def _cci(value: str) -> str:
    try:
        return parse_cci(value).code
    except InvalidCci as exc:
        raise ValueError(str(exc)) from None


@functools.lru_cache(maxsize=4096)  # an authority's items name the same few regions
def _nuts(value: str) -> str:
    """A NUTS code of NUTS 2021 or 2024 (the United Kingdom's: NUTS 2016)."""
    code = value.strip().upper()
    country = code[:2]
    versions = ("2016",) if country == "UK" else ("2021", "2024")
    problems: list[str] = []
    for version in versions:
        try:
            return validate_nuts(code, country, version).code
        except InvalidNuts as exc:
            problems.append(str(exc))
    raise ValueError(problems[0])


@functools.lru_cache(maxsize=512)
def _member_state(value: str) -> str:
    """A 2014-2020 Member State (the UK included), in the EU form (EL, UK)."""
    try:
        country = lookup_country(value)
    except UnknownCountry as exc:
        raise ValueError(str(exc)) from None
    if country.standing not in (CountryStanding.MEMBER_STATE, CountryStanding.UNITED_KINGDOM):
        raise ValueError(f"{value!r} ({country.name}) is not an EU Member State")
    return country.code


def _country(value: str) -> str:
    try:
        return lookup_country(value).code
    except UnknownCountry as exc:
        raise ValueError(str(exc)) from None


CciCode = Annotated[
    str,
    AfterValidator(_cci),
    Field(description="2014-2020 programme CCI, e.g. 2014IT16RFOP007 (see reference.cci)"),
]
NutsCode = Annotated[str, AfterValidator(_nuts)]
MemberState = Annotated[str, AfterValidator(_member_state)]
CountryCode = Annotated[str, AfterValidator(_country)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _not_before(field: str, value: date | None, info: ValidationInfo) -> date | None:
    start = info.data.get(field)
    if value is not None and start is not None and value < start:
        raise ValueError(f"{value.isoformat()} is before {field} {start.isoformat()}")
    return value


# --- Horizon 2020 ----------------------------------------------------------------------


class Horizon2020GrantIn(_In):
    """A Horizon 2020 grant: the EU contribution to one project."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "h2020_grant",
                    "grant_agreement_number": "824060",
                    "acronym": "ClusterXchange",
                    "topic": "INNOSUP-01-2018-2020",
                    "call_identifier": "H2020-INNOSUP-2018-2020",
                    "start_date": "2019-02-01",
                    "end_date": "2022-01-31",
                    "ec_contribution": "4999937.50",
                    "total_eligible_cost": "4999937.50",
                }
            ]
        }
    )

    kind: Literal["h2020_grant"] = "h2020_grant"
    grant_agreement_number: str = Field(pattern=GRANT_AGREEMENT_PATTERN)
    acronym: str = Field(min_length=1, max_length=40)
    title: str | None = Field(default=None, max_length=500)
    topic: str = Field(pattern=TOPIC_PATTERN, max_length=100)
    call_identifier: str | None = Field(default=None, pattern=r"^H2020-", max_length=100)
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    ec_contribution: Money = Field(description="The maximum EU contribution of the grant")
    total_eligible_cost: Money | None = None

    @field_validator("end_date")
    @classmethod
    def _end_after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        return _not_before("start_date", value, info)

    @field_validator("total_eligible_cost")
    @classmethod
    def _covers_contribution(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        contribution = info.data.get("ec_contribution")
        if value is not None and contribution is not None and contribution > value:
            raise ValueError(f"{value:f} is less than the EU contribution {contribution:f}")
        return value


# --- FSTP ------------------------------------------------------------------------------


class FstpCallIn(_In):
    """A call for financial support to third parties (cascade funding) run by a
    value-chain project under its Horizon 2020 grant.

    The cap per third party is €60,000 unless the work programme and the grant allow more
    (H2020 Rules for Participation, Reg. (EU) No 1290/2013 Art. 23(7)): a higher cap must
    state that basis in ``cap_exception_basis``. INNOSUP-01 projects also set a cap per
    funded project (several SMEs together), ``per_project_cap``.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "fstp_call",
                    "value_chain_id": "8a1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                    "grant_agreement_number": "824060",
                    "call_identifier": "CX-OC-2020-1",
                    "title": "Open call for SME innovation vouchers",
                    "opens_on": "2020-03-02",
                    "closes_on": "2020-05-29",
                    "per_third_party_cap": "60000.00",
                    "per_project_cap": "150000.00",
                    "total_budget": "1200000.00",
                }
            ]
        }
    )

    kind: Literal["fstp_call"] = "fstp_call"
    value_chain_id: uuid.UUID
    grant_agreement_number: str = Field(
        pattern=GRANT_AGREEMENT_PATTERN, description="The grant that funds the cascade"
    )
    call_identifier: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=500)
    opens_on: IsoDate
    closes_on: IsoDate
    total_budget: Money | None = None
    cap_exception_basis: str | None = Field(
        default=None,
        max_length=1000,
        description="Where the work programme and grant allow more than €60,000 per third "
        "party; required for a higher cap",
    )
    per_third_party_cap: Money = Field(default=FSTP_DEFAULT_CAP_PER_THIRD_PARTY, gt=0)
    per_project_cap: Money | None = Field(default=None, gt=0)

    @field_validator("closes_on")
    @classmethod
    def _closes_after_opening(cls, value: date, info: ValidationInfo) -> date | None:
        return _not_before("opens_on", value, info)

    @field_validator("per_third_party_cap")
    @classmethod
    def _cap_needs_basis(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        if value > FSTP_DEFAULT_CAP_PER_THIRD_PARTY and not info.data.get("cap_exception_basis"):
            raise ValueError(
                f"{value:f} is above €60,000 per third party (Reg. (EU) No 1290/2013 "
                "Art. 23(7)): state the work-programme basis in cap_exception_basis"
            )
        return _within_budget(value, info)

    @field_validator("per_project_cap")
    @classmethod
    def _project_cap_within_budget(
        cls, value: Decimal | None, info: ValidationInfo
    ) -> Decimal | None:
        return None if value is None else _within_budget(value, info)


def _within_budget(value: Decimal, info: ValidationInfo) -> Decimal:
    budget = info.data.get("total_budget")
    if budget is not None and value > budget:
        raise ValueError(f"{value:f} is above the call's total budget {budget:f}")
    return value


# --- ESIF --------------------------------------------------------------------------------


class EsifPlannedLineIn(_In):
    """One line of a programme's financial plan: a fund, priority axis, thematic
    objective and category of region (and for the EAFRD a measure and focus area), with
    the planned EU and national amounts."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "fund": "ERDF",
                    "priority_axis": "3",
                    "thematic_objective": "03",
                    "category_of_region": "more_developed",
                    "eu_amount": "97000000.00",
                    "national_amount": "97000000.00",
                    "total_amount": "194000000.00",
                    "co_financing_rate": "0.5",
                }
            ]
        }
    )

    fund: EsifFund
    priority_axis: str | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        examples=["1", "TA"],
        description="None when the plan has none (EMFF lines, EAFRD technical assistance)",
    )
    thematic_objective: str | None = Field(
        default=None,
        pattern=r"^(?:0[1-9]|1[01]|MULTI|TA)$",
        description="01-11 (Reg. (EU) No 1303/2013 Art. 9), MULTI or TA",
    )
    category_of_region: RegionCategory | None = Field(
        default=None, description="None for funds without categories (CF, EMFF)"
    )
    eafrd_measure: str | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        examples=["M04", "M20"],
        description="EAFRD lines: the rural development measure",
    )
    eafrd_focus_area: str | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        examples=["2A", "4A"],
        description="EAFRD lines: the focus area (Reg. (EU) No 1305/2013 Art. 5)",
    )
    eu_amount: Money
    national_amount: Money
    total_amount: Money | None = Field(default=None, description="EU + national when omitted")
    co_financing_rate: Rate | None = Field(
        default=None, description="Stated EU / total; checked within 0.01 point"
    )

    @field_validator("total_amount")
    @classmethod
    def _adds_up(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        eu, national = info.data.get("eu_amount"), info.data.get("national_amount")
        if value is not None and eu is not None and national is not None:
            problem = amounts_mismatch(eu, national, value)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("co_financing_rate")
    @classmethod
    def _rate_matches(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        eu, national = info.data.get("eu_amount"), info.data.get("national_amount")
        if value is not None and eu is not None and national is not None:
            problem = rate_mismatch(eu, eu + national, value)
            if problem:
                raise ValueError(problem)
        return value

    @property
    def total(self) -> Decimal:
        return self.eu_amount + self.national_amount


class EsifProgrammeIn(_In):
    """An ESIF operational programme with its managing authority, the NUTS regions it
    covers and its financial plan (at least one line)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "esif_programme",
                    "cci": "2014IT16RFOP012",
                    "title": "POR Lombardia FESR 2014-2020",
                    "managing_authority": "Regione Lombardia - DG Sviluppo Economico",
                    "regions": ["ITC4"],
                    "lines": [
                        {
                            "fund": "ERDF",
                            "priority_axis": "3",
                            "thematic_objective": "03",
                            "category_of_region": "more_developed",
                            "eu_amount": "97000000.00",
                            "national_amount": "97000000.00",
                            "co_financing_rate": "0.5",
                        }
                    ],
                }
            ]
        }
    )

    kind: Literal["esif_programme"] = "esif_programme"
    cci: CciCode
    # SFC2014 allows 255 characters (Implementing Reg. (EU) No 288/2014, Annex I, 0.2).
    title: str = Field(min_length=1, max_length=255)
    managing_authority: str = Field(min_length=1, max_length=300)
    regions: list[NutsCode] = Field(
        default_factory=list,
        description="NUTS 2021/2024 codes (UK: NUTS 2016) in the programme's country",
    )
    lines: list[EsifPlannedLineIn] = Field(min_length=1)

    @field_validator("regions")
    @classmethod
    def _regions_in_country(cls, value: list[str], info: ValidationInfo) -> list[str]:
        code = info.data.get("cci")
        if code is None:
            return value
        cci = parse_cci(code)
        seen: set[str] = set()
        for region in value:
            if region in seen:
                raise ValueError(f"{region} is listed twice")
            seen.add(region)
            if not cci.is_territorial_cooperation and region[:2] != cci.country:
                raise ValueError(f"{region} is not in {cci.country}, the country of {cci.code}")
        return value

    @field_validator("lines")
    @classmethod
    def _lines_fit(
        cls, value: list[EsifPlannedLineIn], info: ValidationInfo
    ) -> list[EsifPlannedLineIn]:
        code = info.data.get("cci")
        seen: dict[tuple[object, ...], int] = {}
        for index, line in enumerate(value):
            if code is not None and (problem := fund_fits_cci(parse_cci(code), line.fund)):
                raise ValueError(f"lines[{index}]: {problem}")
            key = (
                line.fund,
                line.priority_axis,
                line.thematic_objective,
                line.category_of_region,
                line.eafrd_measure,
                line.eafrd_focus_area,
            )
            if key in seen:
                raise ValueError(
                    f"lines[{index}] repeats lines[{seen[key]}] (same fund, priority axis, "
                    "thematic objective, category of region, EAFRD measure and focus area)"
                )
            seen[key] = index
        return value

    @property
    def eu_amount(self) -> Decimal:
        return sum((line.eu_amount for line in self.lines), Decimal(0))

    @property
    def national_amount(self) -> Decimal:
        return sum((line.national_amount for line in self.lines), Decimal(0))


# --- EFSI ---------------------------------------------------------------------------------


class EfsiWindow(StrEnum):
    """The two windows of the European Fund for Strategic Investments (Reg. (EU)
    2015/1017): the EIB implements the first, the EIF the second."""

    INFRASTRUCTURE_AND_INNOVATION = "eib_infrastructure_and_innovation_window"
    SME = "eif_sme_window"


IMPLEMENTED_BY = {EfsiWindow.INFRASTRUCTURE_AND_INNOVATION: "EIB", EfsiWindow.SME: "EIF"}
EFSI_FINANCE_TYPES = frozenset({FinanceType.LOAN, FinanceType.GUARANTEE, FinanceType.EQUITY})


class EfsiOperationIn(_In):
    """EFSI-backed financing: a loan, guarantee or equity under one window (EFSI does not
    give grants)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "efsi_window",
                    "window": "eif_sme_window",
                    "implemented_by": "EIF",
                    "operation_name": "InnovFin SME Guarantee - Banca Example",
                    "financial_intermediary": "Banca Example S.p.A.",
                    "finance_type": "guarantee",
                    "amount": "50000000.00",
                    "country": "IT",
                    "signed_on": "2018-06-15",
                }
            ]
        }
    )

    kind: Literal["efsi_window"] = "efsi_window"
    window: EfsiWindow
    implemented_by: Literal["EIB", "EIF"]
    operation_name: str = Field(min_length=1, max_length=300)
    operation_reference: str | None = Field(default=None, max_length=50)
    financial_intermediary: str | None = Field(default=None, max_length=300)
    finance_type: FinanceType
    amount: Money
    country: MemberState | None = None
    signed_on: IsoDate | None = None

    @field_validator("implemented_by")
    @classmethod
    def _implementer_fits(cls, value: str, info: ValidationInfo) -> str:
        window = info.data.get("window")
        if window is not None and IMPLEMENTED_BY[window] != value:
            raise ValueError(f"the {window.value} is implemented by {IMPLEMENTED_BY[window]}")
        return value

    @field_validator("finance_type")
    @classmethod
    def _not_a_grant(cls, value: FinanceType) -> FinanceType:
        if value not in EFSI_FINANCE_TYPES:
            raise ValueError(f"EFSI finances loans, guarantees and equity, not {value.value}")
        return value


# --- national and regional programmes, private investors ------------------------------


class StateAidBasis(StrEnum):
    DE_MINIMIS = "de_minimis"  # Reg. (EU) 2023/2831 (before 2024: 1407/2013)
    GBER = "gber"  # General Block Exemption Regulation, Reg. (EU) No 651/2014
    NOTIFIED = "notified"
    NOT_STATE_AID = "not_state_aid"


class NationalProgrammeIn(_In):
    """A national or regional funding programme of a Member State."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "national_programme",
                    "name": "Bando Innovazione Filiere",
                    "level": "regional",
                    "country": "IT",
                    "region": "ITC4",
                    "managing_body": "Regione Lombardia",
                    "finance_types": ["grant", "loan"],
                    "budget": "20000000.00",
                    "state_aid_basis": "de_minimis",
                }
            ]
        }
    )

    kind: Literal["national_programme"] = "national_programme"
    name: str = Field(min_length=1, max_length=300)
    level: Literal["national", "regional"]
    country: MemberState
    region: NutsCode | None = Field(default=None, validate_default=True)
    managing_body: str = Field(min_length=1, max_length=300)
    finance_types: list[FinanceType] = Field(min_length=1)
    budget: Money | None = None
    state_aid_basis: StateAidBasis | None = None

    @field_validator("region")
    @classmethod
    def _region_of_regional(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            if info.data.get("level") == "regional":
                raise ValueError("a regional programme needs its NUTS region")
            return value
        country = info.data.get("country")
        if country is not None and value[:2] != country:
            raise ValueError(f"{value} is not in {country}")
        return value

    @field_validator("finance_types")
    @classmethod
    def _distinct(cls, value: list[FinanceType]) -> list[FinanceType]:
        if len(set(value)) != len(value):
            raise ValueError("a finance type is listed twice")
        return value


class InvestorType(StrEnum):
    BUSINESS_ANGEL = "business_angel"
    VENTURE_CAPITAL = "venture_capital"
    CORPORATE = "corporate"
    BANK = "bank"
    CROWDFUNDING = "crowdfunding"
    FOUNDATION = "foundation"
    OTHER = "other"


class PrivateInvestorIn(_In):
    """A private investor, upfront or follow-up money (the ledger says which)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "private_investor",
                    "name": "Nordic Photonics Ventures",
                    "investor_type": "venture_capital",
                    "country": "SE",
                    "finance_types": ["equity"],
                }
            ]
        }
    )

    kind: Literal["private_investor"] = "private_investor"
    name: str = Field(min_length=1, max_length=300)
    investor_type: InvestorType
    country: CountryCode
    actor_id: uuid.UUID | None = Field(default=None, description="The registry actor, if any")
    finance_types: list[FinanceType] = Field(min_length=1)

    @field_validator("finance_types")
    @classmethod
    def _distinct(cls, value: list[FinanceType]) -> list[FinanceType]:
        if len(set(value)) != len(value):
            raise ValueError("a finance type is listed twice")
        return value


FundingSourceIn = Annotated[
    Horizon2020GrantIn
    | FstpCallIn
    | EsifProgrammeIn
    | EfsiOperationIn
    | NationalProgrammeIn
    | PrivateInvestorIn,
    Field(discriminator="kind"),
]


# --- responses ------------------------------------------------------------------------------


class SourceKind(StrEnum):
    """The kinds of funding source, as ``kind`` names them in requests."""

    H2020_GRANT = "h2020_grant"
    FSTP_CALL = "fstp_call"
    ESIF_PROGRAMME = "esif_programme"
    EFSI_WINDOW = "efsi_window"
    NATIONAL_PROGRAMME = "national_programme"
    PRIVATE_INVESTOR = "private_investor"


class EsifLine(BaseModel):
    """One stored line of an ESIF programme's financial plan."""

    fund: EsifFund
    priority_axis: str | None
    thematic_objective: str | None
    category_of_region: RegionCategory | None
    eafrd_measure: str | None
    eafrd_focus_area: str | None
    eu_amount: Decimal
    national_amount: Decimal
    total_amount: Decimal
    co_financing_rate: Decimal | None = Field(description="As stated (a fraction); None if not")
    flags: list[str] = Field(
        description="Why the line deserves a second look (a rate above the ceiling for its "
        "fund and category of region, with the exceptions that would allow it); never a "
        "reason to refuse it"
    )


_SOURCE_EXAMPLE: dict[str, Any] = {
    "id": "5b0c3f1e-8d2a-4c55-9a11-2f0e7d6c4b3a",
    "kind": "esif_programme",
    "code": "2014IT16RFOP012",
    "name": "POR Lombardia FESR 2014-2020",
    "regions": ["ITC4"],
    "country": "IT",
    "project_id": None,
    "programme_version": 4,
    "version": 1,
    "updated_by": "admin@example.eu",
    "created_at": "2026-01-12T09:30:00Z",
    "updated_at": "2026-01-12T09:30:00Z",
    "definition": {
        "kind": "esif_programme",
        "cci": "2014IT16RFOP012",
        "title": "POR Lombardia FESR 2014-2020",
        "managing_authority": "Regione Lombardia - DG Sviluppo Economico",
        "regions": ["ITC4"],
    },
    "lines": [
        {
            "fund": "ERDF",
            "priority_axis": "3",
            "thematic_objective": "03",
            "category_of_region": "more_developed",
            "eafrd_measure": None,
            "eafrd_focus_area": None,
            "eu_amount": "97000000.00",
            "national_amount": "97000000.00",
            "total_amount": "194000000.00",
            "co_financing_rate": "0.500000",
            "flags": [],
        }
    ],
}


class FundingSource(BaseModel):
    """A stored funding source: what identifies and locates it, and its definition."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SOURCE_EXAMPLE]})

    id: uuid.UUID
    kind: SourceKind
    code: str = Field(
        description="The natural code, unique within the kind: the grant agreement number, "
        "`<grant agreement number>/<call identifier>` of an FSTP call, the CCI, the EFSI "
        "operation reference (or window and name), `<region or country>/<name>` of a "
        "national programme, the registry actor id or `<country>/<name>` of an investor"
    )
    name: str
    regions: list[str] = Field(
        description="NUTS codes it is declared for: an ESIF programme's regions, a regional "
        "programme's region, a national programme's country"
    )
    country: str | None = Field(description="Member State or country, EU form (EL, UK)")
    project_id: uuid.UUID | None = Field(description="FSTP calls: the value chain running it")
    programme_version: int | None = Field(
        default=None,
        description="ESIF programmes loaded from the open data: the programme's version "
        "(`Ver`) held; a newer file replaces the plan, an older one is refused",
    )
    version: int = Field(description="Also the ETag: send it as If-Match to change it")
    updated_by: str
    created_at: datetime
    updated_at: datetime
    definition: dict[str, Any] = Field(
        description="The request that defined it, as validated (an ESIF programme's lines "
        "are in `lines`). A programme created by a CSV import has a null managing_authority "
        "and no regions until a PUT sets them"
    )
    lines: list[EsifLine] | None = Field(
        default=None, description="ESIF programmes: the financial plan; null for other kinds"
    )


class FundingSourcePage(BaseModel):
    items: list[FundingSource]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )


class RejectedRow(BaseModel):
    line: int = Field(description="Physical line of the file; the header is line 1")
    cci: str | None = Field(description="The row's CCI as written, when it had one")
    reason: str = Field(description="Every problem of the row, separated by '; '")


class FlaggedRow(BaseModel):
    line: int
    cci: str
    flags: list[str]


class EsifImportReport(BaseModel):
    """What an import of the ESIF planned finances did, and the rows it did not load: the
    first ``listing_limit`` by line, all of them counted by reason."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rows": 3,
                    "lines_loaded": 2,
                    "lines_created": 2,
                    "lines_updated": 0,
                    "lines_unchanged": 0,
                    "lines_retired": 0,
                    "programmes_created": 1,
                    "programmes_updated": 0,
                    "programmes_new_version": 0,
                    "programmes_unchanged": 0,
                    "rejected": 1,
                    "rejections": [
                        {
                            "line": 4,
                            "cci": "2014ES16RFOP003",
                            "reason": "EU 80000000.00 + national 20000000.00 = 100000000.00, "
                            "not the total 100000100.00 (off by -100.00)",
                        }
                    ],
                    "rejections_by_reason": {
                        "EU # + national # = #, not the total # (off by #)": 1
                    },
                    "flagged": [],
                    "flagged_total": 0,
                    "listing_limit": 1000,
                }
            ]
        }
    )

    rows: int = Field(description="Data rows read (blank lines are not rows)")
    lines_loaded: int = Field(description="Rows stored: created, updated or already as stored")
    lines_created: int
    lines_updated: int
    lines_unchanged: int
    lines_retired: int = Field(
        description="Lines of programmes the file brought a newer version of that the new "
        "version no longer has: removed from the plan"
    )
    programmes_created: int
    programmes_updated: int = Field(description="Existing programmes whose plan or title changed")
    programmes_new_version: int = Field(
        description="Existing programmes whose plan the file replaced with a newer version"
    )
    programmes_unchanged: int
    rejected: int = Field(description="rows = lines_loaded + rejected")
    rejections: list[RejectedRow] = Field(
        description="The first `listing_limit` rejected rows by line; values echoed are cut "
        "at 200 characters (500 for a reason) with a marker giving their length"
    )
    rejections_by_reason: dict[str, int] = Field(
        description="Every problem of the rejected rows counted by its reason, the values it "
        "quoted left out, most frequent first; at most 100 reasons, the rest counted under "
        "`other reasons`"
    )
    flagged: list[FlaggedRow] = Field(
        description="Loaded rows that carry flags: the first `listing_limit`"
    )
    flagged_total: int = Field(description="Loaded rows that carry flags, all counted")
    listing_limit: int


# --- planned totals ---------------------------------------------------------------------------


class EsifTotalsBy(StrEnum):
    """What the planned totals are added up by."""

    COUNTRY = "country"
    FUND = "fund"
    PROGRAMME = "programme"
    THEMATIC_OBJECTIVE = "thematic-objective"


class EsifTotal(BaseModel):
    key: str | None = Field(
        description="The country (EU form; TC for Interreg), fund, CCI or thematic "
        "objective; null for lines without one (a thematic objective)"
    )
    name: str | None = Field(description="By programme: its title; otherwise null")
    eu_amount: Decimal
    national_amount: Decimal
    total_amount: Decimal
    lines: int = Field(description="Plan lines added up")
    programmes: int = Field(description="Programmes they belong to")


class EsifTotals(BaseModel):
    """The planned ESIF 2014-2020 amounts of every stored programme line, added up."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "by": "fund",
                    "items": [
                        {
                            "key": "EAFRD",
                            "name": None,
                            "eu_amount": "1157700000.00",
                            "national_amount": "1526900000.00",
                            "total_amount": "2684600000.00",
                            "lines": 41,
                            "programmes": 2,
                        },
                        {
                            "key": "ERDF",
                            "name": None,
                            "eu_amount": "272000000.00",
                            "national_amount": "272000000.00",
                            "total_amount": "544000000.00",
                            "lines": 2,
                            "programmes": 1,
                        },
                    ],
                    "total": {
                        "key": None,
                        "name": None,
                        "eu_amount": "1429700000.00",
                        "national_amount": "1798900000.00",
                        "total_amount": "3228600000.00",
                        "lines": 43,
                        "programmes": 3,
                    },
                }
            ]
        }
    )

    by: EsifTotalsBy
    items: list[EsifTotal] = Field(description="In key order; lines without a key last")
    total: EsifTotal = Field(description="All the stored lines: the sum of the items")
