"""Pure rules of team proposals: legal entities, stage fit, eligibility, roles."""

from __future__ import annotations

import uuid

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
