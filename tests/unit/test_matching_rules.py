"""Pure rules of matching: term groups and synonyms, the score, S3 alignment, legal
entities and stage fit of team candidates."""

from __future__ import annotations

import uuid

import pytest
from synergia_matching.partners import scoring
from synergia_matching.partners.terms import (
    MAX_CANDIDATES,
    MAX_GROUPS,
    distinct_by_stem,
    stem_inputs,
    term_groups,
)
from synergia_matching.partners.thesaurus import synonyms
from synergia_matching.proposals import rules as proposals
from synergia_matching.regions.rules import enclosing_codes, may_set, region_alignments
from synergia_shared.http.auth import Principal, Role


def test_synonyms_join_words_for_one_thing_and_find_plurals() -> None:
    assert "accumulator" in synonyms("battery")
    assert "accumulator" in synonyms("Batteries"), "plural → the group of its singular"
    assert "batteries" in synonyms("batteries"), "the word as asked stays in"
    assert synonyms("lithium") == frozenset({"lithium"})


def test_term_groups_keep_keywords_first_and_drop_noise() -> None:
    groups = term_groups(
        ["battery recycling"], "We are looking for a partner in AI and 3D printing"
    )
    labels = [g.label for g in groups]
    assert labels[0] == "battery recycling", "a multi-word keyword is one term, a phrase"
    assert groups[0].tsquery() == "(battery <-> recycling)"
    assert "3d printing" in labels, "a known phrase is kept whole"
    assert "ai" in labels
    assert "looking" not in labels
    assert "partner" not in labels
    assert len({g.members for g in groups}) == len(groups), "no group twice"


def test_term_groups_are_capped() -> None:
    words = " ".join(f"word{i}x" for i in range(200))
    assert len(term_groups([], words)) == MAX_CANDIDATES
    stems = {f"word{i}x": f"'word{i}x'" for i in range(200)}
    assert len(distinct_by_stem(term_groups([], words), stems)) == MAX_GROUPS


def test_stop_words_do_not_crowd_out_the_words_after_them() -> None:
    # A cold-chain need, as a user writes it: its stop words come first.
    text = (
        "We need a partner for the transport of food at a controlled temperature from "
        "our site to the shops in Poland and to Czechia, with a cold chain that is "
        "monitored for the whole of the route by the hour and by the pallet"
    )
    groups = term_groups([], text)
    content = {"transport", "food", "controlled", "temperature", "site", "shops", "poland"}
    content |= {"czechia", "cold chain", "monitored", "whole", "route", "hour", "pallet"}
    stems = {q: (f"'{q}'" if q in content else "") for q in stem_inputs(groups)}
    kept = [g.label for g in distinct_by_stem(groups, stems)]
    assert kept[-3:] == ["route", "hour", "pallet"], "the last content words are searched too"
    assert set(kept) <= content


def test_tsquery_text_carries_only_words_and_operators() -> None:
    (group,) = term_groups([], "additive manufacturing")
    assert group.tsquery() == "(3d <-> printing) | (additive <-> manufacturing)"
    (hostile,) = term_groups(["x'); DROP TABLE actor_profiles; --"], "")[:1]
    assert set(hostile.tsquery()) <= set("abcdefghijklmnopqrstuvwxyz0123456789 ()<->|_")


def test_the_score_puts_fit_first_over_the_components_that_apply() -> None:
    all_ones = dict.fromkeys(scoring.WEIGHTS, 1.0)
    assert scoring.total(all_ones) == 1.0
    only_fit = {
        "complementarity": 0.8,
        "mutual_benefit": None,
        "cross_border": None,
        "cross_sector": None,
        "s3_alignment": None,
        "sme_focus": 0.0,
    }
    expected = 0.45 * 0.8 / (0.45 + 0.10)
    assert scoring.total(only_fit) == pytest.approx(expected, abs=1e-4)
    # Nothing of the need offered: nothing else counts.
    assert scoring.total({**all_ones, "complementarity": 0.0}) == 0.0
    # The other components count in proportion to the fit ...
    abroad = {**only_fit, "sme_focus": 1.0}
    assert scoring.total(abroad) == pytest.approx(0.8 * (0.45 + 0.10) / 0.55, abs=1e-4)
    # ... so being an SME does not lift four fifths of the need above all of it.
    exact_large = {**only_fit, "complementarity": 1.0}
    assert scoring.total(exact_large) > scoring.total(abroad)
    # With the same fit they order candidates as before.
    assert scoring.total(abroad) > scoring.total(only_fit)


def test_keywords_weigh_more_than_words_of_the_free_text() -> None:
    weights = scoring.term_weights([True, False, False])
    assert weights == pytest.approx([0.5, 0.25, 0.25])
    assert sum(scoring.term_weights([False] * 7)) == pytest.approx(1.0)
    free = scoring.FREE_TEXT_EVIDENCE
    assert scoring.text_share([1.0, 0.0, 0.0], [True, False, False]) == pytest.approx(0.5)
    assert scoring.text_share([0.0, 1.0, free], [True, False, False]) == pytest.approx(
        0.25 + 0.25 * free
    )
    groups = term_groups(["drones"], "flights, maize")
    assert [(g.label, g.keyword) for g in groups] == [
        ("drones", True),
        ("flights", False),
        ("maize", False),
    ]


def test_an_electrolyser_is_no_synonym_of_a_fuel_cell_or_of_hydrogen() -> None:
    assert "electrolyzer" in synonyms("electrolysers"), "spellings of one device"
    assert "electrolyser" not in synonyms("fuel cell")
    assert "fuel cell" not in synonyms("hydrogen")
    assert "electrolyser" not in synonyms("hydrogen")


def test_no_component_rewards_being_established() -> None:
    """The guard against crowding-out: nothing in the score counts links."""
    for name in scoring.WEIGHTS:
        assert not any(w in name for w in ("member", "link", "chain", "popular", "degree"))


def test_s3_regions_cover_the_regions_inside_them() -> None:
    assert enclosing_codes("DE111") == ["DE111", "DE11", "DE1", "DE"]
    assert enclosing_codes(None) == []
    strategies = {
        "ITH5": [
            {
                "name": "Mechatronics",
                "nace_codes": ["C28"],
                "ecosystems": [],
                "keywords": ["robotics"],
            }
        ],
        "DE": [{"name": "Health", "nace_codes": ["Q"], "ecosystems": ["health"], "keywords": []}],
    }
    found = region_alignments(
        strategies, nace_codes=["C28.11"], ecosystems=["digital"], keywords_found=["robotics"]
    )
    assert set(found) == {"ITH5"}
    assert found["ITH5"].score == pytest.approx(2 / 3)
    assert found["ITH5"].matched == ("C28.11", "robotics")


def test_authorities_set_priorities_of_their_own_region_only() -> None:
    authority = Principal("a", frozenset({Role.AUTHORITY}), region="ITH")
    assert may_set(authority, "ITH5")
    assert may_set(authority, "ITH")
    assert not may_set(authority, "IT")
    assert not may_set(authority, "DE1")
    assert may_set(Principal("root", frozenset({Role.ADMIN})), "DE1")
    assert not may_set(Principal("v", frozenset({Role.VIEWER})), "ITH5")


def test_stage_fit_weighs_only_what_the_stage_asks() -> None:
    assert proposals.stage_fit(1.0, None) == 1.0
    assert proposals.stage_fit(None, 0.5) == 0.5
    assert proposals.stage_fit(0.5, 1.0) == pytest.approx(0.6 * 0.5 + 0.4 * 1.0)
    assert proposals.stage_fit(None, None) == 0.0


def test_only_the_first_lead_without_a_stage_coordinates() -> None:
    lead, other = uuid.UUID(int=1), uuid.UUID(int=2)
    assert proposals.role_for(lead, [lead, other], covers_stage=False) == "coordinator"
    assert proposals.role_for(other, [lead, other], covers_stage=False) == "partner"
    assert proposals.role_for(lead, [lead], covers_stage=True) == "partner"
    assert proposals.eligible("united_kingdom")
    assert not proposals.eligible("third_country")


def test_terms_with_one_stem_are_one_term_named_as_first_written() -> None:
    groups = term_groups(["batteries"], "battery recycled recycling lithium")
    # The stems PostgreSQL's English configuration gives (asserted end to end in
    # tests/integration/test_partner_ranking_evidence.py).
    stems = {q: "" for q in stem_inputs(groups)}
    stems |= {"battery": "'batteri'", "batteries": "'batteri'", "accumulator": "'accumul'"}
    stems |= {"recycled": "'recycl'", "recycling": "'recycl'", "recovery": "'recoveri'"}
    stems |= {"lithium": "'lithium'"}

    distinct = distinct_by_stem(groups, stems)

    assert [g.label for g in distinct] == ["batteries", "recycled", "lithium"]
    assert "recovery" in distinct[1].members, "recycled joins the group recycling is in"


def test_shown_weights_are_rounded_and_still_add_up_to_one() -> None:
    shown = scoring.shown_weights({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})
    assert sorted(shown.values()) == [0.3333, 0.3333, 0.3334]
    noisy = scoring.shown_weights({"a": 0.45 / 0.9, "b": 0.45 / 0.9})
    assert noisy == {"a": 0.5, "b": 0.5}


def test_a_stage_fit_under_one_half_is_weak() -> None:
    assert proposals.is_weak(0.25)
    assert not proposals.is_weak(0.5)
