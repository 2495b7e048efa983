"""What a regional authority sends to register its beneficiaries, and what it gets back.

An item is a beneficiary as the authority knows it: its own id for it (``external_id``),
the organisation's names, country and region, and whichever identifiers it has. The
results speak in the same ids, item by item.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from synergia_shared.events.registry import ActorKind

from synergia_registry.actors.schemas import Name, Url
from synergia_registry.regions.schemas import NutsRegionView

MAX_BATCH_ITEMS = 5000

ExternalId = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S(?:.*\S)?$")
]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]
RegionName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class BeneficiaryIn(BaseModel):
    """One beneficiary (the same fields in a CSV row)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "external_id": "BG-SW-000417",
                    "legal_name": "Агро Струма ЕООД",  # noqa: RUF001
                    "country": "BG",
                    "nuts_code": "BG413",
                    "national_id": "175074752",
                },
                {
                    "external_id": "BG-SW-000419",
                    "legal_name": "Pirin Wood Products OOD",
                    "country": "BG",
                    "region": "Blagoevgrad Province",
                },
                {
                    "external_id": "BG-SW-000418",
                    "legal_name": "Blagoevgrad Mechatronics Cluster",
                    "kind": "cluster_organisation",
                    "country": "BG",
                    "nuts_code": "BG413",
                    "pic": "999912345",
                    "allow_similar_name": True,
                },
            ]
        },
    )

    external_id: ExternalId = Field(
        description="The sender's own id for this beneficiary: the results name the item by "
        "it, and a resent item with the same id finds its actor again"
    )
    legal_name: Name
    short_name: Name | None = None
    kind: ActorKind = Field(
        default=ActorKind.OTHER,
        description="Beneficiary lists rarely say; `other` until the actor or an "
        "administrator says more",
    )
    country: Code = Field(description="ISO or EU code (GR/EL, GB/UK alike)")
    nuts_code: Code | None = Field(
        default=None,
        description="Where the organisation is (or `region`, its name): must lie in the "
        "authority's region for it to be registered by the authority (an administrator may "
        "leave it out)",
    )
    region: RegionName | None = Field(
        default=None,
        description="The region in words, as beneficiary lists write it, in any language "
        "or script (`Бургас`, `Blagoevgrad Province`, `Sud-Vest Oltenia`): resolved to its "
        "NUTS code in the item's country and `nuts_version`. A name that several regions "
        "carry, or none, refuses the item, listing the `candidates`. With `nuts_code` as "
        "well, the name must be that region or one containing it",
    )
    nuts_version: Code = Field(default="2024", description="NUTS 2021 for H2020-era data")
    pic: Code | None = Field(default=None, description="9-digit Participant Identification Code")
    vat_number: Code | None = Field(default=None, description="With or without its prefix")
    national_id: Code | None = Field(
        default=None, description="National business register number (BG EIK, RO CUI, SI MS…)"
    )
    national_id_scheme: Code | None = Field(
        default=None, description="`BG-EIK`, `RO-CUI`, `SI-MS`…; the country's first by default"
    )
    website: Url | None = None
    allow_similar_name: bool = Field(
        default=False,
        description="Register even if an actor of the same country has a similar name (the "
        "sender checked that it is another organisation)",
    )


class BeneficiaryBatchIn(BaseModel):
    """The batch as documented; the service validates the items one by one."""

    model_config = ConfigDict(extra="forbid")

    items: list[BeneficiaryIn] = Field(min_length=1, max_length=MAX_BATCH_ITEMS)


Status = Literal["registered", "matched", "possible_duplicate", "rejected"]
MatchedBy = Literal["external_id", "pic", "vat_number", "national_id"]


class ItemProblem(BaseModel):
    """Why an item was refused: an RFC 9457 problem for the item alone."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None
    candidates: list[NutsRegionView] | None = Field(
        default=None,
        description="A region name that names several regions: all of them; that names "
        "none: near misses",
    )


class Candidate(BaseModel):
    """An actor whose name is close to the item's, in the same country."""

    actor_id: uuid.UUID
    legal_name: str
    nuts_code: str | None


class BeneficiaryResult(BaseModel):
    index: int = Field(description="Position in the batch (CSV: the row number, header = 1)")
    external_id: str | None
    status: Status = Field(
        description="registered: a new actor; matched: an actor the registry already had "
        "(nothing created); possible_duplicate: not registered, an actor of the same country "
        "has a similar name (see candidates; resend with allow_similar_name to register "
        "anyway); rejected: not registered (see problem)"
    )
    actor_id: uuid.UUID | None = Field(
        default=None, description="registered or matched: the actor (the id funding knows)"
    )
    matched_by: list[MatchedBy] = Field(
        default_factory=list,
        description="matched: what found it; `external_id` when this sender sent the item before",
    )
    replayed: bool = Field(
        default=False, description="This sender's external id was received before"
    )
    candidates: list[Candidate] = Field(
        default_factory=list, description="possible_duplicate: the actors with a similar name"
    )
    problem: ItemProblem | None = None


class BatchRegistrationResult(BaseModel):
    sender: str = Field(
        description="Whose external ids these are: `authority:<NUTS>` for a regional "
        "authority (its officials and its API keys alike), an administrator's subject"
    )
    registered: int
    matched: int
    possible_duplicates: int
    rejected: int
    items: list[BeneficiaryResult]
