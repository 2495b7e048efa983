"""What a search looks for, as groups of terms, and those groups as tsquery strings.

A need such as "battery recycling by hydrometallurgy" becomes one group per term (the
term and its synonyms): battery | accumulator | "energy storage"; recycling | recovery
| …; hydrometallurgy | leaching. An offer covers a group when it contains any member,
stemmed by PostgreSQL's English configuration; coverage (groups covered / groups) is
what the complementarity score is made of. Only letters and digits reach the tsquery
text, so nothing a user writes can change its syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from synergia_matching.partners.thesaurus import GROUPS, synonyms

MAX_GROUPS = 16
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Words too common in offers and needs to tell one from another; PostgreSQL drops the
# English stop words itself.
_NOISE = frozenset(
    {
        "looking",
        "seek",
        "seeking",
        "need",
        "needs",
        "partner",
        "partners",
        "company",
        "companies",
        "offer",
        "offers",
        "provide",
        "provides",
        "request",
        "new",
        "solution",
        "solutions",
        "based",
        "using",
        "support",
        "services",
        "service",
        "product",
        "products",
    }
)


@dataclass(frozen=True)
class TermGroup:
    label: str  # the term as asked for
    members: frozenset[str]  # it and its synonyms

    def tsquery(self) -> str:
        """``to_tsquery`` text: members OR-ed, the words of a member as a phrase."""
        alternatives = []
        for member in sorted(self.members):
            words = _WORD.findall(member.lower())
            if words:
                alternatives.append(" <-> ".join(words))
        return " | ".join(f"({a})" for a in alternatives)


def _phrases(keywords: Iterable[str], text: str) -> list[str]:
    """Keywords as given (multi-word ones kept whole when the thesaurus knows them), then
    the words of the free text."""
    found: list[str] = []
    for keyword in keywords:
        key = keyword.strip().lower()
        if not key:
            continue
        if len(synonyms(key)) > 1 or " " not in key:
            found.append(key)
        else:
            found += _WORD.findall(key)
    lowered = text.lower()
    known_phrases = sorted((t for t in _known_multiword() if t in lowered), key=len, reverse=True)
    for phrase in known_phrases:
        found.append(phrase)
        lowered = lowered.replace(phrase, " ")
    found += _WORD.findall(lowered)
    return found


def _known_multiword() -> list[str]:
    return [t for g in GROUPS for t in g if " " in t]


def term_groups(keywords: Iterable[str], text: str = "") -> list[TermGroup]:
    """The distinct term groups of what is sought, in the order given, at most
    :data:`MAX_GROUPS` (keywords first, so they are never crowded out by free text)."""
    groups: list[TermGroup] = []
    seen: set[frozenset[str]] = set()
    for term in _phrases(keywords, text):
        if term in _NOISE or len(term) < 2 or term.isdigit():
            continue
        members = synonyms(term)
        if members in seen:
            continue
        seen.add(members)
        groups.append(TermGroup(term, members))
        if len(groups) == MAX_GROUPS:
            break
    return groups
