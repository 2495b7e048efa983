"""Python's cyclic garbage collector held off while a bulk operation runs.

A request that registers thousands of beneficiaries allocates hundreds of thousands of
containers (items, rows, results) that all live until it ends. The collector, set off
every few thousand allocations, walks them again and again and frees nothing (they are
alive; reference counting frees them afterwards): measured at a fifth of such a
request's CPU. Paused for the operation, it walks them at most once after it, when
most are gone. Other requests running meanwhile are not collected either for that
while, which costs memory only if they make reference cycles.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


class _Pause:
    """Process-wide and counted: overlapping operations resume the collector when the
    last one ends, and only if it was running before the first."""

    def __init__(self) -> None:
        self.depth = 0
        self.resume = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        if self.depth == 0:
            self.resume = gc.isenabled()
            gc.disable()
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            if self.depth == 0 and self.resume:
                gc.enable()


collector_paused = _Pause()
