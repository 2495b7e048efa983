"""HTTP for cluster organisations: parse, authorise, call the service, shape the response.

Everyone with a role reads; ``admin`` writes any cluster, ``cluster_manager`` only the
cluster organisation its token's ``actor_id`` names.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.responses import JSONResponse
from synergia_shared.http import idempotency
from synergia_shared.http.auth import ALL_ROLES, Principal, Role, require
from synergia_shared.http.input_limits import BodyKind, body_limit
from synergia_shared.http.preconditions import PRECONDITION_RESPONSES, IfMatch, versioned_json
from synergia_shared.http.problems import PROBLEM_RESPONSES, Problem
from synergia_shared.http.transactions import Idempotent, ReadOnly, Write
from synergia_shared.reference.ecosystems import Ecosystem

from synergia_registry.access import ensure, is_admin, manages_cluster
from synergia_registry.clusters import service
from synergia_registry.clusters.rules import EscaLabel
from synergia_registry.clusters.schemas import (
    MAX_JOIN_ITEMS,
    Cluster,
    ClusterMember,
    ClusterPage,
    ClusterProfileUpdate,
    CompletenessReportView,
    MemberBatch,
    MemberJoin,
    MemberLeave,
    MemberPage,
    MembersRecorded,
)

router = APIRouter(prefix="/v1/clusters", tags=["clusters"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Principal, Depends(require(*ALL_ROLES))]
Writer = Annotated[Principal, Depends(require(Role.ADMIN, Role.CLUSTER_MANAGER))]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size (default 50, at most 200).")]
Cursor = Annotated[
    str | None, Query(description="`next_cursor` of the previous page; omit for the first.")
]
IdempotencyKey = idempotency.IdempotencyKey

ETAG_HEADER = {"ETag": {"schema": {"type": "string"}, "description": "The cluster's version"}}
REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "schema": {"type": "string"},
        "description": "`true` when this is the stored answer to an earlier request with "
        "the same Idempotency-Key",
    }
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such cluster organisation"}
}


def _ensure_writes(principal: Principal, cluster_id: uuid.UUID) -> None:
    ensure(
        is_admin(principal) or manages_cluster(principal, cluster_id),
        f"only an admin or the manager of cluster {cluster_id} may change it",
    )


async def _run_once(
    once: idempotency.IdempotentCreate,
    principal: Principal,
    key: str | None,
    status_code: int,
    act: Any,
) -> Response:
    async def create(session: idempotency.AsyncSession) -> idempotency.StoredResponse:
        member: ClusterMember = await act(session)
        return idempotency.StoredResponse(status_code, member.model_dump_json().encode(), {})

    return await once.respond(principal.subject, key, create)


@router.get(
    "",
    operation_id="listClusters",
    summary="List cluster organisations",
    description="Cluster organisations with their cluster profile, by legal name. Filter by "
    "`country` (ISO or EU code), `ecosystem` and `esca_label` (a label whose validity has "
    "run out does not match). Cursor-paginated.",
    response_model=ClusterPage,
)
async def list_clusters(
    _: Reader,
    session: ReadOnly,
    country: Annotated[
        str | None, Query(description="ISO 3166-1 alpha-2 or EU code (GR/EL, GB/UK).")
    ] = None,
    ecosystem: Annotated[Ecosystem | None, Query(description="Industrial ecosystem.")] = None,
    esca_label: Annotated[
        EscaLabel | None, Query(description="Holds this ESCA label, still valid.")
    ] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ClusterPage:
    return await service.list_clusters(
        session,
        country=country,
        ecosystem=ecosystem.value if ecosystem else None,
        esca_label=esca_label.value if esca_label else None,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/{cluster_id}",
    operation_id="getCluster",
    summary="One cluster organisation",
    description="The cluster profile, member counts and the completeness report, with the "
    "cluster's version in the `ETag` header (use it with `If-Match` on the profile).",
    response_model=Cluster,
    responses={200: {"headers": ETAG_HEADER}, **NOT_FOUND},
)
async def get_cluster(cluster_id: uuid.UUID, _: Reader, session: ReadOnly) -> JSONResponse:
    return versioned_json(await service.get_cluster(session, cluster_id))


@router.put(
    "/{cluster_id}/profile",
    operation_id="updateClusterProfile",
    summary="Set a cluster organisation's profile",
    description="Replaces ecosystems, S3 priorities, ESCA label and validity, and management "
    "FTE (omitted fields are cleared) and publishes "
    "`eu.synergia.registry.cluster.profile-updated.v1`. Needs `If-Match` with the ETag "
    'you read (`"0"` before anything was recorded for the cluster); membership changes '
    "move the version too. 422 if the actor "
    "is not a cluster organisation. Admin, or the cluster's own manager.",
    response_model=Cluster,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_FOUND,
        **PRECONDITION_RESPONSES,
    },
)
async def update_cluster_profile(
    cluster_id: uuid.UUID,
    body: ClusterProfileUpdate,
    principal: Writer,
    if_match: IfMatch,
    session: Write,
) -> JSONResponse:
    _ensure_writes(principal, cluster_id)
    return versioned_json(await service.update_profile(session, cluster_id, body, if_match))


@router.get(
    "/{cluster_id}/completeness",
    operation_id="getClusterCompleteness",
    summary="Completeness check of a cluster organisation",
    description="The European Cluster Collaboration Platform listing criteria (at least 0.5 "
    "FTE of cluster management, at least 15 committed members, members from at least 2 "
    "triple-helix groups): each with whether it is met, the measured value, the threshold "
    "and what is missing. A report, not a hard rule.",
    response_model=CompletenessReportView,
    responses=NOT_FOUND,
)
async def get_cluster_completeness(
    cluster_id: uuid.UUID, _: Reader, session: ReadOnly
) -> CompletenessReportView:
    return await service.completeness(session, cluster_id)


@router.get(
    "/{cluster_id}/members",
    operation_id="listClusterMembers",
    summary="Members of a cluster organisation",
    description="Current members by legal name; with `include_former=true` also past "
    "memberships (an actor who left and rejoined appears once per membership). "
    "Cursor-paginated.",
    response_model=MemberPage,
    responses=NOT_FOUND,
)
async def list_cluster_members(
    cluster_id: uuid.UUID,
    _: Reader,
    session: ReadOnly,
    include_former: Annotated[
        bool, Query(description="Also list memberships that have ended.")
    ] = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> MemberPage:
    return await service.list_members(
        session, cluster_id, include_former=include_former, cursor=cursor, limit=limit
    )


@router.post(
    "/{cluster_id}/members",
    operation_id="addClusterMember",
    summary="An actor joins a cluster organisation",
    description="Records the membership (joined today unless `joined_on` says otherwise) and "
    "publishes `eu.synergia.registry.cluster.member-joined.v1`. 409 if the actor is already "
    "a current member or the cluster is deactivated; 422 for an unknown or deactivated actor or "
    "the cluster itself. Send an "
    "`Idempotency-Key` to make a retry return the first result. Admin, or the cluster's own "
    "manager.",
    status_code=201,
    response_model=ClusterMember,
    responses={
        201: {"headers": REPLAYED_HEADER},
        **NOT_FOUND,
        409: {
            "model": Problem,
            "description": "Already a current member, or the cluster is deactivated",
        },
    },
)
async def add_cluster_member(
    cluster_id: uuid.UUID,
    body: MemberJoin,
    principal: Writer,
    once: Idempotent,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    _ensure_writes(principal, cluster_id)

    async def act(session: idempotency.AsyncSession) -> ClusterMember:
        return await service.join(session, cluster_id, body)

    return await _run_once(once, principal, idempotency_key, 201, act)


@router.post(
    "/{cluster_id}/members:batch-join",
    operation_id="addClusterMembers",
    summary="Actors join a cluster organisation, many at once",
    description=f"Up to {MAX_JOIN_ITEMS} memberships recorded as one change, each as "
    "`POST …/members` records it, with `left_on` for a departure already known (as "
    "`POST …/members/{actor_id}/leave` records it). Publishes "
    "`eu.synergia.registry.cluster.member-joined.v1` per item, then "
    "`….member-left.v1` for an item with `left_on`, in the items' order. One invalid item "
    "refuses the batch, nothing written: 422 naming each item (`body.items.<index>…`: an "
    "unknown or deactivated actor, the cluster itself, an actor twice, dates), else 409 "
    "if an actor is already a current member or the cluster is deactivated. Send an "
    "`Idempotency-Key` to make a retry return the first result. Admin, or the cluster's "
    "own manager.",
    status_code=201,
    response_model=MembersRecorded,
    responses={
        201: {"headers": REPLAYED_HEADER},
        **NOT_FOUND,
        409: {
            "model": Problem,
            "description": "An actor is already a current member, or the cluster is deactivated",
        },
    },
    openapi_extra=body_limit(BodyKind.BATCH),
)
async def add_cluster_members(
    cluster_id: uuid.UUID,
    body: MemberBatch,
    principal: Writer,
    once: Idempotent,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    _ensure_writes(principal, cluster_id)

    async def create(session: idempotency.AsyncSession) -> idempotency.StoredResponse:
        members = await service.join_many(session, cluster_id, body.items)
        recorded = MembersRecorded(items=members)
        return idempotency.StoredResponse(201, recorded.model_dump_json().encode(), {})

    return await once.respond(principal.subject, idempotency_key, create)


@router.post(
    "/{cluster_id}/members/{actor_id}/leave",
    operation_id="recordClusterMemberLeaving",
    summary="A member leaves a cluster organisation",
    description="Ends the actor's current membership on `left_on` (today unless given; a "
    "future date schedules it) and publishes `eu.synergia.registry.cluster.member-left.v1`. "
    "404 if the actor is not a current member; 409 if its departure is already recorded. "
    "An `Idempotency-Key` makes a retry return the first result. Admin, or the cluster's own "
    "manager.",
    response_model=ClusterMember,
    responses={
        200: {"headers": REPLAYED_HEADER},
        404: {"model": Problem, "description": "No such cluster, or not a current member"},
        409: {"model": Problem, "description": "The departure is already recorded"},
    },
)
async def record_cluster_member_leaving(
    cluster_id: uuid.UUID,
    actor_id: uuid.UUID,
    principal: Writer,
    once: Idempotent,
    body: Annotated[MemberLeave | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    _ensure_writes(principal, cluster_id)
    command = body or MemberLeave()

    async def act(session: idempotency.AsyncSession) -> ClusterMember:
        return await service.leave(session, cluster_id, actor_id, command)

    return await _run_once(once, principal, idempotency_key, 200, act)
