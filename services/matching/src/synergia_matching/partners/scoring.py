"""How a partner candidate is scored, and the score put in plain words.

The score is a weighted mean of components in [0, 1], over the components that apply to
this search (a search without the searcher's offers has no mutual-benefit component,
one without an origin country no cross-border one):

- complementarity: how much of what is needed the candidate offers — share of the needed
  term groups its offers cover (stemmed, with synonyms), share of the needed
  competences it has, whether its sectors (NACE) or ecosystems are the ones asked for;
- mutual benefit: the same in reverse, the searcher's offers against the candidate's
  needs;
- cross-border: established in another country than the searcher;
- cross-sector: brings a NACE section the searcher does not have;
- S3 alignment: what is sought fits a smart-specialisation priority of the candidate's
  region (or a region containing it);
- SME focus: the candidate is an SME (micro, small or medium).

What is deliberately NOT in the score: how many clusters, value chains, partners or
past matches a candidate has, how old it is, how complete its profile looks. Those
favour the well-established, who would otherwise crowd out capable newcomers with the
same fit; between equal scores the more recently registered actor comes first.

Fit first: the components other than complementarity say how good a partner a fitting
candidate would be, not whether it fits, so they count in proportion to its fit. The
score is ``complementarity * (its weight + the sum of weight * value of the others)``: a
candidate that offers nothing of what is needed scores 0 whatever its country, sector or
size; with full complementarity the score is the plain weighted mean; two candidates
with the same fit are ordered by the other components as a weighted mean would order
them.

The SQL in ``repository`` computes the same formula to rank and paginate in the
database; ``total`` here is the reference it is tested against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

WEIGHTS: dict[str, float] = {
    "complementarity": 0.45,
    "mutual_benefit": 0.15,
    "cross_border": 0.10,
    "cross_sector": 0.10,
    "s3_alignment": 0.10,
    "sme_focus": 0.10,
}
# Within complementarity: the parts the search asked for, weighted like this.
COMPLEMENTARITY_PARTS: dict[str, float] = {"text": 0.5, "competences": 0.3, "sectors": 0.2}
# Evidence by where it is: a needed term in a structured offer or a controlled competence
# counts 1; found only in the free text (the actor's own keywords and description) it
# counts this much. Anyone can write any word there, and some write every word a search
# might use; a capability offered in a structured offer is a claim about what it provides.
# Repetition adds nothing: a term counts once, however often it is written.
FREE_TEXT_EVIDENCE = 0.4
# A needed competence, sector or ecosystem is a broad class (a green-roof builder and a
# paper-packaging maker share "eco-innovation"): when the search names needed terms and
# the candidate's offers and text contain none of them, what it shares only through the
# controlled vocabularies counts this much. Still found (across languages, the
# vocabularies are what carries matching), ranked below candidates whose offers say it.
UNCORROBORATED_EVIDENCE = 0.25
# A term the searcher gave as a keyword weighs this many words of its free text: keywords
# are what the searcher says matters, the free text also carries the context (quantities,
# places, "especially").
KEYWORD_WEIGHT = 2.0
# Weights and values are shown rounded to this many decimals (the score has 4 too): the
# normalised weights are sums of floats (0.5000000000000001) and more digits say nothing.
SHOWN_DECIMALS = 4


def shown_weights(weights: dict[str, float]) -> dict[str, float]:
    """The weights as shown: rounded like :func:`shown`, the last digits given to the
    largest remainders so that the shown weights still add up to exactly 1 (1/3 each
    shows as 0.3334, 0.3333, 0.3333, not three 0.3333)."""
    scale = 10**SHOWN_DECIMALS
    exact = {name: w * scale for name, w in weights.items()}
    units = {name: int(x) for name, x in exact.items()}
    short = round(sum(exact.values())) - sum(units.values())
    by_remainder = sorted(exact, key=lambda name: exact[name] - units[name], reverse=True)
    for name in by_remainder[: max(short, 0)]:
        units[name] += 1
    return {name: u / scale for name, u in units.items()}


def shown(value: float) -> float:
    """A weight or a component's value as shown: rounded, without float noise."""
    return round(value, SHOWN_DECIMALS)


def _normalised(applies: dict[str, bool], weights: dict[str, float]) -> dict[str, float]:
    total = sum(w for k, w in weights.items() if applies[k])
    return {k: (w / total if applies[k] and total else 0.0) for k, w in weights.items()}


def component_weights(
    *, mutual_benefit: bool, cross_border: bool, cross_sector: bool, s3_alignment: bool
) -> dict[str, float]:
    """The weights of a search's components, over those that apply to it (they add up to
    1; one that does not apply weighs 0): mutual benefit needs the searcher's offers,
    cross-border its country, cross-sector its sectors, S3 alignment a region with
    priorities set. Complementarity and SME focus always apply."""
    applies = {
        "complementarity": True,
        "mutual_benefit": mutual_benefit,
        "cross_border": cross_border,
        "cross_sector": cross_sector,
        "s3_alignment": s3_alignment,
        "sme_focus": True,
    }
    return _normalised(applies, WEIGHTS)


def complementarity_parts(*, text: bool, competences: bool, sectors: bool) -> dict[str, float]:
    """The weights within complementarity, over the parts the search asks for: needed
    terms, competences, sectors (NACE codes or ecosystems)."""
    applies = {"text": text, "competences": competences, "sectors": sectors}
    return _normalised(applies, COMPLEMENTARITY_PARTS)


def fit_first(values: dict[str, float | None], weights: dict[str, float]) -> float:
    """Complementarity times (its weight + the weighted values of the other components
    that apply), the weights normalised over the components that apply (not ``None``): the
    other components count in proportion to the fit."""
    applicable = {k: v for k, v in values.items() if v is not None}
    total_weight = sum(weights[k] for k in applicable)
    fit = applicable.get("complementarity")
    if not total_weight or not fit:
        return 0.0
    others = sum(weights[k] * v for k, v in applicable.items() if k != "complementarity")
    return fit * (weights["complementarity"] + others) / total_weight


def total(components: dict[str, float | None]) -> float:
    return round(fit_first(components, WEIGHTS), 4)


def term_weights(keywords: Sequence[bool]) -> list[float]:
    """Each needed term's share of the text part (they add up to 1), in order: a keyword
    (``True``) weighs :data:`KEYWORD_WEIGHT` words of the free text."""
    raw = [KEYWORD_WEIGHT if keyword else 1.0 for keyword in keywords]
    return [w / sum(raw) for w in raw]


def text_share(evidence: Sequence[float], keywords: Sequence[bool]) -> float:
    """The text part of complementarity: each needed term's evidence (1 in an offer,
    :data:`FREE_TEXT_EVIDENCE` in free text only, 0 not found) by its weight
    (:func:`term_weights`). The SQL computes the same."""
    return sum(w * e for w, e in zip(term_weights(keywords), evidence, strict=True))


@dataclass
class Component:
    name: str
    value: float | None
    weight: float
    explanation: str


@dataclass
class Explanation:
    score: float
    components: list[Component] = field(default_factory=list)


def _share(matched: list[str], wanted: int, what: str) -> str:
    if not wanted:
        return ""
    if not matched:
        return f"none of the {wanted} {what}"
    return f"{len(matched)} of {wanted} {what} ({', '.join(matched)})"


def explain_complementarity(
    text: float | None,
    matched_terms: list[str],
    free_text_terms: list[str],
    matched_offers: list[str],
    term_count: int,
    competences: float | None,
    matched_competences: list[str],
    competence_count: int,
    sectors: float | None,
    matched_sectors: list[str],
) -> str:
    parts = []
    if text is not None:
        parts.append("its offers cover " + _share(matched_terms, term_count, "needed terms"))
        if matched_offers:
            parts.append("matching offers: " + ", ".join(f"'{t}'" for t in matched_offers))
        if free_text_terms:
            parts.append(
                f"{', '.join(free_text_terms)} only in its own keywords or description, "
                f"which count {FREE_TEXT_EVIDENCE:g} of an offer"
            )
    if competences is not None:
        parts.append(
            "it has " + _share(matched_competences, competence_count, "needed competences")
        )
    if sectors is not None:
        parts.append(
            f"works in a wanted sector or ecosystem ({', '.join(matched_sectors)})"
            if matched_sectors
            else "works in none of the wanted sectors or ecosystems"
        )
    if text is not None and not matched_terms and (matched_competences or matched_sectors):
        parts.append(
            "with none of the needed terms in its offers or text, these count "
            f"{UNCORROBORATED_EVIDENCE:g} of their share"
        )
    return "; ".join(parts)


def explain_mutual_benefit(matched_offers: Sequence[str] | None, offered: int) -> str:
    """``matched_offers``: which of the searcher's offers the candidate's needs ask for,
    ``None`` when the searcher offers nothing to match against."""
    if matched_offers is None:
        return "not scored: no offers of yours to match against its needs"
    if matched_offers:
        return (
            f"its needs ask for {len(matched_offers)} of the {offered} things you offer "
            f"({', '.join(matched_offers)})"
        )
    return f"its needs ask for none of the {offered} things you offer"


def explain_cross_border(country: str, *, origin_known: bool, abroad: bool) -> str:
    if not origin_known:
        return "not scored: no origin country"
    return f"established in {country}, " + (
        "another country than yours" if abroad else "your own country"
    )


def explain_cross_sector(nace_codes: Sequence[str], origin_sections: Sequence[str]) -> str:
    if not origin_sections:
        return "not scored: your sectors are not known"
    if not nace_codes:
        return "no NACE codes known for it"
    return (
        f"NACE sections {', '.join(sorted({c[0] for c in nace_codes}))} "
        f"against yours ({', '.join(origin_sections)})"
    )


def explain_sme_focus(sme_category: str | None, *, is_sme: bool) -> str:
    if is_sme:
        return f"an SME ({sme_category})"
    return f"not an SME ({sme_category or 'category unknown'})"


class Scored(Protocol):
    """A component as shown: its name, value, weight and explanation."""

    @property
    def name(self) -> str: ...
    @property
    def value(self) -> float | None: ...
    @property
    def weight(self) -> float: ...
    @property
    def explanation(self) -> str: ...


def summarise(name: str, country: str, score: float, components: Sequence[Scored]) -> str:
    """The score in a sentence, with the component that adds the most to it."""
    strongest = max(
        (c for c in components if c.value), key=lambda c: c.weight * (c.value or 0), default=None
    )
    return f"{name} ({country}) scores {score:.2f}" + (
        f", mostly for {strongest.name.replace('_', ' ')}: {strongest.explanation}"
        if strongest
        else ""
    )
