"""What a search looks for, as groups of terms, and those groups as tsquery strings.

A need such as "recycling of batteries by hydrometallurgy" becomes one group per term
(the term and its synonyms): battery | accumulator | "energy storage"; recycling |
recovery | …; hydrometallurgy | leaching. A keyword of several words ("battery
collection") is one term, matched as a phrase. An offer covers a group when it contains
any member, stemmed by PostgreSQL's English configuration; coverage (groups covered /
groups, each weighed by where it is found) is what the complementarity score is made of.

Terms are told apart by their stems, not their spelling: "battery" and "batteries" (or
"recycled" and "recycling") are one term, named once, as first written
(:func:`distinct_by_stem`, given the stems PostgreSQL computes). Only letters and digits
reach the tsquery text, so nothing a user writes can change its syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from synergia_matching.partners.thesaurus import GROUPS, synonyms

MAX_GROUPS = 16
# Terms read before stems are known: stop words ("for", "from", "to") are only told apart
# by PostgreSQL's stemming (distinct_by_stem), so capping at MAX_GROUPS here would let
# them crowd out the content words after them; this bound only limits the stems' lookup.
MAX_CANDIDATES = 4 * MAX_GROUPS
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


def member_query(member: str, weights: str = "") -> str:
    """``to_tsquery`` text of one member: its words as a phrase, each restricted to the
    document ``weights`` (labels A-D) when given; empty when it has no word."""
    suffix = f":{weights}" if weights else ""
    return " <-> ".join(w + suffix for w in _WORD.findall(member.lower()))


@dataclass(frozen=True)
class TermGroup:
    label: str  # the term as asked for
    members: frozenset[str]  # it and its synonyms
    keyword: bool = False  # given as a keyword (it weighs more), not a word of free text

    def tsquery(self, weights: str = "") -> str:
        """``to_tsquery`` text: members OR-ed, the words of a member as a phrase; with
        ``weights``, found only in the parts of the document labelled so."""
        alternatives = [q for m in sorted(self.members) if (q := member_query(m, weights))]
        return " | ".join(f"({a})" for a in alternatives)


def _phrases(keywords: Iterable[str], text: str) -> list[tuple[str, bool]]:
    """Keywords as given (one of several words is a phrase), then the thesaurus' phrases
    found in the free text, then its other words; each with whether it is a keyword."""
    found: list[tuple[str, bool]] = []
    for keyword in keywords:
        key = " ".join(_WORD.findall(keyword.lower()))
        if key:
            found.append((key, True))
    lowered = text.lower()
    known_phrases = sorted((t for t in _known_multiword() if t in lowered), key=len, reverse=True)
    for phrase in known_phrases:
        found.append((phrase, False))
        lowered = lowered.replace(phrase, " ")
    found += [(word, False) for word in _WORD.findall(lowered)]
    return found


def _known_multiword() -> list[str]:
    return [t for g in GROUPS for t in g if " " in t]


def term_groups(keywords: Iterable[str], text: str = "") -> list[TermGroup]:
    """The candidate term groups of what is sought, in the order given, at most
    :data:`MAX_CANDIDATES` (keywords first, so they are never crowded out by free text),
    spelled differently from one another. :func:`distinct_by_stem` joins the groups that
    differ only in inflection, drops stop words and keeps :data:`MAX_GROUPS`."""
    groups: list[TermGroup] = []
    seen: set[frozenset[str]] = set()
    for term, keyword in _phrases(keywords, text):
        if term in _NOISE or len(term) < 2 or term.isdigit():
            continue
        members = synonyms(term)
        if members in seen:
            continue
        seen.add(members)
        groups.append(TermGroup(term, members, keyword))
        if len(groups) == MAX_CANDIDATES:
            break
    return groups


def stem_inputs(groups: Iterable[TermGroup]) -> list[str]:
    """Every member query whose stems :func:`distinct_by_stem` needs: the groups' and the
    thesaurus' (a word the thesaurus lists in another inflection joins its group)."""
    members = {m for g in groups for m in g.members} | {t for g in GROUPS for t in g}
    return sorted({q for m in members if (q := member_query(m))})


def distinct_by_stem(groups: Iterable[TermGroup], stems: Mapping[str, str]) -> list[TermGroup]:
    """The groups with distinct stems, at most :data:`MAX_GROUPS`.

    ``stems`` maps a member query (:func:`member_query`) to PostgreSQL's normalised
    tsquery of it (``'batteri'``; empty for stop words). A term not in the thesaurus in
    its own spelling joins the thesaurus group of a member with its stem ("recycled" →
    recycling | recovery | …); a group whose term has the stem of a member of an earlier
    group is that group again and is dropped, so the term is named once, as first
    written; a group that is only stop words is dropped before it can count."""

    def stem(member: str) -> str:
        return stems.get(member_query(member), "")

    thesaurus = {stem(t): g for g in GROUPS for t in g if stem(t)}
    kept: list[TermGroup] = []
    covered: set[str] = set()
    for group in groups:
        own = stem(group.label)
        if not own or own in covered:
            continue
        members = group.members
        if members == {group.label} and own in thesaurus:
            members = thesaurus[own] | {group.label}
        alternatives = {s for m in members if (s := stem(m))}
        covered |= alternatives
        kept.append(TermGroup(group.label, members, group.keyword))
        if len(kept) == MAX_GROUPS:
            break
    return kept
