"""Pure rules of team proposals: legal entities, stage fit, eligibility, roles."""

from __future__ import annotations

import uuid

# Within a stage's fit: its words against the offers, its competences against those the
# actor offers; normalised over the parts the stage asks for.
FIT_PARTS = {"text": 0.6, "competences": 0.4}
SME_CATEGORIES = frozenset({"micro", "small", "medium"})


def stage_fit(text_fit: float | None, competence_fit: float | None) -> float:
    parts = {"text": text_fit, "competences": competence_fit}
    applicable = {k: v for k, v in parts.items() if v is not None}
    weight = sum(FIT_PARTS[k] for k in applicable)
    if not weight:
        return 0.0
    return round(sum(FIT_PARTS[k] * v for k, v in applicable.items()) / weight, 3)


def eligible(country_standing: str | None) -> bool:
    """Counts toward "3 Member States or Associated Countries" (the UK did in H2020)."""
    return country_standing != "third_country"


def role_for(actor_id: uuid.UUID, lead_actor_ids: list[uuid.UUID], covers_stage: bool) -> str:
    """The first lead, covering no stage, coordinates; everyone else is a partner (a
    beneficiary). The registry keeps a role an actor already has in the value chain."""
    if lead_actor_ids and actor_id == lead_actor_ids[0] and not covers_stage:
        return "coordinator"
    return "partner"
