"""Whose parked items a caller may list: a sender its own, a value chain's managers the
chain's, an administrator anyone's (the pure decision, and the chain-manager rule)."""

from __future__ import annotations

import uuid

import pytest
from synergia_funding.authority.senders import visible_sender
from synergia_funding.value_chains.service import chain_of_sender, chain_sender, manages
from synergia_shared.http.auth import Principal, Role
from synergia_shared.http.problems import ProblemException

CHAIN = uuid.UUID("6f1d1c8e-3f0b-4b7e-9b1a-2d4c5e6f7a8b")
OTHER_CHAIN = uuid.UUID("0c9e2a51-8d3f-4e21-a6b7-1f2e3d4c5b6a")
LEAD = uuid.UUID("11111111-2222-4333-8444-555555555555")


def test_an_authority_lists_its_own_sender_and_is_refused_others() -> None:
    own = "authority:ITC4"
    assert visible_sender(own, admin=False, requested=None) == own
    assert visible_sender(own, admin=False, requested=own) == own
    with pytest.raises(ProblemException) as refused:
        visible_sender(own, admin=False, requested="authority:DE2")
    assert refused.value.status == 403
    # An authority is no chain's manager, whatever the chain.
    with pytest.raises(ProblemException):
        visible_sender(own, admin=False, requested=chain_sender(CHAIN))


def test_an_administrator_lists_anyone_or_everyone() -> None:
    assert visible_sender("admin-1", admin=True, requested=None) is None
    assert visible_sender("admin-1", admin=True, requested="authority:DE2") == "authority:DE2"


def test_a_chain_manager_lists_a_chain_it_manages_and_must_name_it() -> None:
    sender = chain_sender(CHAIN)
    assert visible_sender(None, admin=False, requested=sender, manages_requested=True) == sender
    with pytest.raises(ProblemException) as refused:
        visible_sender(None, admin=False, requested=chain_sender(OTHER_CHAIN))
    assert refused.value.status == 403
    assert "value chains it manages" in (refused.value.detail or "")
    with pytest.raises(ProblemException) as refused:
        visible_sender(None, admin=False, requested="authority:ITC4")
    assert refused.value.status == 403
    with pytest.raises(ProblemException) as missing:
        visible_sender(None, admin=False, requested=None)
    assert missing.value.status == 422
    assert [e["loc"] for e in missing.value.errors or []] == [["query", "sender"]]


def test_a_chain_sender_names_its_chain_in_any_spelling_of_the_id() -> None:
    assert chain_of_sender(chain_sender(CHAIN)) == CHAIN
    assert chain_of_sender(f"value-chain:{str(CHAIN).upper()}") == CHAIN
    assert chain_of_sender("value-chain:not-a-uuid") is None
    assert chain_of_sender("authority:ITC4") is None
    assert chain_of_sender(str(CHAIN)) is None


def principal(*roles: Role, actor_id: uuid.UUID | None = LEAD) -> Principal:
    return Principal(
        subject="anna",
        roles=frozenset(roles),
        actor_id=None if actor_id is None else str(actor_id),
    )


def test_a_chain_is_managed_by_the_cluster_managers_of_its_lead_clusters_only() -> None:
    assert manages(principal(Role.CLUSTER_MANAGER), [uuid.uuid4(), LEAD])
    assert not manages(principal(Role.CLUSTER_MANAGER, actor_id=uuid.uuid4()), [LEAD])
    assert not manages(principal(Role.CLUSTER_MANAGER, actor_id=None), [LEAD])
    # The lead cluster's actor id in another role's token does not make a manager.
    assert not manages(principal(Role.AUTHORITY, Role.SME), [LEAD])
