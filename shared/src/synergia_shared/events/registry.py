"""Events the registry publishes.

Actor, cluster and value-chain events carry the aggregate's whole public state after the
change (event-carried state transfer), so a consumer can build its projection from the
latest event alone and a replay converges. Codes (NACE, NUTS, ecosystems, competences)
travel as plain strings: the registry validates them, and a consumer must not reject an
event because the vocabulary grew.

Contact persons never travel: personal data stays out of the event log, which a
production cluster keeps forever. An actor event says how many of its contacts' consent
covers sharing with partners (``shared_contacts_count``); a service that shows them
fetches them from the registry (``GET /v1/actors/{id}/shared-contacts``) and an erasure
event tells every holder to drop them. ``shared_contacts`` stays in the schema for v1
consumers, always empty.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from synergia_shared.events.base import EventData

__all__ = [
    "ActorDeactivatedV1",
    "ActorKind",
    "ActorPersonalDataErasedV1",
    "ActorRegisteredV1",
    "ActorUpdatedV1",
    "ClusterMemberJoinedV1",
    "ClusterMemberLeftV1",
    "ClusterProfileUpdatedV1",
    "EventData",
    "ExpiredOfferNeedV1",
    "OfferNeedV1",
    "OwnerV1",
    "SharedContactV1",
    "ValueChainParticipantV1",
    "ValueChainStageV1",
    "ValueChainStatusChangedV1",
    "ValueChainUpdatedV1",
]

COUNTRY_PATTERN = r"^[A-Z]{2}$"


class ActorKind(StrEnum):
    SME = "sme"
    LARGE_ENTERPRISE = "large_enterprise"
    CLUSTER_ORGANISATION = "cluster_organisation"
    SME_INTERMEDIARY = "sme_intermediary"
    RESEARCH_ORGANISATION = "research_organisation"
    UNIVERSITY = "university"
    INVESTOR = "investor"
    PUBLIC_AUTHORITY = "public_authority"
    OTHER = "other"


class OfferNeedV1(EventData):
    """An offer or a need, as in the Enterprise Europe Network profiles."""

    id: uuid.UUID
    type: str = Field(
        description="technology_offer, technology_request, business_offer, business_request "
        "or rd_request"
    )
    title: str
    description: str = ""
    competences: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    valid_until: date | None = None


class OwnerV1(EventData):
    """Another actor holding a share of this one (for linked/partner enterprises)."""

    owner_actor_id: uuid.UUID
    share_percent: Decimal = Field(ge=0, le=100)
    controls: bool = False


class SharedContactV1(EventData):
    """A contact person whose consent covers sharing with partners. Deprecated in events:
    they no longer carry contacts (see the module's docstring)."""

    name: str
    email: str
    role: str | None = None


class ActorRegisteredV1(EventData):
    """A new innovation actor was registered. Fields after ``registered_at`` came later
    and are optional so that v1 consumers keep working."""

    actor_id: uuid.UUID
    legal_name: str = Field(min_length=1)
    short_name: str | None = None
    kind: ActorKind
    country: str = Field(
        pattern=COUNTRY_PATTERN,
        description="Country code as the EU writes it (EL for Greece, UK for the United Kingdom).",
    )
    registered_at: datetime
    country_standing: str | None = Field(
        default=None, description="member_state, associated_country or third_country"
    )
    pic: str | None = None
    website: str | None = None
    description: str | None = None
    nuts_code: str | None = None
    nuts_version: str | None = None
    nace_codes: list[str] = Field(default_factory=list)
    nace_revision: str | None = None
    ecosystems: list[str] = Field(default_factory=list)
    competences: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    offers: list[OfferNeedV1] = Field(default_factory=list)
    needs: list[OfferNeedV1] = Field(default_factory=list)
    owners: list[OwnerV1] = Field(default_factory=list)
    sme_category: str | None = Field(
        default=None, description="micro, small, medium or not_sme as computed by the registry"
    )
    sme_declared: str | None = None
    active: bool = True
    shared_contacts: list[SharedContactV1] = Field(
        default_factory=list,
        description="Deprecated: always empty (personal data stays out of the event log). "
        "Fetch the contacts from the registry when shared_contacts_count says there are some.",
    )
    version: int = 1
    national_id_scheme: str | None = Field(
        default=None,
        description="Scheme of national_id: BG-EIK, RO-CUI, SI-MS… (a national business "
        "register's identifier of the organisation)",
    )
    national_id: str | None = Field(default=None, description="Compact, as the scheme writes it")
    shared_contacts_count: int = Field(
        default=0,
        ge=0,
        description="How many of the actor's contact persons consent to being shared with "
        "partners, at this version; fetch them with GET /v1/actors/{id}/shared-contacts.",
    )


class ExpiredOfferNeedV1(EventData):
    """An offer or need whose validity ran out (its ``valid_until`` day is over, in UTC)."""

    id: uuid.UUID
    kind: str = Field(description="offer or need")
    title: str
    valid_until: date


class ActorUpdatedV1(ActorRegisteredV1):
    """An actor's profile changed; carries the whole profile after the change."""

    updated_at: datetime
    expired: list[ExpiredOfferNeedV1] = Field(
        default_factory=list,
        description="Set by the registry's daily expiry sweep: the offers and needs whose "
        "valid_until passed since the actor was last announced (they stay in offers and "
        "needs, and no longer count in matching). Empty on a change made by a client.",
    )


class ActorDeactivatedV1(EventData):
    """An actor was deactivated: kept for history, no longer matched or funded anew."""

    actor_id: uuid.UUID
    deactivated_at: datetime
    reason: str | None = None
    version: int


class ActorPersonalDataErasedV1(EventData):
    """The actor's contact persons were erased on request (GDPR Art. 17): every service
    drops what it holds of them. An erasure of one person (a data-subject request by
    e-mail) may leave others: ``shared_contacts_count`` says how many shared ones remain,
    to be fetched again."""

    actor_id: uuid.UUID
    erased_at: datetime
    version: int
    shared_contacts_count: int = Field(
        default=0, ge=0, description="Shared contact persons the actor still has after it"
    )


class ClusterProfileUpdatedV1(EventData):
    """A cluster organisation's cluster-specific profile was set or changed."""

    cluster_id: uuid.UUID = Field(description="The cluster organisation's actor id")
    ecosystems: list[str] = Field(default_factory=list)
    s3_priorities: list[str] = Field(default_factory=list)
    esca_label: str | None = Field(default=None, description="bronze, silver or gold")
    esca_valid_until: date | None = None
    management_fte: Decimal | None = None
    version: int


class ClusterMemberJoinedV1(EventData):
    cluster_id: uuid.UUID
    member_actor_id: uuid.UUID
    joined_on: date
    committed: bool = True


class ClusterMemberLeftV1(EventData):
    cluster_id: uuid.UUID
    member_actor_id: uuid.UUID
    left_on: date


class ValueChainStageV1(EventData):
    id: uuid.UUID
    position: int
    name: str
    description: str = ""
    competences: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)


class ValueChainParticipantV1(EventData):
    actor_id: uuid.UUID
    stage_id: uuid.UUID | None = None
    role: str
    planned_budget: Decimal | None = Field(default=None, description="EUR")


class ValueChainUpdatedV1(EventData):
    """A value-chain initiative was created or changed; carries its whole state."""

    value_chain_id: uuid.UUID
    title: str
    strategic_vision: str = ""
    target_industry: str = ""
    ecosystems: list[str] = Field(default_factory=list)
    lead_actor_ids: list[uuid.UUID] = Field(default_factory=list)
    stages: list[ValueChainStageV1] = Field(default_factory=list)
    participants: list[ValueChainParticipantV1] = Field(default_factory=list)
    status: str = Field(description="draft, open, formed, running or closed")
    version: int
    changed_at: datetime


class ValueChainStatusChangedV1(EventData):
    value_chain_id: uuid.UUID
    from_status: str
    to_status: str
    version: int
    changed_at: datetime
