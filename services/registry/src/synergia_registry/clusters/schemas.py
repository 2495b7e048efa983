"""Request and response models for cluster organisations (never the table rows)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.config import JsonDict
from synergia_shared.events.registry import ActorKind
from synergia_shared.http.iso_date import IsoDate
from synergia_shared.reference.countries import CountryStanding
from synergia_shared.reference.ecosystems import Ecosystem

from synergia_registry.clusters.rules import ClusterCriterion, EscaLabel, HelixGroup

S3Priority = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]

CLUSTER_ID = "3f0c9a52-6a43-4b7e-9d0e-2f4b8e1f6c21"
MEMBER_ID = "8d5e2b1a-0c4f-4a7d-b6e3-91f0d2c4a8b7"


class ClusterProfileUpdate(BaseModel):
    """The whole cluster profile: a PUT replaces it, omitted fields are cleared."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "ecosystems": ["agri_food", "digital"],
                    "s3_priorities": ["Agro-food value chains", "Precision agriculture"],
                    "esca_label": "silver",
                    "esca_valid_until": "2027-06-30",
                    "management_fte": "2.5",
                }
            ]
        },
    )

    ecosystems: list[Ecosystem] = Field(
        default_factory=list,
        max_length=14,
        description="Industrial ecosystems of the EU Industrial Strategy; repeats are dropped.",
    )
    s3_priorities: list[S3Priority] = Field(
        default_factory=list,
        max_length=50,
        description="Smart-specialisation (RIS3/S3) priorities the cluster contributes to, "
        "as the regional strategy words them; repeats are dropped.",
    )
    esca_label: EscaLabel | None = Field(
        default=None, description="ESCA cluster-management excellence label."
    )
    esca_valid_until: IsoDate | None = Field(
        default=None,
        validate_default=True,
        description="Last day the ESCA label is valid; required with a label, and only with one.",
    )
    management_fte: Decimal | None = Field(
        default=None,
        ge=0,
        max_digits=6,
        decimal_places=2,
        description="Full-time equivalents of cluster management staff.",
    )

    @field_validator("esca_valid_until")
    @classmethod
    def _label_and_validity_together(cls, value: date | None, info: ValidationInfo) -> date | None:
        if "esca_label" not in info.data:
            return value  # the label itself is invalid and reported
        label = info.data["esca_label"]
        if label is not None and value is None:
            raise ValueError("required with an esca_label")
        if label is None and value is not None:
            raise ValueError("only allowed with an esca_label")
        return value


SUMMARY_EXAMPLE: JsonDict = {
    "id": CLUSTER_ID,
    "legal_name": "Olympic Agri-Food Cluster",
    "short_name": "OAFC",
    "country": "EL",
    "country_name": "Greece",
    "country_standing": "member_state",
    "ecosystems": ["agri_food", "digital"],
    "s3_priorities": ["Agro-food value chains"],
    "esca_label": "silver",
    "esca_valid_until": "2027-06-30",
    "esca_label_valid": True,
    "management_fte": "2.50",
    "member_count": 18,
    "version": 7,
    "updated_at": "2026-11-24T09:30:00Z",
}


class ClusterSummary(BaseModel):
    """A cluster organisation with its cluster profile."""

    model_config = ConfigDict(json_schema_extra={"examples": [SUMMARY_EXAMPLE]})

    id: uuid.UUID = Field(description="The cluster organisation's actor id.")
    legal_name: str
    short_name: str | None
    country: str = Field(description="EU form: EL for Greece, UK for the United Kingdom.")
    country_name: str
    country_standing: CountryStanding
    ecosystems: list[str]
    s3_priorities: list[str]
    esca_label: EscaLabel | None
    esca_valid_until: date | None
    esca_label_valid: bool = Field(description="A label is held and its validity has not run out.")
    management_fte: Decimal | None
    member_count: int = Field(description="Current members, committed or not.")
    version: int = Field(
        description="The cluster's version (0 before anything was recorded); bumped by "
        "profile updates and membership changes. It is the ETag."
    )
    updated_at: datetime | None


class CriterionReport(BaseModel):
    criterion: ClusterCriterion
    met: bool
    value: int | float | None = Field(description="The measured value; null when not recorded.")
    threshold: int | float
    missing: str | None = Field(description="What is missing, in words; null when met.")
    helix_groups: list[HelixGroup] | None = Field(
        default=None, description="member_types only: the triple-helix groups covered."
    )


COMPLETENESS_EXAMPLE: JsonDict = {
    "cluster_id": CLUSTER_ID,
    "complete": False,
    "criteria": [
        {
            "criterion": "management_fte",
            "met": True,
            "value": 2.5,
            "threshold": 0.5,
            "missing": None,
            "helix_groups": None,
        },
        {
            "criterion": "committed_members",
            "met": False,
            "value": 12,
            "threshold": 15,
            "missing": "12 committed members, 3 more needed",
            "helix_groups": None,
        },
        {
            "criterion": "member_types",
            "met": True,
            "value": 2,
            "threshold": 2,
            "missing": None,
            "helix_groups": ["business", "research_education"],
        },
    ],
    "source": "European Cluster Collaboration Platform listing criteria: at least 0.5 FTE "
    "of cluster management, at least 15 committed members, at least 2 member types "
    "(triple helix)",
}


class CompletenessReportView(BaseModel):
    """The ECCP listing check: a completeness report, not a hard rule."""

    model_config = ConfigDict(json_schema_extra={"examples": [COMPLETENESS_EXAMPLE]})

    cluster_id: uuid.UUID
    complete: bool
    criteria: list[CriterionReport]
    source: str = Field(description="Where the thresholds come from.")


class Cluster(ClusterSummary):
    """A cluster organisation with its profile, member counts and completeness report."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **SUMMARY_EXAMPLE,
                    "committed_member_count": 12,
                    "completeness": COMPLETENESS_EXAMPLE,
                }
            ]
        }
    )

    committed_member_count: int = Field(description="Current members that are committed.")
    completeness: CompletenessReportView


class ClusterPage(BaseModel):
    items: list[ClusterSummary]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class MemberJoin(BaseModel):
    """An actor joins the cluster."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"actor_id": MEMBER_ID, "joined_on": "2026-01-15", "committed": True},
                {"actor_id": MEMBER_ID},
            ]
        },
    )

    actor_id: uuid.UUID = Field(description="The member actor; not the cluster itself.")
    joined_on: IsoDate | None = Field(
        default=None, description="Defaults to today; not in the future."
    )
    committed: bool = Field(
        default=True,
        description="A committed member counts toward the completeness check; others "
        "(observers, newsletter members) are listed only.",
    )


MAX_JOIN_ITEMS = 1000


class MemberRecord(MemberJoin):
    """A membership of a batch: an actor joins, and may already have left (or be due to)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"actor_id": MEMBER_ID, "joined_on": "2021-03-01", "left_on": "2024-12-31"},
            ]
        },
    )

    left_on: IsoDate | None = Field(
        default=None,
        description="A departure known already: the first day the actor is no longer a "
        "member (not before joined_on; a future date schedules it).",
    )


class MemberBatch(BaseModel):
    """Memberships to record together, in order."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {"actor_id": MEMBER_ID, "joined_on": "2026-01-15", "committed": True},
                    ]
                }
            ]
        },
    )

    items: list[MemberRecord] = Field(min_length=1, max_length=MAX_JOIN_ITEMS)


class MemberLeave(BaseModel):
    """A member leaves the cluster."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"left_on": "2026-12-31"}, {}]},
    )

    left_on: IsoDate | None = Field(
        default=None,
        description="The first day the actor is no longer a member; defaults to today. A "
        "future date schedules the departure: the actor stays a current member until then.",
    )


class ClusterMember(BaseModel):
    """One membership of an actor in a cluster."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "membership_id": "5b7c1e0d-2f3a-4c8e-9a1b-0d6e4f2c3b5a",
                    "cluster_id": CLUSTER_ID,
                    "actor_id": MEMBER_ID,
                    "legal_name": "Thessaly Olive Oil Producers S.A.",
                    "short_name": None,
                    "kind": "sme",
                    "country": "EL",
                    "joined_on": "2026-01-15",
                    "left_on": None,
                    "committed": True,
                    "current": True,
                }
            ]
        }
    )

    membership_id: uuid.UUID
    cluster_id: uuid.UUID
    actor_id: uuid.UUID
    legal_name: str
    short_name: str | None
    kind: ActorKind
    country: str
    joined_on: date
    left_on: date | None
    committed: bool
    current: bool = Field(description="No leaving date, or one still in the future.")


class MemberPage(BaseModel):
    items: list[ClusterMember]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class MembersRecorded(BaseModel):
    """The batch's memberships, in the order of its items."""

    items: list[ClusterMember]
