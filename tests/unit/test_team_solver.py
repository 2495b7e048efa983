"""The value-chain team optimiser: hand-made instances with known answers."""

from __future__ import annotations

import random
import time
from decimal import Decimal

import pytest
from synergia_matching.teams import (
    Candidate,
    NoTeam,
    Proposal,
    Stage,
    TeamConstraints,
    greedy_team,
    propose_teams,
    score_team,
    violations,
)

from tests.support.teams import cand, stage, uid

# --- builders -------------------------------------------------------------------------


S1, S2, S3 = stage(1, "design"), stage(2, "production"), stage(3, "battery recycling")
STAGES = [S1, S2, S3]


def solve(stages: list[Stage], cands: list[Candidate], **kw: object) -> list[Proposal] | NoTeam:
    kw.setdefault("k", 1)
    kw.setdefault("num_workers", 1)
    return propose_teams(stages, cands, TeamConstraints(**kw))  # type: ignore[arg-type]


def best(stages: list[Stage], cands: list[Candidate], **kw: object) -> Proposal:
    result = solve(stages, cands, **kw)
    assert isinstance(result, list), result
    check(result, stages, cands, TeamConstraints(**{"k": 1, **kw}))  # type: ignore[arg-type]
    return result[0]


def no_team(stages: list[Stage], cands: list[Candidate], **kw: object) -> str:
    result = solve(stages, cands, **kw)
    assert isinstance(result, NoTeam), result
    return "\n".join(result.reasons)


def check(
    proposals: list[Proposal], stages: list[Stage], cands: list[Candidate], cons: TeamConstraints
) -> None:
    """Every proposal is valid and its objective is exactly score_team of its assignment."""
    for p in proposals:
        assignment = dict(p.assignment)
        assert violations(assignment, stages, cands, cons) == ()
        breakdown = score_team(assignment, stages, cands, cons)
        assert p.objective == breakdown.total == p.breakdown.total
        assert p.breakdown == breakdown
        assert sum(t.contribution for t in p.breakdown.terms) == p.objective
        assert all(t.contribution == t.raw * t.weight for t in p.breakdown.terms)


def names(p: Proposal) -> set[str]:
    return {m.name for m in p.members}


def three_country_pool() -> list[Candidate]:
    return [
        cand(1, "DE", {S1: 1.0}, nace="C"),
        cand(2, "FR", {S2: 1.0}, nace="J"),
        cand(3, "IT", {S3: 1.0}, nace="C"),
        cand(4, "DE", {S1: 0.5, S2: 0.5}, nace="M"),
        cand(5, "ES", {S2: 0.4, S3: 0.6}, nace="E"),
        cand(6, "PL", {S3: 0.3}, nace="C"),
    ]


# --- optimum, must-include, exclude -----------------------------------------------------


def test_clear_optimum_is_found_and_proven() -> None:
    p = best(STAGES, three_country_pool())
    assert p.status == "optimal"
    assert names(p) == {"A1", "A2", "A3"}
    assert dict(p.assignment) == {S1.id: uid(1), S2.id: uid(2), S3.id: uid(3)}
    assert p.countries == ("DE", "FR", "IT")
    assert p.sectors == ("C", "J")
    assert p.rank == 1
    assert p.candidates_considered == 6
    assert p.candidates_total == 6
    fit = p.breakdown.term("fit")
    assert fit.raw == 3000
    assert fit.contribution == 3000 * fit.weight
    assert "FR" in p.breakdown.term("countries").description


def test_must_include_and_exclude_are_honoured() -> None:
    pool = three_country_pool()
    p = best(STAGES, pool, must_include=frozenset({uid(5)}), exclude=frozenset({uid(3)}))
    assert "A5" in names(p)
    assert "A3" not in names(p)
    # A must-include actor in a third country joins without a stage and counts no country.
    outsider = cand(9, "US", {S1: 1.0}, eligible=False, nace="K")
    p = best(STAGES, [*pool, outsider], must_include=frozenset({uid(9)}))
    member = next(m for m in p.members if m.name == "A9")
    assert member.stage_ids == ()
    assert member.must_include
    assert "US" not in p.countries
    assert "K" in p.sectors
    assert names(p) == {"A1", "A2", "A3", "A9"}


def test_linked_enterprises_count_once() -> None:
    linked = [
        cand(1, "DE", {S1: 1.0}, entity=7, nace="C"),
        cand(2, "FR", {S2: 1.0}, entity=7, nace="J"),
        cand(3, "IT", {S3: 1.0}, nace="C"),
    ]
    text = no_team(STAGES, linked)
    assert "only 2 independent legal entities" in text
    assert "linked enterprises count once" in text
    # With an independent alternative the solver leaves one of the linked pair out.
    p = best(STAGES, [*linked, cand(4, "ES", {S2: 0.3}, nace="J")])
    assert names(p) == {"A1", "A4", "A3"}
    assert p.entities == 3


def test_linked_enterprises_in_two_countries_stand_for_one_country() -> None:
    # Four entities, three countries, but the DE and FR members are one linked group: there
    # are not 3 independent entities established in 3 different countries.
    s4 = stage(4, "sales")
    pool = [
        cand(1, "DE", {S1: 1.0}, entity=7),
        cand(2, "FR", {S2: 1.0}, entity=7, nace="J"),
        cand(3, "IT", {S3: 1.0}),
        cand(4, "IT", {s4: 1.0}),
    ]
    text = no_team([S1, S2, S3, s4], pool)
    assert "at most 2 different eligible countries" in text


def test_third_country_candidates_do_not_count_towards_countries() -> None:
    pool = [
        cand(1, "DE", {S1: 1.0}),
        cand(2, "FR", {S2: 1.0}, nace="J"),
        cand(3, "US", {S3: 1.0}, eligible=False),
        cand(4, "DE", {S3: 0.2}),
    ]
    text = no_team(STAGES, pool)
    assert "only 2 eligible countries among the candidates (DE, FR); 3 are needed" in text
    p = best(STAGES, [*pool, cand(5, "NO", {S3: 0.1})])
    assert "A3" not in names(p)
    assert p.countries == ("DE", "FR", "NO")


# --- SME share -----------------------------------------------------------------------


def sme_boundary_pool(s3: Stage) -> tuple[list[Stage], list[Candidate]]:
    s1, s2 = stage(1, budget="37.50"), stage(2, budget="37.49")
    stages = [s1, s2, s3]
    return stages, [
        cand(1, "DE", {s1: 1.0}),
        cand(2, "FR", {s2: 1.0}, nace="J"),
        cand(3, "IT", {s3: 1.0}, sme=False),
        cand(4, "IT", {s3: 0.25}, sme=True),
    ]


def test_budget_sme_share_boundary_is_exact() -> None:
    # Budgets 37.50 + 37.49 + 25.01 = 100: SMEs on stages 1-2 alone get 74.99 %, which
    # fails, so stage 3 must go to the worse-fitting SME.
    stages, pool = sme_boundary_pool(stage(3, budget="25.01"))
    p = best(stages, pool)
    assert p.sme_share_basis == "budget"
    assert dict(p.assignment)[stages[2].id] == uid(4)  # 74.99 % would fail
    assert p.sme_share == Decimal("1.0000")
    # Stage 2 at 37.50 and stage 3 at 25.00: SMEs get exactly 75 %, the large firm is fine.
    s1, s2, s3 = stage(1, budget="37.50"), stage(2, budget="37.50"), stage(3, budget="25.00")
    pool2 = [
        cand(1, "DE", {s1: 1.0}),
        cand(2, "FR", {s2: 1.0}, nace="J"),
        cand(3, "IT", {s3: 1.0}, sme=False),
        cand(4, "IT", {s3: 0.25}, sme=True),
    ]
    p = best([s1, s2, s3], pool2)
    assert dict(p.assignment)[s3.id] == uid(3)
    assert p.sme_share == Decimal("0.7500")


def test_budget_boundary_in_the_rule_checker() -> None:
    s1, s2 = stage(1, budget="7499"), stage(2, budget="2501")
    stages = [s1, s2]
    pool = [cand(1, "DE", {s1: 1.0}), cand(2, "FR", {s2: 1.0}, sme=False)]
    cons = TeamConstraints(min_entities=1, min_countries=1, min_nace_sections=1)
    broken = violations({s1.id: uid(1), s2.id: uid(2)}, stages, pool, cons)
    assert broken == ("SME share 74.99 % below 75 %",)
    s1b = stage(1, budget="7500")
    s2b = stage(2, budget="2500")
    pool_b = [cand(1, "DE", {s1b: 1.0}), cand(2, "FR", {s2b: 1.0}, sme=False)]
    assert violations({s1b.id: uid(1), s2b.id: uid(2)}, [s1b, s2b], pool_b, cons) == ()


def test_member_share_is_used_when_budgets_are_missing() -> None:
    s1, s2, s3 = stage(1, budget="100"), stage(2), stage(3)  # one budget missing
    pool = [
        cand(1, "DE", {s1: 0.9}, sme=False),
        cand(2, "FR", {s2: 1.0}, sme=False, nace="J"),
        cand(3, "IT", {s3: 1.0}, sme=False),
        cand(4, "DE", {s1: 0.2}, sme=True),
        cand(5, "FR", {s2: 0.2}, sme=True, nace="J"),
        cand(6, "IT", {s3: 0.2}, sme=True),
    ]
    p = best([s1, s2, s3], pool, weights=_fit_only())
    assert p.sme_share_basis == "members"
    assert sum(m.is_sme for m in p.members) == 2  # 2 of 3 ≥ 50 %; 1 of 3 would fail
    assert names(p) & {"A2", "A3"}  # the best-fitting large firm stays
    p = best([s1, s2, s3], pool, weights=_fit_only(), member_sme_share=Decimal("0.3"))
    assert sum(m.is_sme for m in p.members) == 1


def _fit_only() -> object:
    from synergia_matching.teams import ObjectiveWeights

    return ObjectiveWeights(fit=1, countries=0, sectors=0, s3=0, sme=0)


# --- k distinct teams ------------------------------------------------------------------


def test_k_distinct_teams_in_non_increasing_order() -> None:
    pool = three_country_pool()
    cons = TeamConstraints(k=4, num_workers=1)
    result = propose_teams(STAGES, pool, cons)
    assert isinstance(result, list)
    assert len(result) == 4
    assert [p.rank for p in result] == [1, 2, 3, 4]
    assert len({p.member_ids for p in result}) == 4
    objectives = [p.objective for p in result]
    assert objectives == sorted(objectives, reverse=True)
    assert all(p.status == "optimal" for p in result)
    check(result, STAGES, pool, cons)


def test_fewer_than_k_teams_when_no_more_exist() -> None:
    pool = [cand(1, "DE", {S1: 1.0}), cand(2, "FR", {S2: 1.0}, nace="J"), cand(3, "IT", {S3: 1.0})]
    result = solve(STAGES, pool, k=3)
    assert isinstance(result, list)
    assert len(result) == 1


# --- NoTeam reasons ---------------------------------------------------------------------


def test_stage_without_any_fitting_candidate() -> None:
    pool = [cand(1, "DE", {S1: 1.0}), cand(2, "FR", {S2: 1.0}), cand(3, "IT", {S2: 0.0})]
    assert "stage 'battery recycling' has no candidate: no actor fits it" in no_team(STAGES, pool)


def test_stage_with_candidates_only_in_third_countries() -> None:
    pool = [*three_country_pool()[:2], cand(3, "US", {S3: 1.0}, eligible=False)]
    pool.append(cand(9, "CN", {S3: 0.5}, eligible=False))
    text = no_team(STAGES, pool)
    assert "stage 'battery recycling' has no candidate in an eligible country" in text
    assert "CN, US" in text


def test_stage_whose_candidates_are_all_excluded() -> None:
    text = no_team(STAGES, three_country_pool(), exclude=frozenset({uid(3), uid(5), uid(6)}))
    assert "stage 'battery recycling' has no candidate left" in text
    assert "excluded" in text


def test_must_include_problems() -> None:
    text = no_team(
        STAGES,
        three_country_pool(),
        must_include=frozenset({uid(1), uid(99)}),
        exclude=frozenset({uid(1)}),
    )
    assert "must-include actor 'A1' is excluded" in text
    assert f"must-include actor {uid(99)} is not among the candidates" in text


def test_too_few_sectors_and_the_ecosystem_fallback() -> None:
    pool = [
        cand(i, c, {s: 1.0}, nace="C") for i, (c, s) in enumerate(zip("ABC", STAGES, strict=True))
    ]
    text = no_team(STAGES, pool)
    assert "only 1 NACE section among the candidates (C); 2 are needed" in text
    # No candidate carries NACE: ecosystems count instead.
    eco = [
        cand(1, "DE", {S1: 1.0}, nace=(), eco=["Health"]),
        cand(2, "FR", {S2: 1.0}, nace=(), eco=["Health"]),
        cand(3, "IT", {S3: 1.0}, nace=(), eco=["Digital"]),
    ]
    p = best(STAGES, eco)
    assert p.sectors == ("Digital", "Health")
    assert "ecosystems" in p.breakdown.term("sectors").description
    text = no_team(STAGES, [*eco[:2], cand(3, "IT", {S3: 1.0}, nace=(), eco=["Health"])])
    assert "only 1 ecosystem among the candidates (Health)" in text


def test_sme_budget_share_out_of_reach() -> None:
    s1, s2, s3 = stage(1, budget="30"), stage(2, budget="30"), stage(3, "recycling", "40")
    pool = [
        cand(1, "DE", {s1: 1.0}),
        cand(2, "FR", {s2: 1.0}, nace="J"),
        cand(3, "IT", {s3: 1.0}, sme=False),
    ]
    text = no_team([s1, s2, s3], pool)
    assert (
        "the SME budget share cannot reach 75 %: the stages SMEs can cover hold at most 60 % "
        "of the budget"
    ) in text


def test_team_size_limits() -> None:
    text = no_team(STAGES, three_country_pool(), max_team_size=2)
    assert "at least 3 independent entities are needed, but at most 2 members allowed" in text
    text = no_team(
        STAGES,
        three_country_pool(),
        max_team_size=2,
        min_entities=1,
        min_countries=1,
        must_include=frozenset({uid(1), uid(2), uid(3)}),
    )
    assert "3 must-include actors, but at most 2 members allowed" in text
    # Every candidate covers one stage only: 3 stages need 3 members.
    pool = [cand(i, "DE", {s: 1.0}, nace="CJ"[i % 2]) for i, s in enumerate(STAGES)]
    text = no_team(STAGES, pool, max_team_size=2, min_entities=1, min_countries=1)
    assert "at most 2 members allowed, but at least 3 are needed" in text
    # One actor covering every stage makes even a 1-member limit fine.
    pool.append(cand(7, "DE", {S1: 0.1, S2: 0.1, S3: 0.1}, nace=("C", "J")))
    p = best(STAGES, pool, max_team_size=1, min_entities=1, min_countries=1)
    assert names(p) == {"A7"}


def test_conflicting_constraints_are_named_by_the_deletion_filter() -> None:
    # Every constraint can be met alone, but SMEs (all in DE) must take ≥ 75 % of an equally
    # split budget, i.e. every stage, and then only one country is left.
    stages = [stage(i, budget="100") for i in (1, 2, 3)]
    pool = [cand(10 + i, "DE", {s: 0.5 for s in stages}, nace="CJ"[i % 2]) for i in range(3)]
    pool += [
        cand(20 + i, c, {s: 1.0 for s in stages}, sme=False)
        for i, c in enumerate(["FR", "IT", "ES"])
    ]
    text = no_team(stages, pool)
    assert text.startswith("these constraints cannot all be met together: ")
    assert "3 different eligible countries" in text
    assert "SMEs receive at least 75 % of the budget" in text
    assert "NACE" not in text
    assert "at most" not in text


# --- pre-filter, time limit, greedy ----------------------------------------------------


def test_prefilter_keeps_the_options_the_rules_need() -> None:
    # The best candidates for every stage are all German; with top-1 per stage the
    # pre-filter must still keep the best French and Italian ones.
    pool = [cand(i, "DE", {s: 0.9 - i / 100 for s in STAGES}, nace="CJ"[i % 2]) for i in range(5)]
    pool += [cand(20, "FR", {S2: 0.2}), cand(21, "IT", {S3: 0.2})]
    p = best(STAGES, pool, top_n_per_stage=1)
    assert p.countries == ("DE", "FR", "IT")
    assert p.candidates_considered < len(pool)


def test_filtered_infeasible_falls_back_to_all_candidates() -> None:
    # Top candidates all belong to one linked group spread over three countries; only the
    # full candidate list has three independent entities.
    pool = [
        cand(1, "DE", {S1: 1.0, S2: 1.0, S3: 1.0}, entity=7),
        cand(2, "FR", {S1: 1.0, S2: 1.0, S3: 1.0}, entity=7, nace="J"),
        cand(3, "IT", {S1: 1.0, S2: 1.0, S3: 1.0}, entity=7),
        cand(4, "DE", {S1: 0.1}),
        cand(5, "FR", {S2: 0.1}),
        cand(6, "IT", {S3: 0.1}),
    ]
    p = best(STAGES, pool, top_n_per_stage=1)
    assert p.entities == 3
    assert p.candidates_considered == len(pool)


def random_instance(n: int, n_stages: int, seed: int) -> tuple[list[Stage], list[Candidate]]:
    rng = random.Random(seed)
    countries = ["DE", "FR", "IT", "ES", "PL", "NL", "SE", "NO", "CH", "TR"]
    stages = [stage(i, budget=str(rng.randrange(10, 90) * 1000)) for i in range(n_stages)]
    pool = []
    for i in range(n):
        third = rng.random() < 0.05
        pool.append(
            cand(
                100 + i,
                "US" if third else rng.choice(countries),
                {s: round(rng.random(), 3) for s in stages if rng.random() < 0.4},
                entity=rng.randrange(n) if rng.random() < 0.1 else None,
                eligible=not third,
                nace=rng.sample("ABCDEFGHIJ", rng.randint(1, 2)),
                sme=rng.random() < 0.7,
                s3=round(rng.random(), 3),
            )
        )
    return stages, pool


def test_time_limit_is_respected_on_a_larger_instance() -> None:
    stages, pool = random_instance(3000, 6, seed=7)
    # What the pre-filter and model building cost on this machine right now (a shared
    # CI machine can be several times slower than a quiet one): the same solve with
    # almost no search time.
    quick = TeamConstraints(k=3, time_limit_seconds=0.01, top_n_per_stage=300)
    started = time.monotonic()
    propose_teams(stages, pool, quick)
    overhead = time.monotonic() - started
    cons = TeamConstraints(k=3, time_limit_seconds=1.0, top_n_per_stage=300)
    started = time.monotonic()
    result = propose_teams(stages, pool, cons)
    elapsed = time.monotonic() - started
    assert isinstance(result, list)
    assert result
    assert all(p.status in ("optimal", "feasible") for p in result)
    check(result, stages, pool, cons)
    # The limit bounds the search: 1 s of it on top of building the model, not a
    # search that runs on until it proves optimality.
    assert elapsed < 2 * overhead + 1.0 + 1.0, (elapsed, overhead)


def test_greedy_baseline_is_valid_and_not_better_than_the_optimum() -> None:
    stages, pool = random_instance(400, 5, seed=3)
    cons = TeamConstraints(k=1, time_limit_seconds=20)
    greedy = greedy_team(stages, pool, cons)
    assert greedy is not None
    assert greedy.status == "feasible"
    check([greedy], stages, pool, cons)
    result = propose_teams(stages, pool, cons)
    assert isinstance(result, list)
    assert result[0].status == "optimal"
    assert greedy.objective <= result[0].objective


def test_greedy_returns_none_when_no_team_exists() -> None:
    pool = [cand(1, "DE", {S1: 1.0}), cand(2, "FR", {S2: 1.0}), cand(3, "FR", {S3: 1.0})]
    assert greedy_team(STAGES, pool) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("k", 0),
        ("time_limit_seconds", 0),
        ("min_sme_share", Decimal("1.5")),
        ("top_n_per_stage", 0),
    ],
)
def test_invalid_constraints_are_rejected(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        TeamConstraints(**{field: value})  # type: ignore[arg-type]


def test_invalid_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="fit"):
        propose_teams(STAGES, [cand(1, "DE", {S1: 1.5})])
    with pytest.raises(ValueError, match="duplicate"):
        propose_teams(STAGES, [cand(1), cand(1)])
