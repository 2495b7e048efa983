"""Why no team exists, in plain language.

:func:`precheck` runs before solving: cheap, exact-or-bounding tests that each name what
fails (a stage nobody can cover, too few eligible countries, an SME share out of reach,
...). They are necessary conditions, not sufficient ones: when they all pass but CP-SAT
still proves the model infeasible, :func:`explain_infeasible` finds a minimal set of
constraint groups that conflict with a deletion filter (drop a group; if the rest is still
infeasible the group is not needed for the conflict, else it is kept) and reports
"these constraints cannot all be met together: ...".

What can fail, and what cannot: one actor may cover several stages, so the number of
stages alone never exceeds the team size; the size rule fails only when the must-include
actors, or the stages whose every candidate covers that stage alone, already need more
members than allowed, or when the entity/country minimums exceed the maximum size.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from fractions import Fraction

from synergia_matching.teams import _cpsat
from synergia_matching.teams.model import Candidate, Stage, TeamConstraints
from synergia_matching.teams.scoring import (
    can_cover,
    max_country_entity_matching,
    percent,
    resolve_sector_basis,
    sector_labels,
    sme_rule,
)


def _names(values: Sequence[str] | set[str] | frozenset[str]) -> str:
    return ", ".join(sorted(values))


def precheck(
    stages: Sequence[Stage], candidates: Sequence[Candidate], constraints: TeamConstraints
) -> tuple[str, ...]:
    """Reasons that make every team impossible (empty when none was found)."""
    if not stages:
        return ("the value chain has no stages to cover",)
    cons = constraints
    index = {c.actor_id: c for c in candidates}
    reasons: list[str] = []
    must: list[Candidate] = []
    for actor in sorted(cons.must_include):
        if actor not in index:
            reasons.append(f"must-include actor {actor} is not among the candidates")
        elif actor in cons.exclude:
            reasons.append(f"must-include actor {index[actor].name!r} is excluded")
        else:
            must.append(index[actor])

    coverers: dict[uuid.UUID, list[Candidate]] = {}
    for stage in stages:
        fitting = [c for c in candidates if c.fit.get(stage.id, 0.0) > 0]
        eligible = [c for c in fitting if c.country_eligible]
        usable = [c for c in eligible if c.actor_id not in cons.exclude]
        coverers[stage.id] = usable
        if not fitting:
            reasons.append(f"stage {stage.name!r} has no candidate: no actor fits it")
        elif not eligible:
            where = _names({c.country for c in fitting})
            reasons.append(
                f"stage {stage.name!r} has no candidate in an eligible country "
                f"(its {len(fitting)} fitting candidate(s) are in {where}, a third country)"
            )
        elif not usable:
            reasons.append(
                f"stage {stage.name!r} has no candidate left: all {len(eligible)} fitting "
                "candidate(s) in eligible countries are excluded"
            )

    pool: dict[uuid.UUID, Candidate] = {c.actor_id: c for c in must}
    for usable in coverers.values():
        pool.update((c.actor_id, c) for c in usable)
    eligible_pool = [c for c in pool.values() if c.country_eligible]
    countries = {c.country for c in eligible_pool}
    if len(countries) < cons.min_countries:
        reasons.append(
            f"only {len(countries)} eligible countr{'y' if len(countries) == 1 else 'ies'} "
            f"among the candidates ({_names(countries) or 'none'}); "
            f"{cons.min_countries} are needed"
        )
    else:
        matched = max_country_entity_matching((c.entity_id, c.country) for c in eligible_pool)
        if matched < cons.min_countries:
            reasons.append(
                "linked enterprises count once: the candidates' independent legal entities "
                f"can stand for at most {matched} different eligible countries "
                f"(of {_names(countries)}); {cons.min_countries} are needed"
            )
    entities = {c.entity_id for c in eligible_pool}
    if len(entities) < cons.min_entities:
        reasons.append(
            f"only {len(entities)} independent legal entit"
            f"{'y' if len(entities) == 1 else 'ies'} in eligible countries among the "
            f"candidates (linked enterprises count once); {cons.min_entities} are needed"
        )
    basis = resolve_sector_basis(candidates, cons)
    word = "NACE section" if basis == "nace" else "ecosystem"
    sectors: set[str] = set()
    for c in pool.values():
        sectors |= sector_labels(c, basis)
    if len(sectors) < cons.min_nace_sections:
        reasons.append(
            f"only {len(sectors)} {word}{'' if len(sectors) == 1 else 's'} among the "
            f"candidates ({_names(sectors) or 'none'}); {cons.min_nace_sections} are needed "
            "for a cross-sectoral chain"
        )

    rule = sme_rule(stages, cons)
    if rule.basis == "budget":
        total = rule.total_units
        reach = sum(
            rule.budget_units[s.id] for s in stages if any(c.is_sme for c in coverers[s.id])
        )
        if total and Fraction(reach, total) < rule.share:
            reasons.append(
                f"the SME budget share cannot reach {percent(rule.share)}: the stages SMEs can "
                f"cover hold at most {percent(Fraction(reach, total))} of the budget"
            )
    elif rule.share > 0:
        sme_must = sum(1 for c in must if c.is_sme)
        non_sme_must = len(must) - sme_must
        covered_by_non_sme_must = {
            s.id for s in stages for c in must if not c.is_sme and can_cover(c, s.id, cons)
        }
        needs_non_sme = any(
            coverers[s.id]
            and not any(c.is_sme for c in coverers[s.id])
            and s.id not in covered_by_non_sme_must
            for s in stages
        )
        sme_max = sme_must + sum(1 for s in stages if any(c.is_sme for c in coverers[s.id]))
        non_sme_min = non_sme_must + (1 if needs_non_sme else 0)
        best = Fraction(sme_max, sme_max + non_sme_min) if sme_max + non_sme_min else Fraction(1)
        if best < rule.share:
            reasons.append(
                f"the SME share of members cannot reach {percent(rule.share)}: at most "
                f"{sme_max} SME(s) against at least {non_sme_min} other member(s) "
                f"({percent(best)})"
            )

    size = cons.max_team_size
    if len(must) > size:
        reasons.append(f"{len(must)} must-include actors, but at most {size} members allowed")
    else:
        covered_by_must = {s.id for s in stages for c in must if can_cover(c, s.id, cons)}
        open_stages = [s for s in stages if s.id not in covered_by_must and coverers[s.id]]
        lonely = [
            s
            for s in open_stages
            if all(
                not any(can_cover(c, o.id, cons) for o in stages if o.id != s.id)
                for c in coverers[s.id]
            )
        ]
        rest = 1 if len(open_stages) > len(lonely) else 0
        need = len(must) + len(lonely) + rest
        if need > size:
            reasons.append(
                f"at most {size} members allowed, but at least {need} are needed: "
                f"{len(must)} must-include actor(s) plus {len(lonely)} stage(s) whose "
                "candidates cover no other stage, each needing its own member"
                + (", plus one for the other stages" if rest else "")
            )
    for name, minimum in (
        ("independent entities", cons.min_entities),
        ("countries", cons.min_countries),
    ):
        if minimum > size:
            reasons.append(
                f"at least {minimum} {name} are needed, but at most {size} members allowed"
            )
    return tuple(reasons)


def describe_group(group: str, problem: _cpsat.Problem) -> str:
    cons = problem.constraints
    if group == "must_include":
        names = sorted(c.name for c in problem.candidates if c.actor_id in problem.must_include)
        return "the must-include actors (" + ", ".join(names) + ") are members"
    if group == "entities":
        return f"at least {cons.min_entities} independent legal entities"
    if group == "countries":
        return (
            f"at least {cons.min_countries} independent entities established in "
            f"{cons.min_countries} different eligible countries"
        )
    if group == "sections":
        word = "NACE sections" if problem.basis == "nace" else "ecosystems"
        return f"at least {cons.min_nace_sections} distinct {word}"
    if group == "sme_share":
        if problem.sme.basis == "budget":
            return f"SMEs receive at least {percent(problem.sme.share)} of the budget"
        return f"at least {percent(problem.sme.share)} of the members are SMEs"
    if group == "team_size":
        return f"at most {cons.max_team_size} member{'' if cons.max_team_size == 1 else 's'}"
    raise ValueError(group)


def explain_infeasible(problem: _cpsat.Problem, seconds: float) -> tuple[str, ...]:
    """A minimal conflicting set of constraint groups (deletion filter), in words.

    Every stage covered by exactly one actor is always on; each sub-solve is a pure
    feasibility check. A group whose check times out is kept (the set is then possibly not
    minimal, and the reason says so).
    """
    deadline = time.monotonic() + seconds
    active = [g for g in _cpsat.GROUPS if g != "must_include" or problem.must_include]
    undecided = False
    for group in list(active):
        trial = [g for g in active if g != group]
        left = deadline - time.monotonic()
        if left <= 0:
            undecided = True
            break
        result = _cpsat.solve(
            _cpsat.build(problem, trial, with_objective=False),
            problem.constraints,
            left / 2,
        )
        if result.status == "infeasible":
            active = trial
        elif result.status == "unknown":
            undecided = True
    if not active:
        return ("the stages cannot all be covered by the candidates left",)
    text = "these constraints cannot all be met together: " + "; ".join(
        describe_group(g, problem) for g in active
    )
    if undecided:
        text += " (the search ran out of time, so some of these may not be needed)"
    return (text,)
