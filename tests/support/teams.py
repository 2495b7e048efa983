"""Builders for the team optimiser's unit tests: stages and candidates by number."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal

from synergia_matching.teams import Candidate, Stage


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def stage(n: int, name: str | None = None, budget: str | None = None) -> Stage:
    return Stage(
        uid(10_000 + n), name or f"stage {n}", n, None if budget is None else Decimal(budget)
    )


def cand(
    n: int,
    country: str = "DE",
    fit: Mapping[Stage, float] | None = None,
    *,
    entity: int | None = None,
    eligible: bool = True,
    nace: Iterable[str] = ("C",),
    eco: Iterable[str] = (),
    sme: bool = True,
    s3: float = 0.0,
) -> Candidate:
    """Actor ``n`` (entity ``n`` unless linked to ``entity``), fitting the stages given."""
    return Candidate(
        actor_id=uid(n),
        name=f"A{n}",
        entity_id=uid(1_000_000 + (n if entity is None else entity)),
        country=country,
        country_eligible=eligible,
        nace_sections=frozenset(nace),
        ecosystems=frozenset(eco),
        is_sme=sme,
        fit={s.id: f for s, f in (fit or {}).items()},
        s3_alignment=s3,
    )
