"""Cluster rules: the ECCP completeness check and membership dates, without a database."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from synergia_registry.clusters.rules import (
    ECCP_LISTING,
    HELIX_GROUP_OF_KIND,
    ClusterCriterion,
    CompletenessReport,
    CompletenessThresholds,
    CriterionResult,
    HelixGroup,
    RuleViolation,
    assess_completeness,
    check_batch_membership,
    check_join_date,
    check_leave,
    check_not_self,
    esca_label_valid,
    helix_groups_of,
    is_current,
    unique_in_order,
)
from synergia_shared.events.registry import ActorKind

TODAY = date(2026, 3, 10)


def by_criterion(report: CompletenessReport) -> dict[ClusterCriterion, CriterionResult]:
    return {c.criterion: c for c in report.criteria}


def test_the_thresholds_are_the_eccp_listing_criteria_of_domain_md() -> None:
    assert ECCP_LISTING.min_management_fte == Decimal("0.5")
    assert ECCP_LISTING.min_committed_members == 15
    assert ECCP_LISTING.min_helix_groups == 2


def test_a_cluster_meeting_every_criterion_is_complete_with_nothing_missing() -> None:
    report = assess_completeness(
        Decimal("0.5"), {"sme": 10, "university": 3, "public_authority": 2}
    )
    assert report.complete
    assert [c.criterion for c in report.criteria] == [
        ClusterCriterion.MANAGEMENT_FTE,
        ClusterCriterion.COMMITTED_MEMBERS,
        ClusterCriterion.MEMBER_TYPES,
    ]
    assert all(c.met and c.missing is None for c in report.criteria)
    members = by_criterion(report)[ClusterCriterion.COMMITTED_MEMBERS]
    assert (members.value, members.threshold) == (15, 15)
    types = by_criterion(report)[ClusterCriterion.MEMBER_TYPES]
    assert types.value == 3
    assert types.helix_groups == (
        HelixGroup.BUSINESS,
        HelixGroup.RESEARCH_EDUCATION,
        HelixGroup.PUBLIC,
    )


def test_too_few_committed_members_says_how_many_more_are_needed() -> None:
    report = assess_completeness(Decimal("1"), {"sme": 9, "research_organisation": 3})
    assert not report.complete
    members = by_criterion(report)[ClusterCriterion.COMMITTED_MEMBERS]
    assert not members.met
    assert members.value == 12
    assert members.missing == "12 committed members, 3 more needed"
    assert by_criterion(report)[ClusterCriterion.MEMBER_TYPES].met


def test_one_committed_member_is_singular() -> None:
    report = assess_completeness(None, {"sme": 1})
    missing = by_criterion(report)[ClusterCriterion.COMMITTED_MEMBERS].missing
    assert missing == "1 committed member, 14 more needed"


@pytest.mark.parametrize(
    ("fte", "met", "missing"),
    [
        (None, False, "cluster management FTE not recorded; at least 0.5 FTE needed"),
        (Decimal("0"), False, "0 FTE of cluster management, 0.5 more needed"),
        (Decimal("0.20"), False, "0.2 FTE of cluster management, 0.3 more needed"),
        (Decimal("0.49"), False, "0.49 FTE of cluster management, 0.01 more needed"),
        (Decimal("0.50"), True, None),
        (Decimal("12.75"), True, None),
    ],
)
def test_management_fte_threshold_is_inclusive_and_explained(
    fte: Decimal | None, met: bool, missing: str | None
) -> None:
    criterion = by_criterion(assess_completeness(fte, {}))[ClusterCriterion.MANAGEMENT_FTE]
    assert criterion.met is met
    assert criterion.value == fte
    assert criterion.threshold == Decimal("0.5")
    assert criterion.missing == missing


def test_member_types_count_triple_helix_groups_not_actor_kinds() -> None:
    """Three business kinds are still one side of the helix."""
    report = assess_completeness(
        Decimal("2"), {"sme": 10, "large_enterprise": 4, "investor": 1, "sme_intermediary": 1}
    )
    types = by_criterion(report)[ClusterCriterion.MEMBER_TYPES]
    assert not types.met
    assert types.value == 1
    assert types.missing == (
        "committed members only from the business group; members from 1 more group needed "
        "(research & education or public)"
    )
    assert not report.complete
    assert by_criterion(report)[ClusterCriterion.COMMITTED_MEMBERS].met


def test_no_members_at_all_is_explained() -> None:
    types = by_criterion(assess_completeness(None, {}))[ClusterCriterion.MEMBER_TYPES]
    assert types.value == 0
    assert types.missing == (
        "no committed members from any triple-helix group; members from 2 more groups needed "
        "(business or research & education or public)"
    )


def test_kind_other_and_zero_counts_add_no_group() -> None:
    report = assess_completeness(Decimal("1"), {"other": 20, "university": 0, "sme": 1})
    types = by_criterion(report)[ClusterCriterion.MEMBER_TYPES]
    assert types.helix_groups == (HelixGroup.BUSINESS,)
    members = by_criterion(report)[ClusterCriterion.COMMITTED_MEMBERS]
    assert members.value == 21, "kind other still counts as a committed member"


def test_every_actor_kind_has_a_decided_helix_group() -> None:
    assert set(HELIX_GROUP_OF_KIND) == set(ActorKind)
    assert helix_groups_of(["cluster_organisation", "investor"]) == (HelixGroup.BUSINESS,)
    assert helix_groups_of(["university", "research_organisation"]) == (
        HelixGroup.RESEARCH_EDUCATION,
    )
    assert helix_groups_of(["public_authority", "sme"]) == (
        HelixGroup.BUSINESS,
        HelixGroup.PUBLIC,
    )
    assert helix_groups_of(["not-a-kind"]) == ()


def test_thresholds_are_configuration() -> None:
    stricter = CompletenessThresholds(
        min_management_fte=Decimal("1"), min_committed_members=3, min_helix_groups=3
    )
    report = assess_completeness(Decimal("1"), {"sme": 2, "university": 1}, stricter)
    criteria = by_criterion(report)
    assert criteria[ClusterCriterion.COMMITTED_MEMBERS].met
    assert not criteria[ClusterCriterion.MEMBER_TYPES].met
    assert (criteria[ClusterCriterion.MEMBER_TYPES].missing or "").endswith("(public)")


# --- memberships -----------------------------------------------------------------------


def test_a_membership_is_current_until_its_leaving_date() -> None:
    assert is_current(None, TODAY)
    assert is_current(date(2026, 3, 11), TODAY), "a scheduled departure is still current"
    assert not is_current(TODAY, TODAY), "left_on is the first day as a non-member"
    assert not is_current(date(2025, 1, 1), TODAY)


def test_a_cluster_cannot_join_itself() -> None:
    cluster = uuid.uuid4()
    with pytest.raises(RuleViolation) as caught:
        check_not_self(cluster, cluster)
    assert caught.value.field == "actor_id"
    check_not_self(cluster, uuid.uuid4())


def test_join_dates() -> None:
    check_join_date(joined_on=TODAY, today=TODAY, previous_left_on=None)
    check_join_date(joined_on=TODAY, today=TODAY, previous_left_on=TODAY)
    with pytest.raises(RuleViolation, match="in the future") as future:
        check_join_date(joined_on=date(2026, 3, 11), today=TODAY, previous_left_on=None)
    assert future.value.field == "joined_on"
    with pytest.raises(RuleViolation, match="previous membership") as overlap:
        check_join_date(joined_on=date(2026, 1, 1), today=TODAY, previous_left_on=date(2026, 2, 1))
    assert overlap.value.field == "joined_on"


def test_leave_dates() -> None:
    check_leave(joined_on=TODAY, left_on=TODAY)
    check_leave(joined_on=TODAY, left_on=date(2027, 1, 1))
    with pytest.raises(RuleViolation, match="before the member joined") as caught:
        check_leave(joined_on=TODAY, left_on=date(2026, 3, 9))
    assert caught.value.field == "left_on"


def _check_item(
    cluster: uuid.UUID,
    actor: uuid.UUID,
    *,
    member_active: bool | None = True,
    joined_on: date = TODAY,
    left_on: date | None = None,
    previous_left_on: date | None = None,
    also_item: int | None = None,
) -> None:
    check_batch_membership(
        cluster,
        actor,
        member_active=member_active,
        joined_on=joined_on,
        left_on=left_on,
        today=TODAY,
        previous_left_on=previous_left_on,
        also_item=also_item,
    )


def test_a_valid_batch_item_passes_with_or_without_a_leaving_date() -> None:
    cluster, actor = uuid.uuid4(), uuid.uuid4()
    _check_item(cluster, actor)
    _check_item(cluster, actor, left_on=date(2026, 4, 1), previous_left_on=TODAY)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"member_active": None}, "actor_id", "no actor"),
        ({"member_active": False}, "actor_id", "is deactivated"),
        ({"also_item": 2}, "actor_id", "also item 2"),
        ({"joined_on": date(2026, 3, 11)}, "joined_on", "in the future"),
        ({"previous_left_on": date(2026, 3, 20)}, "joined_on", "previous membership"),
        ({"left_on": date(2026, 3, 1)}, "left_on", "before the member joined"),
        # the actor's own problem is named before the batch's duplicate
        ({"member_active": False, "also_item": 0}, "actor_id", "is deactivated"),
    ],
)
def test_a_batch_item_breaking_a_rule_names_its_field(
    overrides: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(RuleViolation, match=message) as caught:
        _check_item(uuid.uuid4(), uuid.uuid4(), **overrides)
    assert caught.value.field == field


def test_a_cluster_in_its_own_batch_is_refused_first() -> None:
    cluster = uuid.uuid4()
    with pytest.raises(RuleViolation, match="its own member"):
        _check_item(cluster, cluster, member_active=None)


def test_esca_label_validity_runs_through_its_last_day() -> None:
    assert esca_label_valid("gold", TODAY, TODAY)
    assert not esca_label_valid("gold", date(2026, 3, 9), TODAY)
    assert not esca_label_valid(None, None, TODAY)
    assert esca_label_valid("bronze", None, TODAY)


def test_unique_in_order_keeps_first_occurrences() -> None:
    assert unique_in_order(["b", "a", "b", "c", "a"]) == ["b", "a", "c"]
