"""Pure rules of applying a batch of events to a projection at once.

Snapshots (whole state after a change, with the aggregate's sequence) are applied only
when newer than the stored one. Within a batch, then, only each aggregate's newest
snapshot can matter: the older ones would be overwritten by it, or refused by the same
guard. One row per aggregate is also what a multi-row upsert requires (PostgreSQL
refuses to update a row twice in one statement).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

T = TypeVar("T")


def latest_per_aggregate(
    items: Iterable[T], aggregate: Callable[[T], Hashable], sequence: Callable[[T], int]
) -> list[T]:
    """Each aggregate's item with the highest sequence, in the order of first sight.
    Of equal sequences the first wins: applied one at a time, the guard (strictly
    newer) would refuse the later ones."""
    latest: dict[Hashable, T] = {}
    for item in items:
        key = aggregate(item)
        held = latest.get(key)
        if held is None or sequence(item) > sequence(held):
            latest[key] = item
    return list(latest.values())
