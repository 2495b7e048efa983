"""Pure rules about value-chain initiatives: no I/O, unit tested on their own.

The thresholds of the programme live in this module only, each with its source. The
decisions taken where the brief left a choice are in this package's docstring
(``value_chains/__init__.py``) and repeated here where they act.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Any, Protocol

from synergia_shared.events.registry import ActorKind
from synergia_shared.linked_enterprises import entity_of
from synergia_shared.money import euros
from synergia_shared.reference.countries import UnknownCountry, lookup_country
from synergia_shared.reference.ecosystems import LABELS as ECOSYSTEM_LABELS
from synergia_shared.reference.ecosystems import Ecosystem

# --- Thresholds (DOMAIN.md "Value chains"; INNOSUP-01 call conditions) -------------------

# "at least 3 independent legal entities established in 3 different Member States or
# Associated Countries" (DOMAIN.md, Value chains; H2020 Rules for Participation,
# Regulation (EU) 1290/2013 Art. 9(1), as applied by the INNOSUP-01 call).
MIN_INDEPENDENT_ENTITIES = 3
# Linked enterprises count as one legal entity: a holding of MORE than 50 %, or control
# (DOMAIN.md, EU SME definition: "Linked enterprises (> 50 %, or control)";
# Commission Recommendation 2003/361/EC, Annex Art. 3(3)).
LINKED_SHARE_PERCENT = Decimal(50)
# "at least 75 % of the total budget goes to SMEs directly (as members or as third parties
# receiving support)" (DOMAIN.md, Value chains; INNOSUP-01 call text).
MIN_SME_BUDGET_PERCENT = Decimal(75)
# "cross-sectoral: participants span more than one NACE section / ecosystem"
# (DOMAIN.md, Value chains): more than one means at least 2.
MIN_SECTORS = 2

# EU SME definition categories (Commission Recommendation 2003/361/EC).
SME_CATEGORIES = frozenset({"micro", "small", "medium"})
# Who may lead a value chain: "lead cluster organisations / intermediaries" (DOMAIN.md).
LEAD_KINDS = frozenset({ActorKind.CLUSTER_ORGANISATION, ActorKind.SME_INTERMEDIARY})
# Intermediaries' own NACE code (S94.11, M70.22, ...) and ecosystems describe the
# intermediation, not a sector of the chain: they do not make a chain cross-sectoral.
INTERMEDIARY_KINDS = LEAD_KINDS


# --- Status ---------------------------------------------------------------------------


class ValueChainStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    FORMED = "formed"
    RUNNING = "running"
    CLOSED = "closed"


# The life cycle runs forward only: draft → open → formed → running → closed. An
# initiative may also be abandoned (→ closed) from any earlier state. Nothing leaves
# closed.
TRANSITIONS: Mapping[ValueChainStatus, tuple[ValueChainStatus, ...]] = {
    ValueChainStatus.DRAFT: (ValueChainStatus.OPEN, ValueChainStatus.CLOSED),
    ValueChainStatus.OPEN: (ValueChainStatus.FORMED, ValueChainStatus.CLOSED),
    ValueChainStatus.FORMED: (ValueChainStatus.RUNNING, ValueChainStatus.CLOSED),
    ValueChainStatus.RUNNING: (ValueChainStatus.CLOSED,),
    ValueChainStatus.CLOSED: (),
}
# Entering these needs a passing eligibility report (the consortium is formed).
NEEDS_ELIGIBILITY = frozenset({ValueChainStatus.FORMED})
# No change of content is accepted in these.
FROZEN = frozenset({ValueChainStatus.CLOSED})


def allowed_transitions(current: ValueChainStatus) -> tuple[ValueChainStatus, ...]:
    return TRANSITIONS[current]


def transition_refusal(current: ValueChainStatus, target: ValueChainStatus) -> str | None:
    """Why ``current → target`` is not allowed, or ``None`` when it is."""
    allowed = TRANSITIONS[current]
    if target in allowed:
        return None
    if not allowed:
        return f"the value chain is {current}; nothing follows {current}"
    names = ", ".join(str(s) for s in allowed)
    return f"the value chain is {current}; from {current} it can only go to: {names}"


# --- Participants ----------------------------------------------------------------------


class ParticipantRole(StrEnum):
    """Roles in the consortium (Horizon 2020 vocabulary).

    coordinator: the one beneficiary that coordinates (at most one per chain);
    partner: a beneficiary; third_party: an SME receiving financial support to third
    parties (cascade funding, FSTP); associated: takes part without EU budget (an
    associated partner), so its planned budget must be empty or zero.
    """

    COORDINATOR = "coordinator"
    PARTNER = "partner"
    THIRD_PARTY = "third_party"
    ASSOCIATED = "associated"


class ParticipantSpec(Protocol):
    @property
    def actor_id(self) -> uuid.UUID: ...
    @property
    def stage(self) -> int | None: ...
    @property
    def role(self) -> ParticipantRole: ...
    @property
    def planned_budget(self) -> Decimal | None: ...


class StageSpec(Protocol):
    @property
    def name(self) -> str: ...


Loc = list[str | int]
Error = dict[str, Any]


def _error(loc: Loc, msg: str) -> Error:
    return {"loc": ["body", *loc], "msg": msg}


def composition_errors(
    lead_actor_ids: Sequence[uuid.UUID],
    stages: Sequence[StageSpec],
    participants: Sequence[ParticipantSpec],
) -> list[Error]:
    """What is inconsistent inside a value chain's body, each naming the field."""
    errors: list[Error] = []
    seen_leads: set[uuid.UUID] = set()
    for i, lead in enumerate(lead_actor_ids):
        if lead in seen_leads:
            errors.append(_error(["lead_actor_ids", i], f"actor {lead} is listed twice"))
        seen_leads.add(lead)
    seen_names: set[str] = set()
    for i, stage in enumerate(stages):
        key = stage.name.casefold()
        if key in seen_names:
            errors.append(_error(["stages", i, "name"], f"another stage is named {stage.name!r}"))
        seen_names.add(key)
    seen_actors: set[uuid.UUID] = set()
    coordinator: int | None = None
    for i, participant in enumerate(participants):
        if participant.actor_id in seen_actors:
            errors.append(
                _error(
                    ["participants", i, "actor_id"],
                    f"actor {participant.actor_id} already takes part; one entry per actor",
                )
            )
        seen_actors.add(participant.actor_id)
        if participant.stage is not None and participant.stage >= len(stages):
            errors.append(
                _error(
                    ["participants", i, "stage"],
                    f"no stage at position {participant.stage}: there are {len(stages)} "
                    "stages (positions start at 0)",
                )
            )
        if participant.role is ParticipantRole.COORDINATOR:
            if coordinator is not None:
                errors.append(
                    _error(
                        ["participants", i, "role"],
                        f"participants[{coordinator}] is already the coordinator; "
                        "there is at most one",
                    )
                )
            else:
                coordinator = i
        if (
            participant.role is ParticipantRole.ASSOCIATED
            and participant.planned_budget is not None
            and participant.planned_budget > 0
        ):
            errors.append(
                _error(
                    ["participants", i, "planned_budget"],
                    "an associated participant takes part without budget: leave it empty or 0",
                )
            )
    return errors


@dataclass(frozen=True)
class ActorRef:
    """What a write needs to know of a referenced actor."""

    id: uuid.UUID
    kind: str
    active: bool


def reference_errors(
    lead_actor_ids: Sequence[uuid.UUID],
    participant_actor_ids: Sequence[uuid.UUID],
    actors: Mapping[uuid.UUID, ActorRef],
) -> list[Error]:
    """Leads and participants must exist and be active; leads must be intermediaries."""
    errors: list[Error] = []
    for i, actor_id in enumerate(lead_actor_ids):
        actor = actors.get(actor_id)
        loc: Loc = ["lead_actor_ids", i]
        if actor is None:
            errors.append(_error(loc, f"no actor {actor_id}"))
        elif not actor.active:
            errors.append(_error(loc, f"actor {actor_id} is deactivated"))
        elif actor.kind not in LEAD_KINDS:
            kinds = " or ".join(sorted(LEAD_KINDS))
            errors.append(
                _error(loc, f"actor {actor_id} is a {actor.kind}; a lead must be a {kinds}")
            )
    for i, actor_id in enumerate(participant_actor_ids):
        actor = actors.get(actor_id)
        loc = ["participants", i, "actor_id"]
        if actor is None:
            errors.append(_error(loc, f"no actor {actor_id}"))
        elif not actor.active:
            errors.append(_error(loc, f"actor {actor_id} is deactivated"))
    return errors


# --- Eligibility -----------------------------------------------------------------------


class ValueChainCriterion(StrEnum):
    INDEPENDENT_ENTITIES = "independent_legal_entities"
    SME_BUDGET_SHARE = "sme_budget_share"
    CROSS_SECTORAL = "cross_sectoral"


@dataclass(frozen=True)
class ActorFacts:
    """What the eligibility rules read of one actor."""

    id: uuid.UUID
    name: str
    kind: str
    country: str
    active: bool = True
    nace_codes: tuple[str, ...] = ()
    ecosystems: tuple[str, ...] = ()
    sme_category: str | None = None
    # Actors holding more than 50 % of this one or controlling it (its linked owners).
    controlled_by: frozenset[uuid.UUID] = frozenset()


@dataclass(frozen=True)
class Participation:
    actor_id: uuid.UUID
    role: ParticipantRole
    planned_budget: Decimal | None


@dataclass(frozen=True)
class CriterionResult:
    criterion: ValueChainCriterion
    met: bool | None  # None: not assessable from the data
    measured: Decimal | None
    threshold: Decimal
    unit: str
    explanation: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Eligibility:
    criteria: tuple[CriterionResult, ...]

    @property
    def eligible(self) -> bool:
        return all(item.met is True for item in self.criteria)

    @property
    def failing(self) -> tuple[CriterionResult, ...]:
        return tuple(item for item in self.criteria if item.met is not True)


def assess_eligibility(
    lead_actor_ids: Sequence[uuid.UUID],
    participants: Sequence[Participation],
    facts: Mapping[uuid.UUID, ActorFacts],
) -> Eligibility:
    """The eligibility report of a consortium, item by item.

    ``facts`` holds every consortium member and every actor linked to one through
    control (possibly outside the consortium), so that two members controlled by the
    same outside parent are seen as linked.
    """
    members = list(dict.fromkeys([*lead_actor_ids, *(p.actor_id for p in participants)]))
    return Eligibility(
        (
            independent_entities(members, facts),
            sme_budget_share(participants, facts),
            cross_sectoral(participants, facts),
        )
    )


def _name(facts: Mapping[uuid.UUID, ActorFacts], actor_id: uuid.UUID) -> str:
    actor = facts.get(actor_id)
    return actor.name if actor is not None else str(actor_id)


def _names(facts: Mapping[uuid.UUID, ActorFacts], ids: Iterable[uuid.UUID]) -> str:
    return ", ".join(_name(facts, i) for i in ids)


def linked_groups(
    members: Sequence[uuid.UUID], facts: Mapping[uuid.UUID, ActorFacts]
) -> list[list[uuid.UUID]]:
    """Members grouped into legal entities: linked through control, in either direction
    and transitively (also through actors outside ``members``). Groups keep the order of
    ``members``."""
    entity = entity_of(
        members,
        ((actor.id, owner) for actor in facts.values() for owner in actor.controlled_by),
    )
    groups: dict[uuid.UUID, list[uuid.UUID]] = {}
    for member in members:
        groups.setdefault(entity[member], []).append(member)
    return list(groups.values())


def match_countries(options: Sequence[frozenset[str]]) -> dict[int, str]:
    """A largest assignment of distinct countries to entities, each entity getting one of
    its own countries (maximum bipartite matching, augmenting paths). ``options[i]`` are
    the eligible countries entity ``i`` is established in; returns entity → country."""
    owner: dict[str, int] = {}

    def augment(entity: int, visited: set[str]) -> bool:
        for country in sorted(options[entity]):
            if country in visited:
                continue
            visited.add(country)
            if country not in owner or augment(owner[country], visited):
                owner[country] = entity
                return True
        return False

    for entity in range(len(options)):
        augment(entity, set())
    return {entity: country for country, entity in owner.items()}


def independent_entities(
    members: Sequence[uuid.UUID], facts: Mapping[uuid.UUID, ActorFacts]
) -> CriterionResult:
    """At least 3 independent legal entities in 3 different Member States or Associated
    Countries (the United Kingdom counts, as in H2020-era data)."""
    inactive = [m for m in members if m in facts and not facts[m].active]
    unknown = [m for m in members if m not in facts]
    counted = [m for m in members if m in facts and facts[m].active]
    groups = linked_groups(counted, facts)
    third_country: list[uuid.UUID] = []
    options: list[frozenset[str]] = []
    for group in groups:
        countries: set[str] = set()
        for member in group:
            try:
                country = lookup_country(facts[member].country)
            except UnknownCountry:
                third_country.append(member)
                continue
            if country.eligible_for_consortium:
                countries.add(country.code)
            else:
                third_country.append(member)
        options.append(frozenset(countries))
    assignment = match_countries(options)
    measured = len(assignment)
    met = measured >= MIN_INDEPENDENT_ENTITIES

    counted_text = "; ".join(
        f"{_names(facts, groups[i])} ({assignment[i]})" for i in sorted(assignment)
    )
    lines = [
        f"{measured} independent legal "
        f"{'entity' if measured == 1 else 'entities'} established in {measured} different "
        "Member States or Associated Countries"
        + (f": {counted_text}." if counted_text else ".")
        + f" At least {MIN_INDEPENDENT_ENTITIES} are needed."
    ]
    merged = [group for group in groups if len(group) > 1]
    for group in merged:
        lines.append(
            f"Linked through ownership of more than {LINKED_SHARE_PERCENT} % or control, "
            f"counted as one legal entity: {_names(facts, group)}."
        )
    for i, group in enumerate(groups):
        if i not in assignment and options[i]:
            lines.append(
                f"Independent, but established only in countries already counted: "
                f"{_names(facts, group)} ({', '.join(sorted(options[i]))})."
            )
    if third_country:
        lines.append(
            "Established in a third country, does not count: "
            + ", ".join(f"{_name(facts, m)} ({facts[m].country})" for m in third_country)
            + "."
        )
    if inactive:
        lines.append(f"Deactivated, not counted: {_names(facts, inactive)}.")
    if unknown:
        lines.append(f"Unknown actors, not counted: {', '.join(map(str, unknown))}.")
    return CriterionResult(
        criterion=ValueChainCriterion.INDEPENDENT_ENTITIES,
        met=met,
        measured=Decimal(measured),
        threshold=Decimal(MIN_INDEPENDENT_ENTITIES),
        unit="independent legal entities in distinct Member States or Associated Countries",
        explanation=" ".join(lines),
        details={
            "entities": [
                {
                    "actor_ids": [str(m) for m in group],
                    "countries": sorted(options[i]),
                    "counted_country": assignment.get(i),
                }
                for i, group in enumerate(groups)
            ],
            "merged": [[str(m) for m in group] for group in merged],
            "third_country_actor_ids": [str(m) for m in third_country],
            "inactive_actor_ids": [str(m) for m in inactive],
        },
    )


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    # Rounded down for display, so that 74.999 % never reads as 75.00 %.
    return (part * 100 / whole).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def _euros(amount: Decimal) -> str:
    return euros(amount)


def sme_budget_share(
    participants: Sequence[Participation], facts: Mapping[uuid.UUID, ActorFacts]
) -> CriterionResult:
    """At least 75 % of the total planned budget to SMEs, as members or third parties.

    An SME is an actor whose computed SME category is micro, small or medium; an actor
    of kind ``sme`` without a computed category counts on its declaration and is named.
    """
    threshold = MIN_SME_BUDGET_PERCENT
    unit = "percent of the total planned budget"
    budgeted = [p for p in participants if p.planned_budget is not None]
    unbudgeted = [p.actor_id for p in participants if p.planned_budget is None]
    total = sum((p.planned_budget for p in budgeted if p.planned_budget), Decimal(0))
    verified: list[uuid.UUID] = []
    declared: list[uuid.UUID] = []
    not_sme: list[uuid.UUID] = []
    sme_total = Decimal(0)
    for p in budgeted:
        actor = facts.get(p.actor_id)
        amount = p.planned_budget or Decimal(0)
        if actor is not None and actor.sme_category in SME_CATEGORIES:
            verified.append(p.actor_id)
            sme_total += amount
        elif actor is not None and actor.sme_category is None and actor.kind == ActorKind.SME:
            declared.append(p.actor_id)
            sme_total += amount
        else:
            not_sme.append(p.actor_id)
    details: dict[str, Any] = {
        "total_budget": str(total),
        "sme_budget": str(sme_total),
        "sme_actor_ids": [str(a) for a in verified],
        "declared_not_verified_actor_ids": [str(a) for a in declared],
        "not_sme_actor_ids": [str(a) for a in not_sme],
        "no_budget_actor_ids": [str(a) for a in unbudgeted],
    }
    if total == 0:
        why = (
            "no participant has a planned budget"
            if not budgeted
            else "the planned budgets add up to €0"
        )
        return CriterionResult(
            criterion=ValueChainCriterion.SME_BUDGET_SHARE,
            met=None,
            measured=None,
            threshold=threshold,
            unit=unit,
            explanation=f"Not assessable: {why}. Plan the participants' budgets to check "
            f"that at least {threshold} % goes to SMEs.",
            details=details,
        )
    share = _percent(sme_total, total)
    met = sme_total * 100 >= threshold * total
    lines = [
        f"{_euros(sme_total)} of {_euros(total)} planned ({share} %) goes to SMEs; "
        f"at least {threshold} % is needed."
    ]

    def category(actor_id: uuid.UUID) -> str:
        actor = facts.get(actor_id)
        return (actor.sme_category or "") if actor is not None else ""

    if verified:
        lines.append(
            "SMEs: " + ", ".join(f"{_name(facts, a)} ({category(a)})" for a in verified) + "."
        )
    if declared:
        lines.append(
            "Counted as SMEs as declared, not verified (no computed SME category): "
            f"{_names(facts, declared)}."
        )
    if not_sme:

        def why_not(actor_id: uuid.UUID) -> str:
            actor = facts.get(actor_id)
            if actor is None:
                return "unknown actor"
            if actor.sme_category == "not_sme":
                return "computed not an SME"
            return actor.kind

        lines.append(
            "Not SMEs: " + ", ".join(f"{_name(facts, a)} ({why_not(a)})" for a in not_sme) + "."
        )
    if unbudgeted:
        lines.append(f"No planned budget: {_names(facts, unbudgeted)}.")
    return CriterionResult(
        criterion=ValueChainCriterion.SME_BUDGET_SHARE,
        met=met,
        measured=share,
        threshold=threshold,
        unit=unit,
        explanation=" ".join(lines),
        details=details,
    )


def nace_section_of(code: str) -> str:
    """The section letter of a stored NACE code: stored codes are canonical and start with
    their section (see ``synergia_shared.reference.nace``)."""
    return code.strip()[:1].upper()


def _ecosystem_label(value: str) -> str:
    try:
        return ECOSYSTEM_LABELS[Ecosystem(value)]
    except ValueError:
        return value


def cross_sectoral(
    participants: Sequence[Participation], facts: Mapping[uuid.UUID, ActorFacts]
) -> CriterionResult:
    """Participants span more than one NACE section or more than one ecosystem.

    Measured on the participants' own actor profiles (facts, not the chain's declared
    target ecosystems), leaving out cluster organisations and SME intermediaries, whose
    own codes describe the intermediation rather than a sector of the chain.
    """
    threshold = Decimal(MIN_SECTORS)
    unit = "NACE sections or industrial ecosystems (the larger count)"
    sections: dict[str, list[uuid.UUID]] = {}
    ecosystems: dict[str, list[uuid.UUID]] = {}
    intermediaries: list[uuid.UUID] = []
    no_data: list[uuid.UUID] = []
    for p in participants:
        actor = facts.get(p.actor_id)
        if actor is None:
            no_data.append(p.actor_id)
            continue
        if actor.kind in INTERMEDIARY_KINDS:
            intermediaries.append(actor.id)
            continue
        found = {nace_section_of(c) for c in actor.nace_codes if c.strip()}
        for section in sorted(found):
            sections.setdefault(section, []).append(actor.id)
        for ecosystem in sorted(set(actor.ecosystems)):
            ecosystems.setdefault(ecosystem, []).append(actor.id)
        if not found and not actor.ecosystems:
            no_data.append(actor.id)
    details: dict[str, Any] = {
        "nace_sections": {s: [str(a) for a in ids] for s, ids in sorted(sections.items())},
        "ecosystems": {e: [str(a) for a in ids] for e, ids in sorted(ecosystems.items())},
        "intermediary_actor_ids": [str(a) for a in intermediaries],
        "no_sector_data_actor_ids": [str(a) for a in no_data],
    }
    tail: list[str] = []
    if intermediaries:
        tail.append(
            "Not counted, cluster organisations and SME intermediaries (their own codes "
            f"describe the intermediation, not a sector of the chain): "
            f"{_names(facts, intermediaries)}."
        )
    if no_data:
        tail.append(f"No NACE codes or ecosystems on record: {_names(facts, no_data)}.")
    if not sections and not ecosystems:
        return CriterionResult(
            criterion=ValueChainCriterion.CROSS_SECTORAL,
            met=None,
            measured=None,
            threshold=threshold,
            unit=unit,
            explanation=" ".join(
                [
                    "Not assessable: no participant (other than intermediaries) has NACE "
                    "codes or ecosystems on record.",
                    *tail,
                ]
            ),
            details=details,
        )
    measured = max(len(sections), len(ecosystems))
    met = measured >= MIN_SECTORS

    def listing(found: dict[str, list[uuid.UUID]], label: Callable[[str], str]) -> str:
        if not found:
            return "none"
        return "; ".join(
            f"{label(key)} ({_names(facts, ids)})" for key, ids in sorted(found.items())
        )

    lines = [
        f"{len(sections)} NACE {'section' if len(sections) == 1 else 'sections'}: "
        f"{listing(sections, str)}. {len(ecosystems)} "
        f"{'ecosystem' if len(ecosystems) == 1 else 'ecosystems'}: "
        f"{listing(ecosystems, _ecosystem_label)}. "
        + (
            "The participants span more than one sector."
            if met
            else "More than one NACE section or ecosystem is needed."
        ),
        *tail,
    ]
    return CriterionResult(
        criterion=ValueChainCriterion.CROSS_SECTORAL,
        met=met,
        measured=Decimal(measured),
        threshold=threshold,
        unit=unit,
        explanation=" ".join(lines),
        details=details,
    )
