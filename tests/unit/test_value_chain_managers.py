"""Who manages a value chain, and who may act for it: one rule for the three services."""

from __future__ import annotations

import uuid

import pytest
from synergia_shared.http.auth import Principal, Role
from synergia_shared.value_chain_managers import manages_value_chain, may_act_for_value_chain

LEAD = uuid.uuid4()
OTHER_LEAD = uuid.uuid4()


def principal(*roles: Role, actor_id: uuid.UUID | None = LEAD) -> Principal:
    return Principal(
        subject="u",
        roles=frozenset(roles),
        actor_id=None if actor_id is None else str(actor_id),
    )


def test_a_cluster_manager_of_any_lead_manages_the_chain() -> None:
    assert manages_value_chain(principal(Role.CLUSTER_MANAGER), [OTHER_LEAD, LEAD])
    assert manages_value_chain(principal(Role.CLUSTER_MANAGER, Role.SME), [LEAD])


@pytest.mark.parametrize(
    ("who", "why"),
    [
        (principal(Role.CLUSTER_MANAGER, actor_id=uuid.uuid4()), "signed in for another actor"),
        (principal(Role.CLUSTER_MANAGER, actor_id=None), "signed in for no actor"),
        (principal(Role.SME, Role.VIEWER), "for a lead, but not as its manager"),
        (principal(Role.ADMIN, actor_id=None), "an admin is not a manager"),
    ],
)
def test_others_do_not_manage_the_chain(who: Principal, why: str) -> None:
    assert not manages_value_chain(who, [LEAD, OTHER_LEAD]), why


def test_no_leads_no_managers() -> None:
    assert not manages_value_chain(principal(Role.CLUSTER_MANAGER), [])


def test_admins_and_managers_may_act_for_the_chain_nobody_else() -> None:
    assert may_act_for_value_chain(principal(Role.ADMIN, actor_id=None), [LEAD])
    assert may_act_for_value_chain(principal(Role.CLUSTER_MANAGER), [LEAD])
    assert not may_act_for_value_chain(principal(Role.CLUSTER_MANAGER), [OTHER_LEAD])
    assert not may_act_for_value_chain(principal(Role.INVESTOR, Role.AUTHORITY), [LEAD])
