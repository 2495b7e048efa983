"""Linked enterprises: actors that count as one legal entity because one controls another.

Recommendation 2003/361/EC, art. 3(3): enterprises linked through a majority of voting
rights or control, directly or through other enterprises, are one. The registry checks
a value chain's "three independent legal entities" with it, matching keeps linked
actors out of one team's count of entities.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable


def entity_of(
    actor_ids: Iterable[uuid.UUID], links: Iterable[tuple[uuid.UUID, uuid.UUID]]
) -> dict[uuid.UUID, uuid.UUID]:
    """Each actor's entity: the smallest actor id among those linked to it by ``links``
    (pairs of controlled and controlling actor, in either order), in either direction and
    transitively, also through actors not in ``actor_ids``."""
    parent: dict[uuid.UUID, uuid.UUID] = {}

    def root(node: uuid.UUID) -> uuid.UUID:
        parent.setdefault(node, node)
        top = node
        while parent[top] != top:
            top = parent[top]
        while parent[node] != top:  # path compression: later lookups are one step
            parent[node], node = top, parent[node]
        return top

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {actor: root(actor) for actor in actor_ids}
