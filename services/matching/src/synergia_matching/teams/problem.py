"""Input and output types of the value-chain team optimiser (pure, frozen dataclasses).

The optimiser proposes consortia ("teams") for a value chain: every stage of the chain is
covered by exactly one actor, and the team as a whole meets the programme's consortium
rules (see ``shared/DOMAIN.md``, section "Value chains"):

* at least 3 independent legal entities established in 3 different Member States or
  Associated Countries (linked enterprises share one ``entity_id`` and count once);
* at least 75 % of the total budget goes to SMEs;
* cross-sectoral: the members span more than one NACE section (or ecosystem).

The numbers are defaults of :class:`TeamConstraints`; each default names its source.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

# --- programme defaults (shared/DOMAIN.md, "Value chains"; INNOSUP-01 call conditions) ---
#: "at least 3 independent legal entities ..." (H2020 Rules for Participation Art. 9(1)).
DEFAULT_MIN_ENTITIES = 3
#: "... established in 3 different Member States or Associated Countries" (same article).
DEFAULT_MIN_COUNTRIES = 3
#: "cross-sectoral: participants span more than one NACE section / ecosystem" (INNOSUP-01).
DEFAULT_MIN_SECTIONS = 2
#: "at least 75 % of the total budget goes to SMEs" (INNOSUP-01 call conditions).
DEFAULT_MIN_SME_BUDGET_SHARE = Decimal("0.75")
#: No programme rule counts members; when stage budgets are unknown we ask that at least
#: half of the members be SMEs as a stand-in for the budget rule (a Synergia choice).
DEFAULT_MIN_SME_MEMBER_SHARE = Decimal("0.5")
#: A practical consortium size for an Innovation Action (a Synergia choice, not a rule).
DEFAULT_MAX_TEAM_SIZE = 12

SectorBasis = Literal["auto", "nace", "ecosystems"]
ProposalStatus = Literal["optimal", "feasible"]
SmeShareBasis = Literal["budget", "members"]


@dataclass(frozen=True, slots=True)
class Stage:
    """One segment of the value chain; ``budget`` is what the actor covering it receives."""

    id: uuid.UUID
    name: str
    position: int
    budget: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """An actor that may join the team.

    ``entity_id`` identifies the independent legal entity (linked enterprises share one; it
    is computed elsewhere). ``country_eligible`` is true for Member States and Associated
    Countries; third-country actors may join only as must-include members and never cover
    a stage or count towards the country rule. ``fit`` maps a stage id to a score in
    [0, 1]; a stage that is absent or scored ≤ 0 cannot be covered by this actor.
    ``s3_alignment`` (0..1) says how well the actor's regional smart-specialisation
    priorities fit the chain.
    """

    actor_id: uuid.UUID
    name: str
    entity_id: uuid.UUID
    country: str
    country_eligible: bool
    nace_sections: frozenset[str] = frozenset()
    ecosystems: frozenset[str] = frozenset()
    is_sme: bool = False
    fit: Mapping[uuid.UUID, float] = field(default_factory=dict)
    s3_alignment: float = 0.0


@dataclass(frozen=True, slots=True)
class ObjectiveWeights:
    """Integer weights of the objective terms (all terms are integers, so is the objective).

    Raw values and their units:

    * ``fit``: sum over stages of the covering actor's fit in per-mille (1.0 → 1000);
    * ``countries``: number of distinct eligible countries among the members;
    * ``sectors``: number of distinct NACE sections (or ecosystems) among the members;
    * ``s3``: sum over stages of the covering actor's S3 alignment in per-mille;
    * ``sme``: number of stages covered by an SME.

    Defaults: a perfectly fitting stage is worth 4,000, one more country 500, one more
    sector 300, a perfectly S3-aligned stage 1,000 and an SME-covered stage 400. Fit thus
    dominates (a team is first of all about competences), and diversity, S3 and SME
    participation decide between teams of similar fit; the minimum counts are hard
    constraints anyway.
    """

    fit: int = 4
    countries: int = 500
    sectors: int = 300
    s3: int = 1
    sme: int = 400

    def __post_init__(self) -> None:
        for name in ("fit", "countries", "sectors", "s3", "sme"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"objective weight {name!r} must be a non-negative integer")


@dataclass(frozen=True, slots=True)
class TeamConstraints:
    """Rules the team must meet, search settings and objective weights.

    The SME share is ``min_sme_share`` of the total budget when every stage has a budget,
    else ``member_sme_share`` of the members. ``sector_basis`` "auto" counts NACE sections
    when any candidate carries one, ecosystems otherwise (mixing the two vocabularies would
    count one sector twice). ``time_limit_seconds`` is the wall-clock budget of the whole
    call (all ``k`` solves together). ``top_n_per_stage`` bounds the candidates kept per
    stage by the pre-filter (see :func:`synergia_matching.teams.solver.propose_teams`).
    ``num_workers=1`` (the default: with the full linear relaxation one worker proves the
    optimum fastest, see :func:`synergia_matching.teams._cpsat.solve`) makes results fully
    reproducible; with more workers the proven optimum value is the same on every run but a
    tie between equally good teams may be broken differently.
    """

    min_entities: int = DEFAULT_MIN_ENTITIES
    min_countries: int = DEFAULT_MIN_COUNTRIES
    min_nace_sections: int = DEFAULT_MIN_SECTIONS
    min_sme_share: Decimal = DEFAULT_MIN_SME_BUDGET_SHARE
    member_sme_share: Decimal = DEFAULT_MIN_SME_MEMBER_SHARE
    max_team_size: int = DEFAULT_MAX_TEAM_SIZE
    must_include: frozenset[uuid.UUID] = frozenset()
    exclude: frozenset[uuid.UUID] = frozenset()
    k: int = 3
    time_limit_seconds: float = 5.0
    weights: ObjectiveWeights = field(default_factory=ObjectiveWeights)
    sector_basis: SectorBasis = "auto"
    top_n_per_stage: int = 40
    num_workers: int = 1
    random_seed: int = 0

    def __post_init__(self) -> None:
        for name in ("min_entities", "min_countries", "min_nace_sections", "max_team_size"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("min_sme_share", "member_sme_share"):
            share = getattr(self, name)
            if not isinstance(share, Decimal) or not share.is_finite() or not 0 <= share <= 1:
                raise ValueError(f"{name} must be a Decimal between 0 and 1")
        if self.k < 1:
            raise ValueError("k must be at least 1")
        if self.time_limit_seconds <= 0:
            raise ValueError("time_limit_seconds must be positive")
        if self.top_n_per_stage < 1:
            raise ValueError("top_n_per_stage must be at least 1")
        if self.num_workers < 1:
            raise ValueError("num_workers must be at least 1")


@dataclass(frozen=True, slots=True)
class ObjectiveTerm:
    """One term of the objective: ``contribution == raw * weight``."""

    name: str
    raw: int
    weight: int
    contribution: int
    description: str


@dataclass(frozen=True, slots=True)
class ObjectiveBreakdown:
    """The objective of a team term by term; ``total`` is the sum of the contributions."""

    terms: tuple[ObjectiveTerm, ...]

    @property
    def total(self) -> int:
        return sum(term.contribution for term in self.terms)

    def term(self, name: str) -> ObjectiveTerm:
        for term in self.terms:
            if term.name == name:
                return term
        raise KeyError(name)

    def explain(self) -> str:
        lines = [f"{t.name}: {t.description} → {t.contribution}" for t in self.terms]
        return "\n".join([*lines, f"total: {self.total}"])


@dataclass(frozen=True, slots=True)
class Member:
    """A team member; ``stage_ids`` is empty for a must-include actor covering no stage."""

    actor_id: uuid.UUID
    name: str
    entity_id: uuid.UUID
    country: str
    country_eligible: bool
    is_sme: bool
    stage_ids: tuple[uuid.UUID, ...]
    must_include: bool


@dataclass(frozen=True, slots=True)
class Proposal:
    """A proposed team.

    ``status`` is "optimal" only when CP-SAT proved the team optimal (among the
    ``candidates_considered`` kept by the pre-filter, and distinct from the better-ranked
    proposals); "feasible" means the best team found within the time limit.
    """

    rank: int
    members: tuple[Member, ...]
    assignment: tuple[tuple[uuid.UUID, uuid.UUID], ...]  # (stage id, actor id) by position
    objective: int
    breakdown: ObjectiveBreakdown
    status: ProposalStatus
    sme_share_basis: SmeShareBasis
    sme_share: Decimal  # achieved share, rounded to 4 places for display
    countries: tuple[str, ...]  # distinct eligible countries
    sectors: tuple[str, ...]  # distinct NACE sections (or ecosystems)
    entities: int  # distinct independent legal entities established in eligible countries
    candidates_considered: int
    candidates_total: int

    @property
    def member_ids(self) -> frozenset[uuid.UUID]:
        return frozenset(m.actor_id for m in self.members)


@dataclass(frozen=True, slots=True)
class NoTeam:
    """No team meets the rules; ``reasons`` says why in plain language."""

    reasons: tuple[str, ...]
