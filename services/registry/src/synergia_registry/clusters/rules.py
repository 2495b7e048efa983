"""Pure rules about cluster organisations: no I/O, unit tested on their own.

Decisions:

- Completeness is the European Cluster Collaboration Platform (ECCP) listing check of
  DOMAIN.md: a report, never a refusal. Thresholds live in :data:`ECCP_LISTING` only.
- Members count toward completeness when their membership is *current* (no leaving
  date, or one still in the future) and *committed*. Uncommitted members (e.g. observers
  or newsletter members) are listed but do not count, for either criterion.
- "At least 2 member types (triple helix)" is counted in triple-helix groups, not raw
  actor kinds: two SMEs and a large enterprise are still one side of the helix.
  business = sme, large_enterprise, sme_intermediary, cluster_organisation, investor
  (a cluster organisation member is an industry-side business network; investors are
  private capital); research & education = research_organisation, university;
  public = public_authority. Kind ``other`` belongs to no group and never adds one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from synergia_shared.events.registry import ActorKind


class EscaLabel(StrEnum):
    """European Secretariat for Cluster Analysis cluster-management excellence labels."""

    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"


class HelixGroup(StrEnum):
    BUSINESS = "business"
    RESEARCH_EDUCATION = "research_education"
    PUBLIC = "public"


HELIX_GROUP_LABELS: Mapping[HelixGroup, str] = {
    HelixGroup.BUSINESS: "business",
    HelixGroup.RESEARCH_EDUCATION: "research & education",
    HelixGroup.PUBLIC: "public",
}

HELIX_GROUP_OF_KIND: Mapping[ActorKind, HelixGroup | None] = {
    ActorKind.SME: HelixGroup.BUSINESS,
    ActorKind.LARGE_ENTERPRISE: HelixGroup.BUSINESS,
    ActorKind.SME_INTERMEDIARY: HelixGroup.BUSINESS,
    ActorKind.CLUSTER_ORGANISATION: HelixGroup.BUSINESS,
    ActorKind.INVESTOR: HelixGroup.BUSINESS,
    ActorKind.RESEARCH_ORGANISATION: HelixGroup.RESEARCH_EDUCATION,
    ActorKind.UNIVERSITY: HelixGroup.RESEARCH_EDUCATION,
    ActorKind.PUBLIC_AUTHORITY: HelixGroup.PUBLIC,
    ActorKind.OTHER: None,
}


KINDS = frozenset(ActorKind)


@dataclass(frozen=True)
class CompletenessThresholds:
    min_management_fte: Decimal
    min_committed_members: int
    min_helix_groups: int


# DOMAIN.md, "Cluster organisations": the European Cluster Collaboration Platform lists a
# cluster organisation when it has at least 0.5 FTE of cluster management, at least 15
# committed members and at least 2 member types (triple helix). A completeness check,
# not a hard rule. Change the numbers here and nowhere else.
ECCP_LISTING = CompletenessThresholds(
    min_management_fte=Decimal("0.5"),
    min_committed_members=15,
    min_helix_groups=2,
)
COMPLETENESS_SOURCE = (
    "European Cluster Collaboration Platform listing criteria: at least 0.5 FTE of cluster "
    "management, at least 15 committed members, at least 2 member types (triple helix)"
)


class ClusterCriterion(StrEnum):
    MANAGEMENT_FTE = "management_fte"
    COMMITTED_MEMBERS = "committed_members"
    MEMBER_TYPES = "member_types"


@dataclass(frozen=True)
class CriterionResult:
    criterion: ClusterCriterion
    met: bool
    value: Decimal | int | None
    threshold: Decimal | int
    missing: str | None
    """What is missing, in words; ``None`` when the criterion is met."""
    helix_groups: tuple[HelixGroup, ...] = ()
    """For ``member_types``: the triple-helix groups the committed members cover."""


@dataclass(frozen=True)
class CompletenessReport:
    complete: bool
    criteria: tuple[CriterionResult, ...] = field(default_factory=tuple)


def _fte(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _members(count: int) -> str:
    return f"{count} committed member{'' if count == 1 else 's'}"


def assess_management_fte(
    management_fte: Decimal | None, thresholds: CompletenessThresholds = ECCP_LISTING
) -> CriterionResult:
    need = thresholds.min_management_fte
    if management_fte is None:
        return CriterionResult(
            ClusterCriterion.MANAGEMENT_FTE,
            False,
            None,
            need,
            f"cluster management FTE not recorded; at least {_fte(need)} FTE needed",
        )
    met = management_fte >= need
    missing = (
        None
        if met
        else f"{_fte(management_fte)} FTE of cluster management, "
        f"{_fte(need - management_fte)} more needed"
    )
    return CriterionResult(ClusterCriterion.MANAGEMENT_FTE, met, management_fte, need, missing)


def assess_committed_members(
    committed_members: int, thresholds: CompletenessThresholds = ECCP_LISTING
) -> CriterionResult:
    need = thresholds.min_committed_members
    met = committed_members >= need
    missing = (
        None if met else f"{_members(committed_members)}, {need - committed_members} more needed"
    )
    return CriterionResult(
        ClusterCriterion.COMMITTED_MEMBERS, met, committed_members, need, missing
    )


def helix_groups_of(kinds: Iterable[ActorKind | str]) -> tuple[HelixGroup, ...]:
    """The triple-helix groups that members of these kinds cover, in a fixed order."""
    present = {HELIX_GROUP_OF_KIND.get(ActorKind(kind)) for kind in kinds if kind in KINDS}
    return tuple(group for group in HelixGroup if group in present)


def assess_member_types(
    groups: tuple[HelixGroup, ...], thresholds: CompletenessThresholds = ECCP_LISTING
) -> CriterionResult:
    need = thresholds.min_helix_groups
    met = len(groups) >= need
    missing: str | None = None
    if not met:
        absent = [HELIX_GROUP_LABELS[g] for g in HelixGroup if g not in groups]
        short = need - len(groups)
        covered = (
            "no committed members from any triple-helix group"
            if not groups
            else "committed members only from the "
            + " and ".join(HELIX_GROUP_LABELS[g] for g in groups)
            + f" group{'' if len(groups) == 1 else 's'}"
        )
        missing = (
            f"{covered}; members from {short} more group{'' if short == 1 else 's'} needed "
            f"({' or '.join(absent)})"
        )
    return CriterionResult(ClusterCriterion.MEMBER_TYPES, met, len(groups), need, missing, groups)


def assess_completeness(
    management_fte: Decimal | None,
    committed_members_by_kind: Mapping[str, int],
    thresholds: CompletenessThresholds = ECCP_LISTING,
) -> CompletenessReport:
    """The ECCP listing check: every criterion with its value, threshold and what is missing.

    ``committed_members_by_kind`` counts the cluster's current, committed members by
    actor kind.
    """
    counted = {kind: n for kind, n in committed_members_by_kind.items() if n > 0}
    criteria = (
        assess_management_fte(management_fte, thresholds),
        assess_committed_members(sum(counted.values()), thresholds),
        assess_member_types(helix_groups_of(counted), thresholds),
    )
    return CompletenessReport(all(c.met for c in criteria), criteria)


# --- memberships -----------------------------------------------------------------------


def is_current(left_on: date | None, today: date) -> bool:
    """A membership is current until its leaving date (the first day as a non-member).

    The same predicate as SQL ``left_on IS NULL OR left_on > current_date``.
    """
    return left_on is None or left_on > today


def esca_label_valid(label: EscaLabel | str | None, valid_until: date | None, today: date) -> bool:
    """A label counts while its validity has not run out (valid through ``valid_until``)."""
    return label is not None and (valid_until is None or valid_until >= today)


class RuleViolation(Exception):
    """A domain rule a request breaks; ``field`` names the request field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def check_not_self(cluster_id: object, member_actor_id: object) -> None:
    if member_actor_id == cluster_id:
        raise RuleViolation("actor_id", "a cluster organisation cannot be its own member")


def check_join_date(*, joined_on: date, today: date, previous_left_on: date | None) -> None:
    """A new membership starts no later than today (current means "joined and not left",
    and the shared SQL predicate only looks at ``left_on``) and not before the actor's
    previous membership of this cluster ended. Raises :class:`RuleViolation`."""
    if joined_on > today:
        raise RuleViolation(
            "joined_on", f"{joined_on} is in the future; record the membership when it starts"
        )
    if previous_left_on is not None and joined_on < previous_left_on:
        raise RuleViolation(
            "joined_on",
            f"{joined_on} is before {previous_left_on}, when the actor's previous "
            "membership of this cluster ended",
        )


def check_leave(*, joined_on: date, left_on: date) -> None:
    if left_on < joined_on:
        raise RuleViolation("left_on", f"{left_on} is before the member joined on {joined_on}")


def check_batch_membership(
    cluster_id: object,
    actor_id: object,
    *,
    member_active: bool | None,
    joined_on: date,
    left_on: date | None,
    today: date,
    previous_left_on: date | None,
    also_item: int | None,
) -> None:
    """One item of a membership batch: the checks of a single join (and of a leave when
    it has ``left_on``), in that order, plus one item per actor in a batch.
    ``member_active`` is None when there is no such actor; ``also_item`` is the index of
    an earlier item of the same actor. Raises :class:`RuleViolation`."""
    check_not_self(cluster_id, actor_id)
    if member_active is None:
        raise RuleViolation("actor_id", f"no actor {actor_id}")
    if not member_active:
        raise RuleViolation("actor_id", f"actor {actor_id} is deactivated")
    if also_item is not None:
        raise RuleViolation("actor_id", f"also item {also_item}")
    check_join_date(joined_on=joined_on, today=today, previous_left_on=previous_left_on)
    if left_on is not None:
        check_leave(joined_on=joined_on, left_on=left_on)


def unique_in_order(values: Iterable[str]) -> list[str]:
    """Drop repeats, keeping the first occurrence's position."""
    return list(dict.fromkeys(values))
