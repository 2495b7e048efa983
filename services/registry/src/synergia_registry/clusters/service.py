"""Cluster use cases: load, apply the rules, save, and add events to the outbox.

The cluster aggregate is the cluster organisation's profile row plus its memberships.
Every change locks that row, bumps its ``version`` and publishes one event on
``registry.cluster`` with subject = cluster id and sequence = the new version, so a
consumer sees profile updates and membership changes of one cluster in order.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.registry import (
    ClusterMemberJoinedV1,
    ClusterMemberLeftV1,
    ClusterProfileUpdatedV1,
)
from synergia_shared.http.pagination import bad_cursor, decode_cursor, encode_cursor
from synergia_shared.http.preconditions import check_version
from synergia_shared.http.problems import (
    ProblemException,
    invalid_field,
    not_found,
    validation_problem,
)
from synergia_shared.messaging.outbox import PendingEvent, add_event, add_events
from synergia_shared.reference.countries import UnknownCountry, lookup_country

from synergia_registry.clusters import repository
from synergia_registry.clusters.repository import AnyRow
from synergia_registry.clusters.rules import (
    COMPLETENESS_SOURCE,
    CompletenessReport,
    RuleViolation,
    assess_completeness,
    check_batch_membership,
    check_join_date,
    check_leave,
    check_not_self,
    esca_label_valid,
    unique_in_order,
)
from synergia_registry.clusters.schemas import (
    Cluster,
    ClusterMember,
    ClusterPage,
    ClusterProfileUpdate,
    ClusterSummary,
    CompletenessReportView,
    CriterionReport,
    MemberJoin,
    MemberLeave,
    MemberPage,
    MemberRecord,
)

AGGREGATE = "cluster"


# --- problems ------------------------------------------------------------------------------


def _not_found(detail: str) -> ProblemException:
    return not_found(detail)


def _conflict(detail: str) -> ProblemException:
    return ProblemException(409, "conflict", "Conflict", detail)


def _violation(exc: RuleViolation) -> ProblemException:
    return invalid_field(["body", exc.field], exc.message)


async def _cluster_actor(session: AsyncSession, cluster_id: uuid.UUID) -> AnyRow:
    """The actor a write addresses: 404 if there is none, 422 if it is not a cluster."""
    actor = await repository.get_actor(session, cluster_id)
    if actor is None:
        raise _not_found(f"no actor {cluster_id}")
    if actor.kind != repository.CLUSTER_KIND:
        raise invalid_field(
            ["path", "cluster_id"],
            f"actor {cluster_id} is a {actor.kind}, not a cluster_organisation",
        )
    return actor


# --- views ---------------------------------------------------------------------------------


def _summary_fields(row: AnyRow, today: date) -> dict[str, Any]:
    country = lookup_country(row.country)
    return {
        "id": row.id,
        "legal_name": row.legal_name,
        "short_name": row.short_name,
        "country": country.code,
        "country_name": country.name,
        "country_standing": country.standing,
        "ecosystems": list(row.ecosystems or []),
        "s3_priorities": list(row.s3_priorities or []),
        "esca_label": row.esca_label,
        "esca_valid_until": row.esca_valid_until,
        "esca_label_valid": esca_label_valid(row.esca_label, row.esca_valid_until, today),
        "management_fte": row.management_fte,
        "member_count": row.member_count,
        "version": row.version,
        "updated_at": row.updated_at,
    }


def _report_view(cluster_id: uuid.UUID, report: CompletenessReport) -> CompletenessReportView:
    return CompletenessReportView(
        cluster_id=cluster_id,
        complete=report.complete,
        criteria=[
            CriterionReport(
                criterion=c.criterion,
                met=c.met,
                value=None if c.value is None else _number(c.value),
                threshold=_number(c.threshold),
                missing=c.missing,
                helix_groups=list(c.helix_groups) if c.criterion == "member_types" else None,
            )
            for c in report.criteria
        ],
        source=COMPLETENESS_SOURCE,
    )


def _number(value: Any) -> int | float:
    return value if isinstance(value, int) else float(value)


def _member_view(row: AnyRow) -> ClusterMember:
    return ClusterMember(
        membership_id=row.membership_id,
        cluster_id=row.cluster_id,
        actor_id=row.member_actor_id,
        legal_name=row.legal_name,
        short_name=row.short_name,
        kind=row.kind,
        country=row.country,
        joined_on=row.joined_on,
        left_on=row.left_on,
        committed=row.committed,
        current=row.current,
    )


# --- reads ---------------------------------------------------------------------------------


async def list_clusters(
    session: AsyncSession,
    *,
    country: str | None,
    ecosystem: str | None,
    esca_label: str | None,
    cursor: str | None,
    limit: int,
) -> ClusterPage:
    if country is not None:
        try:
            country = lookup_country(country).code
        except UnknownCountry as exc:
            raise invalid_field(["query", "country"], str(exc)) from None
    after = None
    if cursor is not None:
        name, last_id = decode_cursor(cursor, 2)
        after = (str(name), _cursor_uuid(last_id))
    rows = await repository.list_clusters(
        session,
        country=country,
        ecosystem=ecosystem,
        esca_label=esca_label,
        after=after,
        limit=limit + 1,
    )
    today = await repository.today(session)
    items = [ClusterSummary(**_summary_fields(row, today)) for row in rows[:limit]]
    next_cursor = (
        encode_cursor([rows[limit - 1].legal_name, str(rows[limit - 1].id)])
        if len(rows) > limit
        else None
    )
    return ClusterPage(items=items, next_cursor=next_cursor)


def _cursor_uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise bad_cursor() from None


async def get_cluster(session: AsyncSession, cluster_id: uuid.UUID) -> Cluster:
    row = await repository.get_cluster(session, cluster_id)
    if row is None:
        raise _not_found(f"no cluster organisation {cluster_id}")
    today = await repository.today(session)
    by_kind = await repository.committed_members_by_kind(session, cluster_id)
    report = assess_completeness(row.management_fte, by_kind)
    return Cluster(
        **_summary_fields(row, today),
        committed_member_count=row.committed_member_count,
        completeness=_report_view(cluster_id, report),
    )


async def completeness(session: AsyncSession, cluster_id: uuid.UUID) -> CompletenessReportView:
    return (await get_cluster(session, cluster_id)).completeness


async def list_members(
    session: AsyncSession,
    cluster_id: uuid.UUID,
    *,
    include_former: bool,
    cursor: str | None,
    limit: int,
) -> MemberPage:
    if await repository.get_cluster(session, cluster_id) is None:
        raise _not_found(f"no cluster organisation {cluster_id}")
    after = None
    if cursor is not None:
        name, last_id = decode_cursor(cursor, 2)
        after = (str(name), _cursor_uuid(last_id))
    rows = await repository.list_members(
        session, cluster_id, include_former=include_former, after=after, limit=limit + 1
    )
    items = [_member_view(row) for row in rows[:limit]]
    next_cursor = (
        encode_cursor([rows[limit - 1].legal_name, str(rows[limit - 1].membership_id)])
        if len(rows) > limit
        else None
    )
    return MemberPage(items=items, next_cursor=next_cursor)


# --- writes --------------------------------------------------------------------------------


async def update_profile(
    session: AsyncSession,
    cluster_id: uuid.UUID,
    command: ClusterProfileUpdate,
    if_match: str | None,
) -> Cluster:
    """Replace the cluster profile. If-Match must be current (412), ``"0"`` before
    anything was recorded for the cluster (the ETag its GET shows then)."""
    await _cluster_actor(session, cluster_id)
    current = await repository.lock_profile(session, cluster_id)
    check_version(if_match, current.version, f"cluster {cluster_id}")
    saved = await repository.save_profile(
        session,
        cluster_id,
        ecosystems=unique_in_order(e.value for e in command.ecosystems),
        s3_priorities=unique_in_order(command.s3_priorities),
        esca_label=command.esca_label.value if command.esca_label else None,
        esca_valid_until=command.esca_valid_until,
        management_fte=command.management_fte,
    )
    await add_event(
        session,
        ClusterProfileUpdatedV1(
            cluster_id=cluster_id,
            ecosystems=saved.ecosystems,
            s3_priorities=saved.s3_priorities,
            esca_label=saved.esca_label,
            esca_valid_until=saved.esca_valid_until,
            management_fte=saved.management_fte,
            version=saved.version,
        ),
        aggregate_type=AGGREGATE,
        subject=str(cluster_id),
        sequence=saved.version,
    )
    return await get_cluster(session, cluster_id)


async def join(session: AsyncSession, cluster_id: uuid.UUID, command: MemberJoin) -> ClusterMember:
    """An actor joins the cluster: 422 for an unknown, deactivated or self member, 409 for
    an actor that is already a current member or a deactivated cluster."""
    cluster = await _cluster_actor(session, cluster_id)
    if not cluster.active:
        raise _conflict(f"cluster {cluster_id} is deactivated and takes no new members")
    await repository.lock_profile(session, cluster_id)
    today = await repository.today(session)
    joined_on = command.joined_on or today
    try:
        check_not_self(cluster_id, command.actor_id)
    except RuleViolation as exc:
        raise _violation(exc) from None
    member = await repository.get_actor(session, command.actor_id)
    if member is None:
        raise invalid_field(["body", "actor_id"], f"no actor {command.actor_id}")
    if not member.active:
        raise invalid_field(["body", "actor_id"], f"actor {command.actor_id} is deactivated")
    existing = await repository.current_membership(session, cluster_id, command.actor_id)
    if existing is not None:
        raise _conflict(
            f"actor {command.actor_id} is already a current member of cluster {cluster_id} "
            f"(since {existing.joined_on})"
        )
    try:
        check_join_date(
            joined_on=joined_on,
            today=today,
            previous_left_on=await repository.last_left_on(session, cluster_id, command.actor_id),
        )
    except RuleViolation as exc:
        raise _violation(exc) from None
    row = await repository.add_membership(
        session,
        cluster_id=cluster_id,
        member_actor_id=command.actor_id,
        joined_on=joined_on,
        committed=command.committed,
    )
    version = await repository.bump_version(session, cluster_id)
    await add_event(
        session,
        ClusterMemberJoinedV1(
            cluster_id=cluster_id,
            member_actor_id=command.actor_id,
            joined_on=joined_on,
            committed=command.committed,
        ),
        aggregate_type=AGGREGATE,
        subject=str(cluster_id),
        sequence=version,
    )
    return _member_view(row)


async def leave(
    session: AsyncSession, cluster_id: uuid.UUID, member_actor_id: uuid.UUID, command: MemberLeave
) -> ClusterMember:
    """A current member leaves (on ``left_on``, default today): 404 if the actor is not a
    current member, 409 if its departure is already recorded."""
    await _cluster_actor(session, cluster_id)
    await repository.lock_profile(session, cluster_id)
    membership = await repository.current_membership(session, cluster_id, member_actor_id)
    if membership is None:
        raise _not_found(f"actor {member_actor_id} is not a current member of cluster {cluster_id}")
    if membership.left_on is not None:
        raise _conflict(
            f"actor {member_actor_id} already leaves cluster {cluster_id} on {membership.left_on}"
        )
    left_on = command.left_on or await repository.today(session)
    try:
        check_leave(joined_on=membership.joined_on, left_on=left_on)
    except RuleViolation as exc:
        raise _violation(exc) from None
    row = await repository.set_left_on(session, membership.membership_id, left_on)
    version = await repository.bump_version(session, cluster_id)
    await add_event(
        session,
        ClusterMemberLeftV1(
            cluster_id=cluster_id, member_actor_id=member_actor_id, left_on=left_on
        ),
        aggregate_type=AGGREGATE,
        subject=str(cluster_id),
        sequence=version,
    )
    return _member_view(row)


async def _batch_rows(
    session: AsyncSession, cluster_id: uuid.UUID, records: list[MemberRecord]
) -> list[dict[str, Any]]:
    """The memberships a batch adds, or the problem refusing it whole: 422 naming each
    invalid item; 409 if the only problem is an actor that is already a current member."""
    today = await repository.today(session)
    wanted = [record.actor_id for record in records]
    members = await repository.actors_by_id(session, wanted)
    current = await repository.current_memberships(session, cluster_id, wanted)
    left_before = await repository.last_left_on_many(session, cluster_id, wanted)
    errors: list[dict[str, Any]] = []
    conflicts: list[str] = []
    first: dict[uuid.UUID, int] = {}
    rows: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        joined_on = record.joined_on or today
        try:
            member = members.get(record.actor_id)
            check_batch_membership(
                cluster_id,
                record.actor_id,
                member_active=None if member is None else member.active,
                joined_on=joined_on,
                left_on=record.left_on,
                today=today,
                previous_left_on=left_before.get(record.actor_id),
                also_item=first.get(record.actor_id),
            )
        except RuleViolation as exc:
            errors.append({"loc": ["body", "items", index, exc.field], "msg": exc.message})
            continue
        first[record.actor_id] = index
        if (existing := current.get(record.actor_id)) is not None:
            conflicts.append(
                f"item {index}: actor {record.actor_id} is already a current member of "
                f"cluster {cluster_id} (since {existing.joined_on})"
            )
        rows.append(
            {
                "member_actor_id": record.actor_id,
                "joined_on": joined_on,
                "committed": record.committed,
                "left_on": record.left_on,
            }
        )
    if errors:
        raise validation_problem(errors)
    if conflicts:
        raise _conflict("; ".join(conflicts))
    return rows


def _membership_events(
    cluster_id: uuid.UUID, rows: list[dict[str, Any]], version: int
) -> list[PendingEvent]:
    """Each membership's ``member-joined`` event, then its ``member-left`` one if it has
    left, numbered on from ``version`` (the cluster's version before the batch)."""
    events: list[PendingEvent] = []
    for row in rows:
        version += 1
        joined = ClusterMemberJoinedV1(
            cluster_id=cluster_id,
            member_actor_id=row["member_actor_id"],
            joined_on=row["joined_on"],
            committed=row["committed"],
        )
        events.append(PendingEvent(joined, AGGREGATE, str(cluster_id), version))
        if row["left_on"] is not None:
            version += 1
            left = ClusterMemberLeftV1(
                cluster_id=cluster_id,
                member_actor_id=row["member_actor_id"],
                left_on=row["left_on"],
            )
            events.append(PendingEvent(left, AGGREGATE, str(cluster_id), version))
    return events


async def join_many(
    session: AsyncSession, cluster_id: uuid.UUID, records: list[MemberRecord]
) -> list[ClusterMember]:
    """Record many memberships as one change, as :func:`join` (and :func:`leave` for an
    item with ``left_on``) would one after the other, with a few statements for the
    batch: one invalid item refuses the batch (422 naming each item; 409 if the only
    problem is an actor that is already a current member), nothing written. Each
    membership publishes its ``member-joined`` event, then its ``member-left`` one if it
    has left, with the cluster's versions in order."""
    cluster = await _cluster_actor(session, cluster_id)
    if not cluster.active:
        raise _conflict(f"cluster {cluster_id} is deactivated and takes no new members")
    await repository.lock_profile(session, cluster_id)
    rows = await _batch_rows(session, cluster_id, records)
    saved = await repository.add_memberships(session, cluster_id, rows)
    steps = len(rows) + sum(1 for row in rows if row["left_on"] is not None)
    version = await repository.bump_version_by(session, cluster_id, steps) - steps
    await add_events(session, _membership_events(cluster_id, rows, version))
    return [_member_view(row) for row in saved]
