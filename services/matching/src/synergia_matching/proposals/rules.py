"""Pure rules of team proposals: legal entities, stage fit, eligibility, roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

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


def entity_ids(
    actor_ids: Iterable[uuid.UUID], links: Iterable[tuple[uuid.UUID, uuid.UUID]]
) -> dict[uuid.UUID, uuid.UUID]:
    """One id per independent legal entity: linked enterprises (> 50 % or control, also
    through others) share the smallest actor id of their group (union-find)."""
    parent: dict[uuid.UUID, uuid.UUID] = {}

    def find(a: uuid.UUID) -> uuid.UUID:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {a: find(a) for a in actor_ids}


def eligible(country_standing: str | None) -> bool:
    """Counts toward "3 Member States or Associated Countries" (the UK did in H2020)."""
    return country_standing != "third_country"


def role_for(actor_id: uuid.UUID, lead_actor_ids: list[uuid.UUID], covers_stage: bool) -> str:
    """The first lead, covering no stage, coordinates; everyone else is a partner (a
    beneficiary). The registry keeps a role an actor already has in the value chain."""
    if lead_actor_ids and actor_id == lead_actor_ids[0] and not covers_stage:
        return "coordinator"
    return "partner"
