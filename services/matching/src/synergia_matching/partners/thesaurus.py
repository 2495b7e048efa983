"""Synonyms of the field, so that a need finds an offer written in other words.

PostgreSQL's English stemmer already joins inflections (recycling, recycled, recycles →
recycl); this joins different words for one thing. Groups are kept small and specific:
a loose synonym costs precision for everyone. Each group is matched as a whole: a term
in a group stands for any member of it. Multi-word entries are matched as phrases.
"""

from __future__ import annotations

from functools import cache

GROUPS: tuple[frozenset[str], ...] = tuple(
    frozenset(group)
    for group in (
        {"recycling", "recovery", "reprocessing", "upcycling"},
        {"battery", "accumulator", "energy storage", "cell chemistry"},
        {"packaging", "containers", "wrapping"},
        {"bioplastic", "biopolymer", "bio-based plastic", "biodegradable plastic"},
        {"biorefinery", "biomass conversion"},
        {"sensor", "detector", "transducer"},
        {"artificial intelligence", "ai", "machine learning", "deep learning"},
        {"internet of things", "iot", "connected devices"},
        {"3d printing", "additive manufacturing"},
        {"lidar", "laser scanning"},
        {"laser", "photonics", "optics"},
        {"logistics", "supply chain", "distribution"},
        {"composite", "fibre-reinforced", "fiber-reinforced", "carbon fibre", "carbon fiber"},
        # Spellings of one device. Not hydrogen or fuel cells: an electrolyser makes
        # hydrogen, a fuel cell uses it; a search for one is not answered by the others.
        {"electrolyser", "electrolyzer"},
        {"photovoltaic", "solar", "pv"},
        {"wind turbine", "wind energy"},
        {"electric vehicle", "ev", "e-mobility", "electromobility"},
        {"semiconductor", "microelectronics", "chip"},
        {"cybersecurity", "information security", "cyber security"},
        {"robot", "robotics", "automation", "cobot"},
        {"digital twin", "simulation model"},
        {"textile", "fabric", "apparel", "garment"},
        {"food processing", "food production", "agri-food"},
        {"fertiliser", "fertilizer", "soil amendment"},
        {"wastewater", "effluent", "water treatment"},
        {"waste", "residue", "by-product", "side stream"},
        {"testing", "certification", "validation", "qualification"},
        {"prototype", "prototyping", "pilot line", "demonstrator"},
        {"distributor", "reseller", "sales partner", "sales agent"},
        {"investor", "venture capital", "business angel", "equity"},
        {"manufacturer", "producer", "fabricator"},
        {"coating", "surface treatment", "thin film"},
        {"metal", "metallurgy", "alloy"},
        {"hydrometallurgy", "leaching"},
        {"ceramic", "ceramics"},
        {"drone", "uav", "unmanned aerial vehicle"},
        {"big data", "data analytics", "analytics"},
        {"cloud", "cloud computing", "saas"},
        {"medical device", "medtech"},
        {"pharmaceutical", "pharma", "drug"},
    )
)


@cache
def _index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for group in GROUPS:
        for term in group:
            index.setdefault(term, set()).update(group)
    return {term: frozenset(members) for term, members in index.items()}


def _forms(term: str) -> list[str]:
    """The term, then its likely singulars: the thesaurus lists singulars, and the
    stemmer joins the inflections once a group is matched."""
    forms = [term]
    if term.endswith("ies"):
        forms.append(term[:-3] + "y")
    if term.endswith("es"):
        forms.append(term[:-2])
    if term.endswith("s"):
        forms.append(term[:-1])
    return forms


def synonyms(term: str) -> frozenset[str]:
    """The term with every synonym of it (the term alone when it has none)."""
    key = term.strip().lower()
    index = _index()
    for form in _forms(key):
        if form in index:
            return index[form] | {key}
    return frozenset({key})
