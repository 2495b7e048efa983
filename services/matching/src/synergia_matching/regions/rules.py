"""Pure rules for S3 priorities: who may set them, and how a candidate's region aligns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from synergia_shared.http.auth import Principal, Role


def may_set(principal: Principal, nuts_code: str) -> bool:
    """Admins anywhere; an authority for its own region and the regions inside it (a
    NUTS code starts with the code of every region containing it)."""
    if Role.ADMIN in principal.roles:
        return True
    region = (principal.region or "").upper()
    return Role.AUTHORITY in principal.roles and bool(region) and nuts_code.startswith(region)


def enclosing_codes(nuts_code: str | None) -> list[str]:
    """The region and every region containing it, down to the country: DE111 → DE111,
    DE11, DE1, DE. A strategy set for any of them covers an actor located in DE111."""
    if not nuts_code:
        return []
    return [nuts_code[:n] for n in range(len(nuts_code), 1, -1)]


@dataclass(frozen=True)
class Alignment:
    score: float  # 0..1
    domain: str | None  # the best-fitting priority domain
    region: str | None  # where that domain is set
    matched: tuple[str, ...]  # what matched: sectors, ecosystems, keywords


def _nace_matches(wanted: Iterable[str], domain_codes: Iterable[str]) -> list[str]:
    """A domain's NACE code covers every code it is a prefix of (C covers C28.11)."""
    codes = list(domain_codes)
    return sorted({w for w in wanted for c in codes if w.startswith(c) or c.startswith(w)})


def domain_keywords(strategies: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    """Every keyword of every priority domain, each once: what to look for (as a phrase,
    on its stems) in what is sought, before :func:`region_alignments`."""
    found = (k for domains in strategies.values() for d in domains for k in d.get("keywords", ()))
    return sorted(set(found))


def _domain_fit(
    domain: Mapping[str, Any], nace: list[str], eco: set[str], keywords_found: set[str]
) -> tuple[float, list[str]]:
    """A priority domain aligns through the sought sectors (NACE), ecosystems or
    keywords; each kind that matches adds a third, so matching all three scores 1."""
    sectors = _nace_matches(nace, domain.get("nace_codes", ()))
    shared_eco = sorted(eco & set(domain.get("ecosystems", ())))
    keywords = sorted(k for k in domain.get("keywords", ()) if k in keywords_found)
    score = (bool(sectors) + bool(shared_eco) + bool(keywords)) / 3
    return score, sectors + shared_eco + keywords


def region_alignments(
    strategies: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    nace_codes: Iterable[str],
    ecosystems: Iterable[str],
    keywords_found: Iterable[str],
) -> dict[str, Alignment]:
    """For each region with a strategy, how well its best priority domain fits what is
    sought; regions where nothing fits are left out. An actor takes the best of its own
    region and the regions containing it (:func:`enclosing_codes`). ``keywords_found``
    are the domains' keywords found in what is sought: a keyword of several words as a
    phrase, on stems ("battery collection" in "batteries collection"; see
    ``regions.repository.keywords_found``)."""
    nace, eco = list(nace_codes), set(ecosystems)
    lowered = set(keywords_found)
    found: dict[str, Alignment] = {}
    for region, domains in sorted(strategies.items()):
        for domain in domains:
            score, matched = _domain_fit(domain, nace, eco, lowered)
            if score > found.get(region, Alignment(0.0, None, None, ())).score:
                found[region] = Alignment(score, domain["name"], region, tuple(matched))
    return found
