"""Who manages a value chain: one rule for the registry, which keeps the chains, and for
matching and funding, which act on them from their projections of the registry's events.

The call's value chains are led by cluster organisations (DOMAIN.md: "lead cluster
organisations"); their managers steer the chain: change it in the registry, decide on
team proposals in matching, record its own money in funding. Handing a chain over to
other leads is for admins (docs/registry.md, "Access").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from synergia_shared.http.auth import Principal, Role


def manages_value_chain(principal: Principal, lead_actor_ids: Iterable[uuid.UUID]) -> bool:
    """A value chain's manager: a ``cluster_manager`` signed in for one of the chain's
    lead organisations (the token's ``actor_id`` is one of ``lead_actor_ids``)."""
    return Role.CLUSTER_MANAGER in principal.roles and principal.actor_id in {
        str(lead) for lead in lead_actor_ids
    }


def may_act_for_value_chain(principal: Principal, lead_actor_ids: Iterable[uuid.UUID]) -> bool:
    """Who may act for a value chain: an admin, or one of its managers
    (:func:`manages_value_chain`)."""
    return Role.ADMIN in principal.roles or manages_value_chain(principal, lead_actor_ids)
