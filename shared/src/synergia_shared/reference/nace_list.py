"""Every NACE code of a revision, read from the lists ``validate_nace`` checks against
(python-stdnum's ``eu/nace20`` and ``eu/nace21``), and the classes the two revisions share.

Levels as Eurostat counts them: 1 section (``C``), 2 division (``C28``), 3 group
(``C28.1``), 4 class (``C28.11``). Codes are in the canonical form of
:func:`synergia_shared.reference.nace.validate_nace`.

**Correspondence.** Eurostat's official NACE Rev. 2 - Rev. 2.1 correspondence table is
not carried by any package we install (nothing in it is downloaded at run time). What is
offline are both classifications with their labels, so the correspondence served is the
one they prove: a Rev. 2 class and a Rev. 2.1 class whose labels are the same (case and
spacing aside) describe the same activity, whatever their codes (Rev. 2 ``J62.01``
"Computer programming activities" is Rev. 2.1 ``K62.10``). Classes that were split,
merged or reworded have no link here: a frontend shows them as "no direct equivalent"
rather than guess one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from stdnum import numdb

from synergia_shared.reference.nace import NACE_REVISIONS

_DATABASE = {"2": "eu/nace20", "2.1": "eu/nace21"}
NACE_LEVELS = (1, 2, 3, 4)


@dataclass(frozen=True)
class NaceEntry:
    code: str  # canonical: "C", "C28", "C28.1", "C28.11"
    label: str
    level: int  # 1 section, 2 division, 3 group, 4 class
    section: str
    parent: str | None  # the code one level up; None for a section


@dataclass(frozen=True)
class NaceLink:
    """A Rev. 2 class and the Rev. 2.1 class with the same label."""

    rev2: str
    rev21: str
    label: str


@cache
def nace_entries(revision: str) -> tuple[NaceEntry, ...]:
    """Every code of NACE ``revision``, sections first, then divisions in order with their
    groups and classes under them."""
    if revision not in NACE_REVISIONS:
        raise ValueError(f"unknown NACE revision {revision!r}; known: {', '.join(NACE_REVISIONS)}")
    entries = list(_walk(numdb.get(_DATABASE[revision]).prefixes, "", None))
    return tuple(
        sorted(entries, key=lambda e: (e.level > 1, e.code[1:] if e.level > 1 else e.code))
    )


def _walk(prefixes: Any, digits: str, section: str | None) -> Iterator[NaceEntry]:
    for length, low, high, props, children in prefixes:
        parts = (
            [low] if low == high else [str(n).zfill(length) for n in range(int(low), int(high) + 1)]
        )
        for part in parts:
            if part.isalpha():  # a section
                yield NaceEntry(part, props["label"], 1, part, None)
                continue
            number = digits + part
            own_section = props.get("section", section)
            yield NaceEntry(
                _canonical(own_section, number),
                props["label"],
                len(number),
                own_section,
                own_section if len(number) == 2 else _canonical(own_section, number[:-1]),
            )
            yield from _walk(children, number, own_section)


def _canonical(section: str, digits: str) -> str:
    return section + digits[:2] + (f".{digits[2:]}" if len(digits) > 2 else "")


@cache
def nace_correspondence() -> tuple[NaceLink, ...]:
    """Rev. 2 classes and the Rev. 2.1 classes with the same label (see the module doc)."""
    rev21 = {_key(e.label): e for e in nace_entries("2.1") if e.level == 4}
    links = [
        NaceLink(entry.code, rev21[_key(entry.label)].code, entry.label)
        for entry in nace_entries("2")
        if entry.level == 4 and _key(entry.label) in rev21
    ]
    return tuple(links)


def _key(label: str) -> str:
    return " ".join(label.casefold().split())
