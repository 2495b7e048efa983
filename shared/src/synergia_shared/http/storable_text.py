"""Text PostgreSQL cannot store: one rule for every field of every service.

PostgreSQL's ``text`` holds no NUL character (U+0000), and UTF-8 has no encoding for a
lone surrogate (U+D800 to U+DFFF without its pair), which JSON's ``\\ud800`` escape can
still deliver. Such a value is the client's error, named where it is (a 422 for a
request, a refusal of the one item in a batch), never a failed insert.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MSG = (
    "contains a NUL character (\\u0000) or an unpaired surrogate (\\ud800-\\udfff), "
    "which text cannot hold"
)
MAX_REPORTED = 20  # a hostile body with 100,000 such strings gets the first ones named


def is_storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def unstorable_text(value: Any, loc: Sequence[str | int] = ()) -> list[dict[str, Any]]:
    """Where ``value`` (a decoded JSON document, an item, a CSV row) holds text that
    cannot be stored, as problem errors (``loc``, ``msg``); keys count too."""
    found: list[dict[str, Any]] = []
    # Depth first, in document order; a bad key is reported where its value is visited.
    todo: list[tuple[Any, list[str | int], bool]] = [(value, list(loc), False)]
    while todo and len(found) < MAX_REPORTED:
        current, where, bad_key = todo.pop()
        if bad_key:
            found.append({"loc": where, "msg": UNSTORABLE_MSG})
        if isinstance(current, str):
            if not is_storable(current) and not bad_key:
                found.append({"loc": where, "msg": UNSTORABLE_MSG})
        elif isinstance(current, dict):
            for key, child in reversed(current.items()):
                name = str(key)
                bad = not is_storable(name)
                todo.append((child, [*where, _printable(name) if bad else name], bad))
        elif isinstance(current, list | tuple):
            todo.extend(
                (child, [*where, i], False) for i, child in reversed(list(enumerate(current)))
            )
    return found[:MAX_REPORTED]


def _printable(text: str) -> str:
    """A field name as it can be shown back (the bad characters escaped)."""
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
