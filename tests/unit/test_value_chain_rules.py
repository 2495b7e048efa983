"""Value-chain rules: life cycle, body consistency, and the eligibility report."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synergia_registry.value_chains import rules
from synergia_registry.value_chains.rules import (
    ActorFacts,
    ActorRef,
    ParticipantRole,
    Participation,
    ValueChainCriterion,
    ValueChainStatus,
)

S = ValueChainStatus


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def actor(n: int, country: str = "DE", kind: str = "sme", **extra: object) -> ActorFacts:
    return ActorFacts(id=uid(n), name=f"A{n}", kind=kind, country=country, **extra)  # type: ignore[arg-type]


def facts(*actors: ActorFacts) -> dict[uuid.UUID, ActorFacts]:
    return {a.id: a for a in actors}


def part(
    n: int, budget: str | None = None, role: ParticipantRole = ParticipantRole.PARTNER
) -> Participation:
    return Participation(uid(n), role, None if budget is None else Decimal(budget))


# --- life cycle ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.DRAFT, S.OPEN),
        (S.OPEN, S.FORMED),
        (S.FORMED, S.RUNNING),
        (S.RUNNING, S.CLOSED),
        (S.DRAFT, S.CLOSED),
        (S.OPEN, S.CLOSED),
        (S.FORMED, S.CLOSED),
    ],
)
def test_forward_transitions_and_abandoning_are_allowed(current: S, target: S) -> None:
    assert rules.transition_refusal(current, target) is None


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (S.DRAFT, S.FORMED, "open, closed"),
        (S.DRAFT, S.DRAFT, "open, closed"),
        (S.OPEN, S.DRAFT, "formed, closed"),
        (S.FORMED, S.OPEN, "running, closed"),
        (S.RUNNING, S.FORMED, "closed"),
    ],
)
def test_a_refused_transition_names_the_allowed_ones(current: S, target: S, allowed: str) -> None:
    refusal = rules.transition_refusal(current, target)
    assert refusal is not None
    assert refusal.endswith(f"can only go to: {allowed}")


def test_nothing_leaves_closed() -> None:
    assert rules.allowed_transitions(S.CLOSED) == ()
    for target in S:
        assert "nothing follows closed" in (rules.transition_refusal(S.CLOSED, target) or "")


def test_only_formed_needs_eligibility_and_only_closed_is_frozen() -> None:
    assert {S.FORMED} == rules.NEEDS_ELIGIBILITY
    assert {S.CLOSED} == rules.FROZEN


# --- body consistency ------------------------------------------------------------------


@dataclass
class Stage:
    name: str


@dataclass
class P:
    actor_id: uuid.UUID
    stage: int | None = None
    role: ParticipantRole = ParticipantRole.PARTNER
    planned_budget: Decimal | None = None


def test_a_consistent_body_has_no_errors() -> None:
    errors = rules.composition_errors(
        [uid(1), uid(2)],
        [Stage("Feedstock"), Stage("Materials")],
        [
            P(uid(1), None, ParticipantRole.COORDINATOR, Decimal(10)),
            P(uid(3), 1),
            P(uid(4), 0, ParticipantRole.ASSOCIATED, Decimal(0)),
        ],
    )
    assert errors == []


def test_composition_errors_name_the_field() -> None:
    errors = rules.composition_errors(
        [uid(1), uid(1)],
        [Stage("Feedstock"), Stage("feedstock")],
        [
            P(uid(3), 2),
            P(uid(3)),
            P(uid(4), role=ParticipantRole.COORDINATOR),
            P(uid(5), role=ParticipantRole.COORDINATOR),
            P(uid(6), role=ParticipantRole.ASSOCIATED, planned_budget=Decimal("0.01")),
        ],
    )
    by_loc = {tuple(e["loc"]): e["msg"] for e in errors}
    assert set(by_loc) == {
        ("body", "lead_actor_ids", 1),
        ("body", "stages", 1, "name"),
        ("body", "participants", 0, "stage"),
        ("body", "participants", 1, "actor_id"),
        ("body", "participants", 3, "role"),
        ("body", "participants", 4, "planned_budget"),
    }
    assert "there are 2 stages" in by_loc[("body", "participants", 0, "stage")]
    assert (
        "participants[2] is already the coordinator" in by_loc[("body", "participants", 3, "role")]
    )


def test_reference_errors_check_existence_activity_and_lead_kind() -> None:
    refs = {
        uid(1): ActorRef(uid(1), "cluster_organisation", True),
        uid(2): ActorRef(uid(2), "sme_intermediary", True),
        uid(3): ActorRef(uid(3), "sme", True),
        uid(4): ActorRef(uid(4), "cluster_organisation", False),
        uid(5): ActorRef(uid(5), "sme", False),
    }
    errors = rules.reference_errors(
        [uid(1), uid(2), uid(3), uid(4), uid(9)], [uid(3), uid(5), uid(8)], refs
    )
    by_loc = {tuple(e["loc"]): e["msg"] for e in errors}
    assert by_loc == {
        ("body", "lead_actor_ids", 2): f"actor {uid(3)} is a sme; a lead must be a "
        "cluster_organisation or sme_intermediary",
        ("body", "lead_actor_ids", 3): f"actor {uid(4)} is deactivated",
        ("body", "lead_actor_ids", 4): f"no actor {uid(9)}",
        ("body", "participants", 1, "actor_id"): f"actor {uid(5)} is deactivated",
        ("body", "participants", 2, "actor_id"): f"no actor {uid(8)}",
    }


# --- criterion 1: independent legal entities in distinct eligible countries --------------


def test_three_independent_entities_in_three_member_states_meet_it() -> None:
    result = rules.independent_entities(
        [uid(1), uid(2), uid(3)], facts(actor(1, "DE"), actor(2, "FR"), actor(3, "EL"))
    )
    assert result.met is True
    assert result.measured == 3
    assert result.threshold == rules.MIN_INDEPENDENT_ENTITIES == 3
    assert "A1 (DE); A2 (FR); A3 (EL)" in result.explanation


def test_three_entities_in_two_countries_do_not() -> None:
    result = rules.independent_entities(
        [uid(1), uid(2), uid(3)], facts(actor(1, "DE"), actor(2, "DE"), actor(3, "FR"))
    )
    assert result.met is False
    assert result.measured == 2
    assert "established only in countries already counted: A2 (DE)" in result.explanation


def test_associated_countries_and_the_uk_count_third_countries_are_named() -> None:
    result = rules.independent_entities(
        [uid(1), uid(2), uid(3), uid(4)],
        facts(actor(1, "NO"), actor(2, "UK"), actor(3, "US"), actor(4, "IT")),
    )
    assert result.met is True
    assert result.measured == 3
    assert "Established in a third country, does not count: A3 (US)." in result.explanation
    assert result.details["third_country_actor_ids"] == [str(uid(3))]


@pytest.mark.parametrize(
    "links",
    [
        {2: {1}},  # 1 owns/controls 2
        {1: {2}},  # the other direction
    ],
)
def test_linked_enterprises_count_as_one_and_the_merge_is_explained(
    links: dict[int, set[int]],
) -> None:
    actors = {n: actor(n, c) for n, c in ((1, "DE"), (2, "FR"), (3, "IT"))}
    for child, owners in links.items():
        actors[child] = replace(actors[child], controlled_by=frozenset(uid(o) for o in owners))
    result = rules.independent_entities([uid(1), uid(2), uid(3)], facts(*actors.values()))
    assert result.met is False
    assert result.measured == 2
    assert "counted as one legal entity: A1, A2." in result.explanation
    assert result.details["merged"] == [[str(uid(1)), str(uid(2))]]


def test_members_linked_through_an_outside_parent_are_one_entity() -> None:
    parent = actor(9, "US", kind="large_enterprise")
    result = rules.independent_entities(
        [uid(1), uid(2), uid(3)],
        facts(
            actor(1, "DE", controlled_by=frozenset({uid(9)})),
            actor(2, "FR", controlled_by=frozenset({uid(9)})),
            actor(3, "IT"),
            parent,
        ),
    )
    assert result.measured == 2
    assert "counted as one legal entity: A1, A2." in result.explanation
    assert "A9" not in result.explanation, "the outside parent is not a member"


def test_countries_are_assigned_to_entities_one_to_one_at_best() -> None:
    # Group {1, 2} is in DE and FR; 3 is in DE only: giving DE to the group would leave 3
    # out, so the best assignment gives the group FR.
    result = rules.independent_entities(
        [uid(1), uid(2), uid(3)],
        facts(actor(1, "DE"), actor(2, "FR", controlled_by=frozenset({uid(1)})), actor(3, "DE")),
    )
    assert result.measured == 2
    assert {e["counted_country"] for e in result.details["entities"]} == {"DE", "FR"}


def test_deactivated_members_are_named_and_not_counted() -> None:
    result = rules.independent_entities(
        [uid(1), uid(2), uid(3)],
        facts(actor(1, "DE"), actor(2, "FR"), actor(3, "IT", active=False)),
    )
    assert result.measured == 2
    assert "Deactivated, not counted: A3." in result.explanation


def test_an_entitys_countries_are_the_eligible_ones_its_members_are_established_in() -> None:
    f = facts(actor(1, "DE"), actor(2, "NO"), actor(3, "US"), actor(4, "XX"), actor(5, "DE"))
    countries, elsewhere = rules.consortium_countries([uid(1), uid(2), uid(3), uid(4), uid(5)], f)
    assert countries == {"DE", "NO"}
    assert elsewhere == [uid(3), uid(4)], "a third country and an unknown code do not count"


def test_the_count_groups_linked_members_and_counts_each_entity_for_one_country() -> None:
    found = rules.count_independent_entities(
        [uid(1), uid(2), uid(3), uid(4), uid(5)],
        facts(
            actor(1, "DE"),
            actor(2, "FR", controlled_by=frozenset({uid(1)})),
            actor(3, "DE"),
            actor(4, "IT", active=False),
        ),
    )
    assert found.entities == ((uid(1), uid(2)), (uid(3),))
    assert found.countries == (frozenset({"DE", "FR"}), frozenset({"DE"}))
    assert found.counted_country == {0: "FR", 1: "DE"}
    assert found.merged == ((uid(1), uid(2)),)
    assert found.inactive == (uid(4),)
    assert found.unknown == (uid(5),)
    assert (found.measured, found.met) == (2, False)


def test_the_count_is_met_at_three_entities_in_three_countries() -> None:
    found = rules.count_independent_entities(
        [uid(1), uid(2), uid(3)], facts(actor(1, "DE"), actor(2, "FR"), actor(3, "UK"))
    )
    assert (found.measured, found.met) == (3, True)
    assert found.third_country == ()


def test_the_wording_names_what_did_not_count_and_why() -> None:
    f = facts(actor(1, "DE"), actor(2, "DE"), actor(3, "US"), actor(4, "FR", active=False))
    found = rules.count_independent_entities([uid(1), uid(2), uid(3), uid(4), uid(9)], f)
    assert rules.word_independent_entities(found, f) == (
        "1 independent legal entity established in 1 different Member States or Associated "
        "Countries: A1 (DE). At least 3 are needed. "
        "Independent, but established only in countries already counted: A2 (DE). "
        "Established in a third country, does not count: A3 (US). "
        "Deactivated, not counted: A4. "
        f"Unknown actors, not counted: {uid(9)}."
    )


# A property: linking more enterprises never makes more independent entities.

COUNTRIES = ["DE", "FR", "IT", "NO", "UK", "US", "CN"]


@st.composite
def consortia(
    draw: st.DrawFn,
) -> tuple[list[ActorFacts], set[tuple[int, int]], set[tuple[int, int]]]:
    n = draw(st.integers(min_value=1, max_value=8))
    countries = draw(st.lists(st.sampled_from(COUNTRIES), min_size=n, max_size=n))
    pairs = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1])
    links = draw(st.sets(pairs, max_size=6))
    extra = draw(st.sets(pairs, min_size=1, max_size=4))
    return [actor(i, c) for i, c in enumerate(countries)], links, extra


def _with_links(
    actors: list[ActorFacts], links: set[tuple[int, int]]
) -> dict[uuid.UUID, ActorFacts]:
    owners: dict[int, set[uuid.UUID]] = {}
    for child, owner in links:
        owners.setdefault(child, set()).add(uid(owner))
    return facts(
        *(replace(a, controlled_by=frozenset(owners.get(i, ()))) for i, a in enumerate(actors))
    )


@settings(max_examples=300, deadline=None)
@given(consortia())
def test_merging_linked_entities_never_increases_the_count(
    case: tuple[list[ActorFacts], set[tuple[int, int]], set[tuple[int, int]]],
) -> None:
    actors, links, extra = case
    members = [a.id for a in actors]
    before = rules.independent_entities(members, _with_links(actors, links))
    after = rules.independent_entities(members, _with_links(actors, links | extra))
    assert after.measured is not None
    assert before.measured is not None
    assert after.measured <= before.measured
    eligible = {a.country for a in actors if a.country not in ("US", "CN")}
    assert before.measured <= min(len(eligible), len(actors))


# --- criterion 2: SME share of the planned budget ---------------------------------------


def test_sme_share_counts_computed_and_declared_smes_and_names_them() -> None:
    f = facts(
        actor(1, sme_category="micro"),
        actor(2, sme_category=None),  # kind sme, not computed: declared
        actor(3, kind="large_enterprise", sme_category="not_sme"),
        actor(4, kind="sme", sme_category="not_sme"),
        actor(5, kind="university"),
    )
    result = rules.sme_budget_share(
        [part(1, "500000"), part(2, "300000"), part(3, "150000"), part(4, "50000"), part(5)], f
    )
    assert result.met is True
    assert result.measured == Decimal("80.00")
    assert result.threshold == rules.MIN_SME_BUDGET_PERCENT == 75
    assert "€800,000.00 of €1,000,000.00 planned (80.00 %)" in result.explanation
    assert "SMEs: A1 (micro)." in result.explanation
    assert "declared, not verified (no computed SME category): A2." in result.explanation
    assert "Not SMEs: A3 (computed not an SME), A4 (computed not an SME)." in result.explanation
    assert "No planned budget: A5." in result.explanation
    assert result.details["declared_not_verified_actor_ids"] == [str(uid(2))]


@pytest.mark.parametrize(
    ("sme", "other", "met", "shown"),
    [("75", "25", True, "75.00"), ("74.99", "25.01", False, "74.99"), ("2", "1", False, "66.66")],
)
def test_the_75_percent_threshold_is_exact(sme: str, other: str, met: bool, shown: str) -> None:
    f = facts(actor(1, sme_category="small"), actor(2, kind="large_enterprise"))
    result = rules.sme_budget_share([part(1, sme), part(2, other)], f)
    assert result.met is met
    assert result.measured == Decimal(shown)


def test_just_under_75_percent_is_not_rounded_up_to_it() -> None:
    f = facts(actor(1, sme_category="small"), actor(2, kind="large_enterprise"))
    result = rules.sme_budget_share([part(1, "749999.99"), part(2, "250000.01")], f)
    assert result.met is False
    assert result.measured == Decimal("74.99")


@pytest.mark.parametrize(
    ("participants", "why"),
    [
        ([], "no participant has a planned budget"),
        ([part(1, "0"), part(2, "0.00")], "add up to €0"),
    ],
)
def test_without_a_planned_budget_it_is_not_assessable(
    participants: list[Participation], why: str
) -> None:
    result = rules.sme_budget_share(participants, facts(actor(1), actor(2)))
    assert result.met is None
    assert result.measured is None
    assert why in result.explanation


@pytest.mark.parametrize(
    ("who", "standing"),
    [
        (actor(1, kind="large_enterprise", sme_category="micro"), rules.SmeStanding.VERIFIED),
        (actor(1, sme_category="medium"), rules.SmeStanding.VERIFIED),
        (actor(1, kind="sme", sme_category=None), rules.SmeStanding.DECLARED),
        (actor(1, kind="sme", sme_category="not_sme"), rules.SmeStanding.NOT_SME),
        (actor(1, kind="university", sme_category=None), rules.SmeStanding.NOT_SME),
        (None, rules.SmeStanding.NOT_SME),
    ],
)
def test_who_counts_as_an_sme(who: ActorFacts | None, standing: rules.SmeStanding) -> None:
    assert rules.sme_standing(who) is standing


def test_the_sme_budget_adds_up_what_goes_to_smes() -> None:
    f = facts(actor(1, sme_category="small"), actor(2), actor(3, kind="university"))
    found = rules.measure_sme_budget(
        [part(1, "600"), part(2, "150"), part(3, "250"), part(4, "0"), part(5)], f
    )
    assert (found.total, found.sme_total) == (Decimal(1000), Decimal(750))
    assert (found.verified, found.declared) == ((uid(1),), (uid(2),))
    assert found.not_sme == (uid(3), uid(4))
    assert found.unbudgeted == (uid(5),)
    assert (found.share, found.met) == (Decimal("75.00"), True)


def test_an_sme_budget_short_of_75_percent_is_not_met_and_zero_is_not_assessable() -> None:
    f = facts(actor(1, sme_category="small"), actor(2, kind="university"))
    short = rules.measure_sme_budget([part(1, "74.999"), part(2, "25.001")], f)
    assert (short.share, short.met) == (Decimal("74.99"), False)
    empty = rules.measure_sme_budget([part(1, "0")], f)
    assert (empty.assessable, empty.share, empty.met) == (False, None, None)


def test_the_sme_budget_wording_names_each_standing() -> None:
    f = facts(actor(1, sme_category="micro"), actor(2), actor(3, kind="university"))
    found = rules.measure_sme_budget([part(1, "500"), part(2, "100"), part(3, "400")], f)
    assert rules.word_sme_budget(found, f) == (
        "€600.00 of €1,000.00 planned (60.00 %) goes to SMEs; at least 75 % is needed. "
        "SMEs: A1 (micro). "
        "Counted as SMEs as declared, not verified (no computed SME category): A2. "
        "Not SMEs: A3 (university)."
    )
    zero = rules.measure_sme_budget([part(1, "0")], f)
    assert rules.word_sme_budget(zero, f).startswith(
        "Not assessable: the planned budgets add up to €0."
    )


# --- criterion 3: cross-sectoral --------------------------------------------------------


def test_two_nace_sections_make_it_cross_sectoral() -> None:
    f = facts(actor(1, nace_codes=("C28.11",)), actor(2, nace_codes=("J62", "J63.1")))
    result = rules.cross_sectoral([part(1), part(2)], f)
    assert result.met is True
    assert result.measured == 2
    assert "2 NACE sections: C (A1); J (A2)." in result.explanation


def test_two_ecosystems_suffice_even_within_one_section() -> None:
    f = facts(
        actor(1, nace_codes=("C10",), ecosystems=("agri_food",)),
        actor(2, nace_codes=("C26",), ecosystems=("electronics",)),
    )
    result = rules.cross_sectoral([part(1), part(2)], f)
    assert result.met is True
    assert "2 ecosystems: Agri-food (A1); Electronics (A2)." in result.explanation


def test_one_section_and_one_ecosystem_is_not_cross_sectoral() -> None:
    f = facts(
        actor(1, nace_codes=("C10",), ecosystems=("agri_food",)), actor(2, nace_codes=("C11",))
    )
    result = rules.cross_sectoral([part(1), part(2)], f)
    assert result.met is False
    assert result.measured == 1
    assert "More than one NACE section or ecosystem is needed." in result.explanation


def test_intermediaries_do_not_make_a_chain_cross_sectoral() -> None:
    f = facts(
        actor(1, kind="cluster_organisation", nace_codes=("S94.11",), ecosystems=("digital",)),
        actor(2, nace_codes=("C10",), ecosystems=("agri_food",)),
    )
    result = rules.cross_sectoral([part(1), part(2)], f)
    assert result.met is False
    assert "Not counted, cluster organisations and SME intermediaries" in result.explanation
    assert result.details["intermediary_actor_ids"] == [str(uid(1))]


def test_without_sector_data_it_is_not_assessable() -> None:
    result = rules.cross_sectoral([part(1), part(2)], facts(actor(1), actor(2)))
    assert result.met is None
    assert "No NACE codes or ecosystems on record: A1, A2." in result.explanation


def test_the_sector_spread_lists_sections_and_ecosystems_by_participant() -> None:
    f = facts(
        actor(1, nace_codes=("C10", "c11", " "), ecosystems=("agri_food",)),
        actor(2, nace_codes=("J62",)),
        actor(3, kind="sme_intermediary", nace_codes=("M70.22",)),
        actor(4),
    )
    found = rules.measure_sector_spread([part(1), part(2), part(3), part(4), part(9)], f)
    assert found.sections == {"C": (uid(1),), "J": (uid(2),)}
    assert found.ecosystems == {"agri_food": (uid(1),)}
    assert found.intermediaries == (uid(3),)
    assert found.no_data == (uid(4), uid(9))
    assert (found.measured, found.met) == (2, True)


def test_a_spread_within_one_sector_is_not_met_and_none_is_not_assessable() -> None:
    f = facts(actor(1, nace_codes=("C10",)), actor(2, nace_codes=("C28",)), actor(3))
    assert rules.measure_sector_spread([part(1), part(2)], f).met is False
    nothing = rules.measure_sector_spread([part(3)], f)
    assert (nothing.measured, nothing.met) == (None, None)


def test_the_sector_wording_lists_each_sector_with_its_participants() -> None:
    f = facts(
        actor(1, nace_codes=("C10",), ecosystems=("agri_food",)),
        actor(2, nace_codes=("C28",)),
        actor(3, kind="cluster_organisation"),
    )
    found = rules.measure_sector_spread([part(1), part(2), part(3)], f)
    assert rules.word_sector_spread(found, f) == (
        "1 NACE section: C (A1, A2). 1 ecosystem: Agri-food (A1). More than one NACE "
        "section or ecosystem is needed. Not counted, cluster organisations and SME "
        "intermediaries (their own codes describe the intermediation, not a sector of the "
        "chain): A3."
    )


# --- the whole report ------------------------------------------------------------------


def test_the_report_has_the_three_items_and_is_eligible_only_when_all_are_met() -> None:
    lead = actor(0, "BE", kind="cluster_organisation")
    f = facts(
        lead,
        actor(1, "DE", sme_category="micro", nace_codes=("A01",)),
        actor(2, "FR", sme_category="small", nace_codes=("C10",)),
        actor(3, "IT", kind="university", nace_codes=("P85",)),
    )
    participants = [part(1, "400000"), part(2, "400000"), part(3, "100000")]
    report = rules.assess_eligibility([uid(0)], participants, f)
    assert [i.criterion for i in report.criteria] == [
        ValueChainCriterion.INDEPENDENT_ENTITIES,
        ValueChainCriterion.SME_BUDGET_SHARE,
        ValueChainCriterion.CROSS_SECTORAL,
    ]
    assert report.eligible is True
    assert report.criteria[0].measured == 4, "the lead counts as a consortium member"

    not_assessable = rules.assess_eligibility([uid(0)], [part(1), part(2), part(3)], f)
    assert not_assessable.criteria[1].met is None
    assert not_assessable.eligible is False
    assert [i.criterion for i in not_assessable.failing] == [ValueChainCriterion.SME_BUDGET_SHARE]
