"""Request and response models of the actor API (never the tables)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from synergia_shared.events.registry import ActorKind
from synergia_shared.http.iso_date import IsoDate
from synergia_shared.reference.competences import Competence
from synergia_shared.reference.countries import CountryStanding
from synergia_shared.reference.ecosystems import Ecosystem

from synergia_registry.actors.sme import SmeCategory

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
Keyword = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=80)
]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=500, pattern=r"^https?://\S+$")
]
Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]


def _distinct(values: list[Any]) -> list[Any]:
    """Keep the first of each value: a repeated code is noise, not a second meaning."""
    return list(dict.fromkeys(values))


Keywords = Annotated[list[Keyword], AfterValidator(_distinct), Field(max_length=50)]


class OfferType(StrEnum):
    """The profile types of the Enterprise Europe Network."""

    TECHNOLOGY_OFFER = "technology_offer"
    TECHNOLOGY_REQUEST = "technology_request"
    BUSINESS_OFFER = "business_offer"
    BUSINESS_REQUEST = "business_request"
    RD_REQUEST = "rd_request"


OFFER_TYPES = frozenset({OfferType.TECHNOLOGY_OFFER, OfferType.BUSINESS_OFFER})
NEED_TYPES = frozenset(
    {OfferType.TECHNOLOGY_REQUEST, OfferType.BUSINESS_REQUEST, OfferType.RD_REQUEST}
)


class OfferNeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: OfferType = Field(
        description="Offers: technology_offer, business_offer. Needs: technology_request, "
        "business_request, rd_request."
    )
    title: Name
    description: Text = ""
    competences: Annotated[list[Competence], AfterValidator(_distinct)] = Field(
        default_factory=list
    )
    keywords: Keywords = Field(default_factory=list)
    valid_until: IsoDate | None = Field(
        default=None,
        description="Last day (UTC) the offer or need holds; from the next day it is "
        "expired: shown as such and no longer matched. Today or later on a new entry; an "
        "update may keep an entry already stored with a past date, unchanged.",
        examples=["2027-06-30"],
    )


class OfferNeed(OfferNeedIn):
    id: uuid.UUID
    expired: bool = Field(
        default=False,
        description="Read-only: valid_until is before today (UTC). An expired entry stays "
        "on the profile until the actor removes or renews it, and matching ignores it.",
    )


class YearFigures(BaseModel):
    """One accounting year, as the SME definition counts it."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=1900, le=2100)
    headcount: Decimal = Field(
        ge=0, max_digits=12, decimal_places=2, description="Annual work units"
    )
    turnover: Money = Field(description="EUR")
    balance_sheet: Money = Field(description="Balance sheet total, EUR")


class Owner(BaseModel):
    """Another registered actor holding a share of this one."""

    model_config = ConfigDict(extra="forbid")

    owner_actor_id: uuid.UUID
    share_percent: Decimal = Field(gt=0, le=100, max_digits=5, decimal_places=2)
    controls: bool = Field(
        default=False, description="Control without a majority (makes the two linked)."
    )
    exempt_investor: bool = Field(
        default=False,
        description="A public investment corporation, venture capital, business angel, "
        "university, institutional investor or small local authority: up to 50 % it does "
        "not break autonomy (2003/361/EC Annex Art. 3(2)).",
    )


class ContactPersonIn(BaseModel):
    """A contact person: personal data, held on the basis of their consent."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    email: Email
    role: Name | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    consent_given_at: datetime = Field(description="When the person consented to be listed.")
    share_with_partners: bool = Field(
        default=False,
        description="The consent also covers showing this contact to matched partners "
        "(other Synergia services).",
    )


class ContactPerson(ContactPersonIn):
    id: uuid.UUID


class ProfileFields(BaseModel):
    """Everything a client may set on an actor."""

    model_config = ConfigDict(extra="forbid")

    legal_name: Name = Field(description="The registered legal name.")
    short_name: Name | None = Field(default=None, description="Acronym or short name.")
    kind: ActorKind
    country: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True)] = Field(
        description="ISO 3166-1 alpha-2 or EU code; GR/EL and GB/UK are accepted and stored "
        "as EL and UK. Countries outside the EU and the H2020 Associated Countries are "
        "accepted and flagged as third countries.",
        examples=["DE", "EL"],
    )
    pic: str | None = Field(default=None, description="9-digit Participant Identification Code")
    vat_number: str | None = Field(default=None, description="Validated for the country")
    national_id: str | None = Field(
        default=None,
        description="The organisation's number in its national business register (BG EIK/"
        "BULSTAT, RO CUI, SI matična številka…), checked for the scheme; unique per scheme.",
        examples=["175074752"],
    )
    national_id_scheme: str | None = Field(
        default=None,
        description="Whose number `national_id` is (`BG-EIK`, `RO-CUI`, `SI-MS`…); by "
        "default the country's first scheme. The schemes and their countries are listed in "
        "docs/registry.md.",
    )
    website: Url | None = None
    description: Text = ""
    nuts_code: str | None = Field(
        default=None, description="Must exist in nuts_version and lie in the country"
    )
    nuts_version: str = Field(default="2024", description="NUTS 2021 for H2020-era data")
    nace_codes: Annotated[list[str], AfterValidator(_distinct)] = Field(
        default_factory=list, max_length=20, description="NACE codes, e.g. C28.11 or 62.01"
    )
    nace_revision: str = Field(default="2.1", description="2 or 2.1")
    ecosystems: Annotated[list[Ecosystem], AfterValidator(_distinct)] = Field(default_factory=list)
    competences: Annotated[list[Competence], AfterValidator(_distinct)] = Field(
        default_factory=list
    )
    keywords: Keywords = Field(default_factory=list)
    offers: list[OfferNeedIn] = Field(default_factory=list, max_length=50)
    needs: list[OfferNeedIn] = Field(default_factory=list, max_length=50)
    sme_declared: SmeCategory | None = Field(
        default=None, description="What the actor declares; checked against the computed one."
    )
    financials: list[YearFigures] = Field(default_factory=list, max_length=30)
    owners: list[Owner] = Field(default_factory=list, max_length=50)
    contacts: list[ContactPersonIn] = Field(default_factory=list, max_length=20)


_EXAMPLE_CREATE: dict[str, Any] = {
    "legal_name": "Olympic Agri-Food Cluster",
    "short_name": "OAFC",
    "kind": "cluster_organisation",
    "country": "GR",
    "nuts_code": "EL30",
    "nuts_version": "2021",
    "nace_codes": ["N70.20"],
    "ecosystems": ["agri_food"],
    "competences": ["food_processing"],
    "keywords": ["olive oil", "traceability"],
    "offers": [
        {
            "type": "business_offer",
            "title": "Access to 120 Greek agri-food SMEs",
            "competences": ["food_processing"],
        }
    ],
    "needs": [
        {
            "type": "technology_request",
            "title": "Blockchain traceability for olive oil",
            "keywords": ["blockchain", "traceability"],
        }
    ],
}


class ActorCreate(ProfileFields):
    """What it takes to register an innovation actor: a name, a kind and a country; the
    rest can follow."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                _EXAMPLE_CREATE,
                {
                    "legal_name": "Fraunhofer-Gesellschaft e.V.",
                    "kind": "research_organisation",
                    "country": "DE",
                },
            ]
        },
    )


MAX_CREATE_ITEMS = 1000


class ActorBatchCreate(BaseModel):
    """Actors to register together, each as ``POST /v1/actors`` takes it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "legal_name": "Olympic Agri-Food Cluster",
                            "kind": "cluster_organisation",
                            "country": "EL",
                        },
                        {
                            "legal_name": "Fraunhofer-Gesellschaft e.V.",
                            "kind": "research_organisation",
                            "country": "DE",
                        },
                    ]
                }
            ]
        },
    )

    items: list[ActorCreate] = Field(min_length=1, max_length=MAX_CREATE_ITEMS)


class CreatedActor(BaseModel):
    """An actor a batch registered: its id and version (read it at ``/v1/actors/{id}``)."""

    index: int = Field(description="The item's position in the batch")
    id: uuid.UUID
    version: int


class ActorBatchCreated(BaseModel):
    """The batch's actors, in the order of its items."""

    items: list[CreatedActor]


class ActorPatch(BaseModel):
    """A partial update: only the fields sent change; lists are replaced whole."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"website": "https://oafc.gr", "keywords": ["olive oil"]}]},
    )

    legal_name: Name | None = None
    short_name: Name | None = None
    kind: ActorKind | None = None
    country: str | None = None
    pic: str | None = None
    vat_number: str | None = None
    national_id: str | None = None
    national_id_scheme: str | None = None
    website: Url | None = None
    description: Text | None = None
    nuts_code: str | None = None
    nuts_version: str | None = None
    nace_codes: list[str] | None = None
    nace_revision: str | None = None
    ecosystems: list[Ecosystem] | None = None
    competences: list[Competence] | None = None
    keywords: list[str] | None = None
    offers: list[OfferNeedIn] | None = None
    needs: list[OfferNeedIn] | None = None
    sme_declared: SmeCategory | None = None
    financials: list[YearFigures] | None = None
    owners: list[Owner] | None = None
    contacts: list[ContactPersonIn] | None = None


class Deactivation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text | None = Field(default=None, examples=["Company dissolved"])


class SmeSummary(BaseModel):
    declared: SmeCategory | None
    computed: SmeCategory | None = Field(
        description="From the accounts and the partner/linked enterprises; null without data"
    )
    contradicts_declared: bool
    autonomy: str | None = Field(description="autonomous, partner or linked")


class Actor(BaseModel):
    """An innovation actor as the registry holds it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_EXAMPLE_CREATE,
                    "id": "3f0c9a52-6a43-4b7e-9d0e-2f4b8e1f6c21",
                    "offers": [
                        {
                            **_EXAMPLE_CREATE["offers"][0],
                            "id": "0c1f6a3e-5b2d-4e8f-9a7c-1d3b5e7f9a20",
                            "expired": False,
                        }
                    ],
                    "needs": [
                        {
                            **_EXAMPLE_CREATE["needs"][0],
                            "id": "7a2e4c6b-8d0f-4a1c-b3e5-9f7d1c3a5e42",
                            "expired": False,
                        }
                    ],
                    "country": "EL",
                    "country_name": "Greece",
                    "country_standing": "member_state",
                    "country_standing_horizon_europe": "member_state",
                    "pic": None,
                    "vat_number": None,
                    "national_id": None,
                    "national_id_scheme": None,
                    "website": None,
                    "description": "",
                    "nace_revision": "2.1",
                    "sme_declared": None,
                    "financials": [],
                    "owners": [],
                    "contacts": None,
                    "sme": {
                        "declared": None,
                        "computed": None,
                        "contradicts_declared": False,
                        "autonomy": None,
                    },
                    "active": True,
                    "deactivated_at": None,
                    "version": 1,
                    "created_at": "2026-11-24T09:30:00Z",
                    "updated_at": "2026-11-24T09:30:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    legal_name: str
    short_name: str | None
    kind: ActorKind
    country: str = Field(description="EU form: EL for Greece, UK for the United Kingdom.")
    country_name: str
    country_standing: CountryStanding = Field(
        description="The country's standing in Horizon 2020, the programme of the "
        "consortium rule. third_country is allowed but flagged: it does not count toward "
        "the consortium's Member States or Associated Countries."
    )
    country_standing_horizon_europe: CountryStanding = Field(
        description="The country's standing in Horizon Europe, whose associated countries "
        "differ (Kosovo, XK, and the United Kingdom are associated; Switzerland is not). "
        "Never united_kingdom.",
        examples=["member_state"],
    )
    pic: str | None = None
    vat_number: str | None = None
    national_id: str | None = None
    national_id_scheme: str | None = None
    website: str | None = None
    description: str = ""
    nuts_code: str | None = None
    nuts_version: str | None = None
    nace_codes: list[str] = Field(default_factory=list)
    nace_revision: str | None = None
    ecosystems: list[Ecosystem] = Field(default_factory=list)
    competences: list[Competence] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    offers: list[OfferNeed] = Field(default_factory=list)
    needs: list[OfferNeed] = Field(default_factory=list)
    sme_declared: SmeCategory | None = None
    financials: list[YearFigures] = Field(default_factory=list)
    owners: list[Owner] = Field(default_factory=list)
    contacts: list[ContactPerson] | None = Field(
        default=None,
        description="Only for the actor itself, the managers of its clusters and admins; "
        "null for everyone else.",
    )
    sme: SmeSummary
    active: bool = True
    deactivated_at: datetime | None = None
    version: int
    created_at: datetime
    updated_at: datetime


class ActorFacet(StrEnum):
    COUNTRY = "country"
    KIND = "kind"
    ECOSYSTEM = "ecosystem"
    NACE_SECTION = "nace_section"


class SearchTotal(BaseModel):
    value: int = Field(ge=0, examples=[1234])
    exact: bool = Field(
        description="false when counting stopped at the cap (10,000): then at least `value`"
    )


class FacetCount(BaseModel):
    value: str = Field(examples=["DE"])
    count: int = Field(ge=1, description="Actors with this value")


class ActorFacets(BaseModel):
    """Per facet asked for in `facets` (the others are null): how many actors have each
    value, among those matching every filter but the facet's own; most frequent first."""

    country: list[FacetCount] | None = None
    kind: list[FacetCount] | None = None
    ecosystem: list[FacetCount] | None = None
    nace_section: list[FacetCount] | None = Field(
        default=None, description="Section letters of the actors' NACE codes"
    )


class ActorPage(BaseModel):
    items: list[Actor]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )
    total: SearchTotal | None = Field(
        default=None, description="How many actors match the filters (with `total=true`)"
    )
    facets: ActorFacets | None = Field(
        default=None,
        description="With `facets`: the number of actors per value of each facet asked "
        "for, counted with every filter but the facet's own (so a filter's other values "
        "show what choosing them would give)",
    )


class SmeAssessmentView(BaseModel):
    """How the registry arrived at the SME category, in plain sentences."""

    actor_id: uuid.UUID
    declared: SmeCategory | None
    computed: SmeCategory | None
    contradicts_declared: bool
    autonomy: str | None
    explanation: list[str]
    by_year: list[dict[str, Any]]


class PersonalDataExport(BaseModel):
    """Everything personal the registry holds about an actor's people (GDPR Art. 15/20)."""

    actor_id: uuid.UUID
    exported_at: datetime
    contacts: list[ContactPerson]


class SharedContact(BaseModel):
    """A contact person whose consent covers showing them to matched partners."""

    name: str
    email: str
    role: str | None = None


class SharedContacts(BaseModel):
    """What a projection service fetches of an actor's people: only the shared ones, read
    at ``version`` (the actor's version, which every erasure raises)."""

    actor_id: uuid.UUID
    version: int = Field(description="The actor's version when the contacts were read")
    contacts: list[SharedContact]


class PersonQuery(BaseModel):
    """A data subject, by e-mail (in the body: an e-mail in a URL ends up in access logs)."""

    model_config = ConfigDict(extra="forbid")

    email: Email


class PersonContact(ContactPersonIn):
    """One contact person with the e-mail asked for, and the actor holding it."""

    actor_id: uuid.UUID
    actor_legal_name: str


class PersonalDataFound(BaseModel):
    """Every contact person with the e-mail, across actors (GDPR Art. 15)."""

    email: str
    contacts: list[PersonContact]


class ActorErasure(BaseModel):
    actor_id: uuid.UUID
    contacts_erased: int


class PersonErased(BaseModel):
    """The actors that held the person, each erased and announced with
    ``actor.personal-data-erased``."""

    email: str
    erased_at: datetime
    actors: list[ActorErasure]
