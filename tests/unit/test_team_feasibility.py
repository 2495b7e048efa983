"""The team pre-checks one rule at a time: each finds its impossibility, and only that.

The wording of the whole list, as a "no team" answer gives it, is tested through
:func:`propose_teams` in test_team_solver.py.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from synergia_matching.teams import Candidate, Stage, TeamConstraints
from synergia_matching.teams.feasibility import (
    MinimumOverSize,
    MustIncludeExcluded,
    MustIncludeMissing,
    NoStages,
    SmeBudgetShareOutOfReach,
    SmeMemberShareOutOfReach,
    StageAllExcluded,
    StageNobodyFits,
    StageOnlyInThirdCountries,
    TooFewCountries,
    TooFewCountryEntities,
    TooFewEntities,
    TooFewSeats,
    TooFewSectors,
    TooManyMustInclude,
    impossibilities,
    minimums_over_size,
    must_include_problems,
    precheck,
    sme_budget_share_out_of_reach,
    sme_member_share_out_of_reach,
    team_options,
    too_few_countries,
    too_few_country_entities,
    too_few_entities,
    too_few_seats,
    too_few_sectors,
    too_many_must_include,
    uncoverable_stage,
)
from synergia_matching.teams.scoring import sme_rule

from tests.support.teams import cand, stage, uid

S1, S2, S3 = stage(1), stage(2), stage(3)
STAGES = [S1, S2, S3]
EASY = TeamConstraints(min_entities=1, min_countries=1, min_nace_sections=1)


def pool_of_three() -> list[Candidate]:
    """One candidate per stage, in three countries and two NACE sections: no rule breaks."""
    return [
        cand(1, "DE", {S1: 1.0}),
        cand(2, "FR", {S2: 1.0}, nace="J"),
        cand(3, "IT", {S3: 1.0}),
    ]


def test_a_feasible_pool_has_no_findings() -> None:
    assert impossibilities(STAGES, pool_of_three(), TeamConstraints()) == ()
    assert precheck(STAGES, pool_of_three(), TeamConstraints()) == ()


def test_no_stages_is_the_only_finding() -> None:
    assert impossibilities([], [], TeamConstraints(min_entities=99)) == (NoStages(),)


def test_team_options_keep_must_include_first_and_every_coverer_once() -> None:
    pool = [
        cand(1, "DE", {S1: 1.0, S2: 1.0}),
        cand(2, "US", {S1: 1.0}, eligible=False),
        cand(3, "FR", {S2: 1.0}),
        cand(4, "IT", {S3: 0.0}),
    ]
    cons = TeamConstraints(must_include=frozenset({uid(2), uid(3)}), exclude=frozenset({uid(3)}))
    options = team_options(STAGES, pool, cons)
    assert [c.name for c in options.must] == ["A2"]
    assert [c.name for c in options.coverers[S1.id]] == ["A1"]
    assert [c.name for c in options.coverers[S2.id]] == ["A1"]
    assert options.coverers[S3.id] == ()
    assert [c.name for c in options.pool] == ["A2", "A1"]
    assert [c.name for c in options.eligible_pool] == ["A1"]


def test_must_include_actors_are_candidates_and_not_excluded() -> None:
    pool = pool_of_three()
    assert must_include_problems(pool, TeamConstraints(must_include=frozenset({uid(1)}))) == ()
    cons = TeamConstraints(must_include=frozenset({uid(99), uid(1)}), exclude=frozenset({uid(1)}))
    assert must_include_problems(pool, cons) == (
        MustIncludeExcluded("A1"),
        MustIncludeMissing(uid(99)),
    )


def uncovered(
    stage: Stage, pool: list[Candidate], constraints: TeamConstraints
) -> StageNobodyFits | StageOnlyInThirdCountries | StageAllExcluded | None:
    return uncoverable_stage(stage, team_options(STAGES, pool, constraints), pool)


def test_a_stage_nobody_fits() -> None:
    pool = [cand(1, "DE", {S1: 1.0}), cand(2, "FR", {S2: 0.0})]
    assert uncovered(S1, pool, EASY) is None
    assert uncovered(S2, pool, EASY) == StageNobodyFits("stage 2")


def test_a_stage_fitted_only_in_third_countries() -> None:
    pool = [cand(1, "US", {S1: 1.0}, eligible=False), cand(2, "CN", {S1: 0.5}, eligible=False)]
    assert uncovered(S1, pool, EASY) == StageOnlyInThirdCountries(
        "stage 1", 2, frozenset({"US", "CN"})
    )
    assert uncovered(S1, [*pool, cand(3, "DE", {S1: 0.1})], EASY) is None


def test_a_stage_whose_eligible_candidates_are_all_excluded() -> None:
    pool = [
        cand(1, "DE", {S1: 1.0}),
        cand(2, "FR", {S1: 0.5}),
        cand(3, "US", {S1: 1.0}, eligible=False),
    ]
    excluded = TeamConstraints(exclude=frozenset({uid(1), uid(2)}))
    assert uncovered(S1, pool, excluded) == StageAllExcluded("stage 1", 2)
    one_left = TeamConstraints(exclude=frozenset({uid(1)}))
    assert uncovered(S1, pool, one_left) is None


def test_too_few_eligible_countries() -> None:
    pool = [
        cand(1, "DE", {S1: 1.0}),
        cand(2, "DE", {S2: 1.0}),
        cand(3, "US", {S3: 1.0}, eligible=False),
    ]
    options = team_options(STAGES, pool, TeamConstraints())
    assert too_few_countries(options, TeamConstraints()) == TooFewCountries(frozenset({"DE"}), 3)
    assert too_few_countries(options, TeamConstraints(min_countries=1)) is None


def test_linked_enterprises_stand_for_one_country() -> None:
    # Three countries, but two of them are one entity's: it can stand for one only.
    pool = [
        cand(1, "DE", {S1: 1.0}, entity=7),
        cand(2, "FR", {S2: 1.0}, entity=7),
        cand(3, "IT", {S3: 1.0}),
    ]
    options = team_options(STAGES, pool, TeamConstraints())
    assert too_few_countries(options, TeamConstraints()) is None
    assert too_few_country_entities(options, TeamConstraints()) == TooFewCountryEntities(
        2, frozenset({"DE", "FR", "IT"}), 3
    )
    assert too_few_country_entities(options, TeamConstraints(min_countries=2)) is None


def test_too_few_independent_entities_in_eligible_countries() -> None:
    pool = [
        cand(1, "DE", {S1: 1.0}, entity=7),
        cand(2, "FR", {S2: 1.0}, entity=7),
        cand(3, "US", {S3: 1.0}, eligible=False),
    ]
    options = team_options(STAGES, pool, TeamConstraints())
    assert too_few_entities(options, TeamConstraints(min_entities=2)) == TooFewEntities(1, 2)
    assert too_few_entities(options, TeamConstraints(min_entities=1)) is None


def test_too_few_sectors_counts_every_possible_member() -> None:
    pool = [cand(1, "DE", {S1: 1.0}), cand(2, "FR", {S2: 1.0}), cand(3, "IT", {S3: 1.0})]
    options = team_options(STAGES, pool, TeamConstraints())
    assert too_few_sectors(options, pool, TeamConstraints()) == TooFewSectors(
        frozenset({"C"}), "nace", 2
    )
    # A must-include actor covering no stage still brings its sector.
    pool.append(cand(4, "ES", {}, nace="J"))
    cons = TeamConstraints(must_include=frozenset({uid(4)}))
    assert too_few_sectors(team_options(STAGES, pool, cons), pool, cons) is None


def test_sme_budget_share_counts_the_stages_smes_can_cover() -> None:
    s1, s2, s3 = stage(1, budget="30"), stage(2, budget="30"), stage(3, budget="40")
    pool = [cand(1, "DE", {s1: 1.0}), cand(2, "FR", {s2: 1.0}), cand(3, "IT", {s3: 1.0}, sme=False)]
    cons = TeamConstraints()
    options = team_options([s1, s2, s3], pool, cons)
    rule = sme_rule([s1, s2, s3], cons)
    assert sme_budget_share_out_of_reach(options, rule) == SmeBudgetShareOutOfReach(
        Fraction(3, 4), Fraction(3, 5)
    )
    lower = TeamConstraints(min_sme_share=Decimal("0.6"))
    assert sme_budget_share_out_of_reach(options, sme_rule([s1, s2, s3], lower)) is None
    # Without budgets the member share applies instead, not this rule.
    assert sme_budget_share_out_of_reach(options, sme_rule(STAGES, cons)) is None


def test_sme_member_share_best_case() -> None:
    # Stage 3 only a non-SME covers: at best 2 SMEs against 1 other member (2/3 < 3/4).
    pool = [cand(1, "DE", {S1: 1.0}), cand(2, "FR", {S2: 1.0}), cand(3, "IT", {S3: 1.0}, sme=False)]
    cons = TeamConstraints(member_sme_share=Decimal("0.75"))
    options = team_options(STAGES, pool, cons)
    found = sme_member_share_out_of_reach(options, cons, sme_rule(STAGES, cons))
    assert found == SmeMemberShareOutOfReach(Fraction(3, 4), 2, 1)
    assert found.best == Fraction(2, 3)
    half = TeamConstraints(member_sme_share=Decimal("0.5"))
    assert sme_member_share_out_of_reach(options, half, sme_rule(STAGES, half)) is None


def test_sme_member_share_counts_must_include_actors() -> None:
    # A non-SME must-include actor covering stage 3 is the one non-SME needed, not two.
    pool = [cand(1, "DE", {S1: 1.0}), cand(2, "FR", {S2: 1.0}), cand(3, "IT", {S3: 1.0}, sme=False)]
    pool.append(cand(4, "ES", {}, sme=False))
    cons = TeamConstraints(
        member_sme_share=Decimal("0.6"), must_include=frozenset({uid(3), uid(4)})
    )
    options = team_options(STAGES, pool, cons)
    assert sme_member_share_out_of_reach(options, cons, sme_rule(STAGES, cons)) == (
        SmeMemberShareOutOfReach(Fraction(3, 5), 2, 2)
    )
    cons = TeamConstraints(member_sme_share=Decimal("0.6"), must_include=frozenset({uid(3)}))
    options = team_options(STAGES, pool, cons)
    assert sme_member_share_out_of_reach(options, cons, sme_rule(STAGES, cons)) is None


def test_too_many_must_include_actors() -> None:
    pool = pool_of_three()
    cons = TeamConstraints(max_team_size=2, must_include=frozenset({uid(1), uid(2), uid(3)}))
    assert too_many_must_include(team_options(STAGES, pool, cons), cons) == TooManyMustInclude(3, 2)
    cons = TeamConstraints(max_team_size=3, must_include=cons.must_include)
    assert too_many_must_include(team_options(STAGES, pool, cons), cons) is None


def test_too_few_seats_for_stages_only_their_own_candidates_cover() -> None:
    pool = pool_of_three()
    cons = TeamConstraints(max_team_size=2)
    assert too_few_seats(team_options(STAGES, pool, cons), cons) == TooFewSeats(2, 0, 3, False)
    # One candidate covering stages 1 and 2: stage 3 alone needs its own, plus one more.
    pool.append(cand(4, "ES", {S1: 0.5, S2: 0.5}))
    options = team_options(STAGES, pool, cons)
    assert too_few_seats(options, cons) is None
    found = too_few_seats(options, TeamConstraints(max_team_size=1))
    assert found == TooFewSeats(1, 0, 1, True)
    assert found.need == 2


def test_must_include_actors_take_seats_and_cover_their_stages() -> None:
    pool = [*pool_of_three(), cand(4, "ES", {}), cand(5, "PL", {S3: 1.0, S2: 0.1})]
    cons = TeamConstraints(max_team_size=3, must_include=frozenset({uid(4), uid(5)}))
    # A5 covers stages 2 and 3; stage 1 needs its own member: 2 + 1 fits in 3.
    assert too_few_seats(team_options(STAGES, pool, cons), cons) is None
    cons = TeamConstraints(max_team_size=2, must_include=cons.must_include)
    assert too_few_seats(team_options(STAGES, pool, cons), cons) == TooFewSeats(2, 2, 1, False)


def test_entity_and_country_minimums_above_the_team_size() -> None:
    assert minimums_over_size(TeamConstraints(max_team_size=3)) == ()
    assert minimums_over_size(TeamConstraints(max_team_size=2, min_countries=2)) == (
        MinimumOverSize("independent entities", 3, 2),
    )
    assert minimums_over_size(TeamConstraints(max_team_size=1, min_entities=1)) == (
        MinimumOverSize("countries", 3, 1),
    )


def test_findings_come_in_the_order_they_are_reported() -> None:
    pool = [cand(1, "DE", {S1: 1.0}), cand(2, "DE", {S2: 1.0})]
    cons = TeamConstraints(max_team_size=2, must_include=frozenset({uid(9)}))
    assert impossibilities(STAGES, pool, cons) == (
        MustIncludeMissing(uid(9)),
        StageNobodyFits("stage 3"),
        TooFewCountries(frozenset({"DE"}), 3),
        TooFewEntities(2, 3),
        TooFewSectors(frozenset({"C"}), "nace", 2),
        MinimumOverSize("independent entities", 3, 2),
        MinimumOverSize("countries", 3, 2),
    )
