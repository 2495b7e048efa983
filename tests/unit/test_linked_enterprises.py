"""Linked enterprises are one entity: through control, either way round, transitively."""

from __future__ import annotations

import uuid

from synergia_shared.linked_enterprises import entity_of


def test_linked_enterprises_are_one_entity_also_through_others() -> None:
    a, b, c, d = (uuid.UUID(int=i) for i in range(1, 5))
    entities = entity_of([a, b, c, d], [(a, b), (c, b)])
    assert entities[a] == entities[b] == entities[c] == a
    assert entities[d] == d


def test_a_link_through_an_actor_outside_the_set_still_joins_two_members() -> None:
    member_1, outsider, member_2 = (uuid.UUID(int=i) for i in (9, 1, 5))
    entities = entity_of([member_1, member_2], [(member_1, outsider), (outsider, member_2)])
    assert entities == {member_1: outsider, member_2: outsider}


def test_a_long_chain_of_control_is_one_entity_whatever_the_order_of_its_links() -> None:
    chain = [uuid.UUID(int=i) for i in range(1, 201)]
    links = [(chain[i + 1], chain[i]) for i in reversed(range(len(chain) - 1))]
    assert set(entity_of(chain, links).values()) == {chain[0]}
