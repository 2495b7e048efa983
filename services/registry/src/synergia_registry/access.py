"""Who may do what in the registry: pure checks on the caller's principal.

A person's token names the actor they act for (`actor_id` claim): an SME's own actor, or
the cluster organisation a cluster manager runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from synergia_shared.http.auth import Principal, Role
from synergia_shared.http.problems import ProblemException

READERS = frozenset(Role)
WRITERS = frozenset({Role.ADMIN, Role.CLUSTER_MANAGER, Role.SME})


def acts_for(principal: Principal, actor_id: uuid.UUID) -> bool:
    return principal.actor_id is not None and principal.actor_id == str(actor_id)


def is_admin(principal: Principal) -> bool:
    return Role.ADMIN in principal.roles


def manages_cluster(principal: Principal, cluster_id: uuid.UUID) -> bool:
    return Role.CLUSTER_MANAGER in principal.roles and acts_for(principal, cluster_id)


def manages_any_cluster(principal: Principal, cluster_ids: Iterable[uuid.UUID]) -> bool:
    return any(manages_cluster(principal, cluster_id) for cluster_id in cluster_ids)


SELF_EDITORS = frozenset({Role.SME, Role.CLUSTER_MANAGER})


def may_write(principal: Principal, actor_id: uuid.UUID) -> bool:
    """Who may change an actor (its profile, its deactivation, its people's erasure): an
    admin, or the actor itself signed in with a role that edits (an SME or the cluster
    organisation's manager). A viewer or investor acting for it reads only."""
    return is_admin(principal) or (
        principal.has_any(SELF_EDITORS) and acts_for(principal, actor_id)
    )


def forbidden(detail: str) -> ProblemException:
    return ProblemException(403, "forbidden", "Forbidden", detail)


def ensure(allowed: bool, detail: str) -> None:
    if not allowed:
        raise forbidden(detail)
