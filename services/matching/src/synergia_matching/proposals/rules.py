"""Pure rules of team proposals: legal entities, stage fit, eligibility, roles."""

from __future__ import annotations

import uuid
from collections.abc import Container, Iterable, Mapping, Sequence

from synergia_matching.regions.rules import Alignment, enclosing_codes

# Within a stage's fit: its words against the offers, its competences against those the
# actor offers; normalised over the parts the stage asks for.
FIT_PARTS = {"text": 0.6, "competences": 0.4}
SME_CATEGORIES = frozenset({"micro", "small", "medium"})
# A member placed on a stage it fits less than this is flagged as a weak fit: it offers
# under half of what the stage asks for (its terms and competences, as weighed by
# FIT_PARTS). The solver may still place it there (a small team, a must-include actor
# covering a stage): the proposal says so rather than hiding it in the objective's sum.
WEAK_FIT = 0.5


def stage_fit(text_fit: float | None, competence_fit: float | None) -> float:
    parts = {"text": text_fit, "competences": competence_fit}
    applicable = {k: v for k, v in parts.items() if v is not None}
    weight = sum(FIT_PARTS[k] for k in applicable)
    if not weight:
        return 0.0
    return round(sum(FIT_PARTS[k] * v for k, v in applicable.items()) / weight, 3)


def is_weak(fit: float) -> bool:
    return fit < WEAK_FIT


def weak_fit_warning(member: str, stage: str, fit: float) -> str:
    return (
        f"{member} is placed on stage '{stage}' with a weak fit ({fit:.2f} of 1: under "
        f"{WEAK_FIT:g}, it offers less than half of what the stage asks for)"
    )


def eligible(country_standing: str | None) -> bool:
    """Counts toward "3 Member States or Associated Countries" (the UK did in H2020)."""
    return country_standing != "third_country"


def role_for(actor_id: uuid.UUID, lead_actor_ids: list[uuid.UUID], covers_stage: bool) -> str:
    """The first lead, covering no stage, coordinates; everyone else is a partner (a
    beneficiary). The registry keeps a role an actor already has in the value chain."""
    if lead_actor_ids and actor_id == lead_actor_ids[0] and not covers_stage:
        return "coordinator"
    return "partner"


def unknown_at(ids: Sequence[uuid.UUID], known: Container[uuid.UUID]) -> list[int]:
    """The positions of the ids that are not among the known ones (a budget for a stage
    the value chain does not have, a must-include actor matching has not projected)."""
    return [i for i, id_ in enumerate(ids) if id_ not in known]


def must_include(
    asked: Sequence[uuid.UUID],
    lead_actor_ids: Sequence[uuid.UUID],
    *,
    include_leads: bool,
    exclude: Container[uuid.UUID],
) -> list[uuid.UUID]:
    """The actors every team must have: those asked for, once each, then (by default)
    the value chain's lead clusters, unless the request excludes them."""
    must = list(dict.fromkeys(asked))
    if include_leads:
        must += [a for a in lead_actor_ids if a not in must and a not in exclude]
    return must


def actor_fits(
    stage_ids: Sequence[uuid.UUID],
    matched: Sequence[int],
    text_fits: Sequence[float | None],
    competence_fits: Sequence[float | None],
) -> dict[uuid.UUID, float]:
    """An actor's fit per stage it matches (``matched`` holds positions in
    ``stage_ids``), leaving out the stages it fits 0 after rounding: there it is no
    candidate."""
    fits = {}
    for n, text_fit, competence_fit in zip(matched, text_fits, competence_fits, strict=True):
        fit = stage_fit(text_fit, competence_fit)
        if fit > 0:
            fits[stage_ids[n]] = fit
    return fits


def s3_alignment(region: str, aligned: Mapping[str, Alignment]) -> float:
    """How well the value chain fits the S3 priorities of an actor's region: the best
    score of the region or of a region enclosing it (its country included)."""
    return max((aligned[c].score for c in enclosing_codes(region) if c in aligned), default=0.0)


def holds_every_fitting_actor(matched: Iterable[Sequence[int]], stages: int, top_n: int) -> bool:
    """Whether a read of the candidates the pre-filter with ``top_n`` may keep
    (``repository.candidates``) already holds every fitting actor, from the stages each
    actor read matches (``matched``).

    The read keeps, per stage, at least the ``top_n`` best usable actors when the stage
    has that many, each with every stage it matches; a stage matched by fewer of the
    actors read therefore had fewer than ``top_n`` usable ones, and then the read keeps
    all of them. When that holds for every stage, reading every fitting actor would read
    the same actors again."""
    per_stage = [0] * stages
    for stage_list in matched:
        for n in stage_list:
            per_stage[n] += 1
    return all(count < top_n for count in per_stage)
