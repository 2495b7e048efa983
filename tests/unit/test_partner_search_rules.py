"""Which components and parts weigh in a partner search, and when a search says what it
needs."""

from __future__ import annotations

import pytest
from synergia_matching.partners import rules, scoring


def test_every_component_applies_with_offers_origin_sectors_and_priorities() -> None:
    weights = scoring.component_weights(
        mutual_benefit=True, cross_border=True, cross_sector=True, s3_alignment=True
    )
    assert weights == pytest.approx(scoring.WEIGHTS)


def test_components_that_do_not_apply_weigh_nothing_and_the_rest_add_up_to_one() -> None:
    weights = scoring.component_weights(
        mutual_benefit=False, cross_border=True, cross_sector=False, s3_alignment=False
    )
    assert weights["mutual_benefit"] == weights["cross_sector"] == weights["s3_alignment"] == 0
    assert sum(weights.values()) == pytest.approx(1)
    assert weights["complementarity"] == pytest.approx(0.45 / 0.65)
    assert list(weights) == list(scoring.WEIGHTS), "the components keep their order"


def test_complementarity_weighs_only_the_parts_the_search_asks_for() -> None:
    parts = scoring.complementarity_parts(text=True, competences=False, sectors=True)
    assert parts == pytest.approx({"text": 0.5 / 0.7, "competences": 0.0, "sectors": 0.2 / 0.7})
    nothing = scoring.complementarity_parts(text=False, competences=False, sectors=False)
    assert nothing == {"text": 0.0, "competences": 0.0, "sectors": 0.0}


def test_a_search_must_say_what_it_needs() -> None:
    assert not rules.says_what_is_needed(
        terms=False, competences=False, nace_codes=False, ecosystems=False
    )
    for part in ("terms", "competences", "nace_codes", "ecosystems"):
        flags = {"terms": False, "competences": False, "nace_codes": False, "ecosystems": False}
        assert rules.says_what_is_needed(**{**flags, part: True}), part


def test_mutual_benefit_names_what_its_needs_ask_for_or_why_it_is_not_scored() -> None:
    assert scoring.explain_mutual_benefit(["sorting", "collection"], 3) == (
        "its needs ask for 2 of the 3 things you offer (sorting, collection)"
    )
    assert (
        scoring.explain_mutual_benefit([], 3) == "its needs ask for none of the 3 things you offer"
    )
    assert scoring.explain_mutual_benefit(None, 0) == (
        "not scored: no offers of yours to match against its needs"
    )


def test_cross_border_says_where_it_is_established() -> None:
    assert scoring.explain_cross_border("FR", origin_known=True, abroad=True) == (
        "established in FR, another country than yours"
    )
    assert scoring.explain_cross_border("DE", origin_known=True, abroad=False) == (
        "established in DE, your own country"
    )
    assert scoring.explain_cross_border("DE", origin_known=False, abroad=False) == (
        "not scored: no origin country"
    )


def test_cross_sector_names_its_sections_against_the_searchers() -> None:
    assert scoring.explain_cross_sector(["M72.1", "C28.11", "C20"], ["C"]) == (
        "NACE sections C, M against yours (C)"
    )
    assert scoring.explain_cross_sector([], ["C"]) == "no NACE codes known for it"
    assert scoring.explain_cross_sector(["C28"], []) == "not scored: your sectors are not known"


def test_sme_focus_names_the_category() -> None:
    assert scoring.explain_sme_focus("small", is_sme=True) == "an SME (small)"
    assert scoring.explain_sme_focus("large", is_sme=False) == "not an SME (large)"
    assert scoring.explain_sme_focus(None, is_sme=False) == "not an SME (category unknown)"


def test_the_summary_names_the_component_adding_the_most() -> None:
    components = [
        scoring.Component("complementarity", 0.5, 0.45, "its offers cover 1 of 2 needed terms"),
        scoring.Component("cross_border", 1.0, 0.10, "established in FR, ..."),
        scoring.Component("mutual_benefit", None, 0.0, "not scored"),
    ]
    assert scoring.summarise("Acme", "FR", 0.456, components) == (
        "Acme (FR) scores 0.46, mostly for complementarity: its offers cover 1 of 2 needed terms"
    )
    nothing = [scoring.Component("sme_focus", 0.0, 0.1, "not an SME (large)")]
    assert scoring.summarise("Acme", "FR", 0.0, nothing) == "Acme (FR) scores 0.00"
