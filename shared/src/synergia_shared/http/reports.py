"""Bounded answers to imports and batches: what a client sent is echoed back short, and
a report lists the first problems and counts the rest by reason.

A 50 MB upload of bad rows must not come back as a 150 MB report, nor a 1 MB id as a
1 MB echo: the client has its file; the report says where to look.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from synergia_shared.http.storable_text import is_storable

ECHO_LIMIT = 200
LISTING_LIMIT = 1000
REASON_KINDS = 100  # distinct reasons counted; beyond them, one "other reasons" count
OTHER_REASONS = "other reasons"
TRUNCATED = "…[{} characters in all]"


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` as a report may show it: cut at ``limit`` characters, with a marker that
    says it was cut and how long it was."""
    if len(text) <= limit:
        return text
    return text[:limit] + TRUNCATED.format(len(text))


def echo_or_none(text: str | None, limit: int = ECHO_LIMIT) -> str | None:
    return None if text is None else echo(text, limit)


def shown_id(item: Mapping[str, Any]) -> str | None:
    """The ``external_id`` of a refused item as its result may show it: a string that
    can be stored, cut by :func:`echo`; ``None`` otherwise (the index says which)."""
    external_id = item.get("external_id")
    if not isinstance(external_id, str) or not is_storable(external_id):
        return None
    return echo(external_id)


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_NUMBER = re.compile(r"[-+]?\d[\d.,]*")


def reason_kind(reason: str) -> str:
    """The kind of a problem, without the values it quotes: ``'12,5,0' is not an amount``
    and ``'x' is not an amount`` count as one reason, ``'…' is not an amount``."""
    kind = _NUMBER.sub("#", _QUOTED.sub("'…'", reason))
    return echo(kind, 160)


@dataclass
class ReasonCounts:
    """Problems counted by kind (:func:`reason_kind`), at most :data:`REASON_KINDS`."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, reason: str) -> None:
        for problem in reason.split("; "):  # a row's problems are joined by "; "
            kind = reason_kind(problem)
            if kind not in self.counts and len(self.counts) >= REASON_KINDS:
                kind = OTHER_REASONS
            self.counts[kind] += 1

    def as_dict(self) -> dict[str, int]:
        return dict(self.counts.most_common())
