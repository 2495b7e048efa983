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

from synergia_shared.entity_country_matching import match_entities_to_countries
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


# --- Criterion 1: independent legal entities in distinct countries ----------------------


def consortium_countries(
    entity: Sequence[uuid.UUID], facts: Mapping[uuid.UUID, ActorFacts]
) -> tuple[frozenset[str], list[uuid.UUID]]:
    """The Member States and Associated Countries a legal entity is established in (its
    members' countries; the United Kingdom counts, as in H2020-era data), and its members
    established elsewhere: a third country, or a code the country reference does not know.
    Only the former count towards the consortium rule (Regulation (EU) 1290/2013 Art. 9)."""
    countries: set[str] = set()
    elsewhere: list[uuid.UUID] = []
    for member in entity:
        try:
            country = lookup_country(facts[member].country)
        except UnknownCountry:
            elsewhere.append(member)
            continue
        if country.eligible_for_consortium:
            countries.add(country.code)
        else:
            elsewhere.append(member)
    return frozenset(countries), elsewhere


@dataclass(frozen=True)
class EntityCount:
    """What the independent-entities rule found.

    ``entities`` are the active known members grouped into legal entities (in the order
    of the members), ``countries[i]`` the eligible countries of ``entities[i]``, and
    ``counted_country`` the country each counted entity stands for (a largest matching).
    """

    entities: tuple[tuple[uuid.UUID, ...], ...]
    countries: tuple[frozenset[str], ...]
    counted_country: Mapping[int, str]
    third_country: tuple[uuid.UUID, ...]
    inactive: tuple[uuid.UUID, ...]
    unknown: tuple[uuid.UUID, ...]

    @property
    def measured(self) -> int:
        return len(self.counted_country)

    @property
    def met(self) -> bool:
        return self.measured >= MIN_INDEPENDENT_ENTITIES

    @property
    def merged(self) -> tuple[tuple[uuid.UUID, ...], ...]:
        return tuple(entity for entity in self.entities if len(entity) > 1)


def count_independent_entities(
    members: Sequence[uuid.UUID], facts: Mapping[uuid.UUID, ActorFacts]
) -> EntityCount:
    """How many independent legal entities the consortium has in pairwise different
    Member States or Associated Countries: deactivated and unknown members do not count,
    linked enterprises are one entity (``linked_groups``), and an entity established in
    several countries stands for one of them only."""
    counted = [m for m in members if m in facts and facts[m].active]
    entities = linked_groups(counted, facts)
    third_country: list[uuid.UUID] = []
    options: list[frozenset[str]] = []
    for entity in entities:
        countries, elsewhere = consortium_countries(entity, facts)
        options.append(countries)
        third_country.extend(elsewhere)
    return EntityCount(
        entities=tuple(tuple(entity) for entity in entities),
        countries=tuple(options),
        counted_country=match_entities_to_countries(dict(enumerate(options))),
        third_country=tuple(third_country),
        inactive=tuple(m for m in members if m in facts and not facts[m].active),
        unknown=tuple(m for m in members if m not in facts),
    )


def word_independent_entities(found: EntityCount, facts: Mapping[uuid.UUID, ActorFacts]) -> str:
    """The explanation of an :class:`EntityCount`, naming every member that does not count
    and why."""
    measured = found.measured
    counted_text = "; ".join(
        f"{_names(facts, found.entities[i])} ({found.counted_country[i]})"
        for i in sorted(found.counted_country)
    )
    lines = [
        f"{measured} independent legal "
        f"{'entity' if measured == 1 else 'entities'} established in {measured} different "
        "Member States or Associated Countries"
        + (f": {counted_text}." if counted_text else ".")
        + f" At least {MIN_INDEPENDENT_ENTITIES} are needed."
    ]
    lines.extend(
        f"Linked through ownership of more than {LINKED_SHARE_PERCENT} % or control, "
        f"counted as one legal entity: {_names(facts, entity)}."
        for entity in found.merged
    )
    lines.extend(
        f"Independent, but established only in countries already counted: "
        f"{_names(facts, entity)} ({', '.join(sorted(found.countries[i]))})."
        for i, entity in enumerate(found.entities)
        if i not in found.counted_country and found.countries[i]
    )
    if found.third_country:
        lines.append(
            "Established in a third country, does not count: "
            + ", ".join(f"{_name(facts, m)} ({facts[m].country})" for m in found.third_country)
            + "."
        )
    if found.inactive:
        lines.append(f"Deactivated, not counted: {_names(facts, found.inactive)}.")
    if found.unknown:
        lines.append(f"Unknown actors, not counted: {', '.join(map(str, found.unknown))}.")
    return " ".join(lines)


def _entity_details(found: EntityCount) -> dict[str, Any]:
    return {
        "entities": [
            {
                "actor_ids": [str(m) for m in entity],
                "countries": sorted(found.countries[i]),
                "counted_country": found.counted_country.get(i),
            }
            for i, entity in enumerate(found.entities)
        ],
        "merged": [[str(m) for m in entity] for entity in found.merged],
        "third_country_actor_ids": [str(m) for m in found.third_country],
        "inactive_actor_ids": [str(m) for m in found.inactive],
    }


def independent_entities(
    members: Sequence[uuid.UUID], facts: Mapping[uuid.UUID, ActorFacts]
) -> CriterionResult:
    """At least 3 independent legal entities in 3 different Member States or Associated
    Countries (the United Kingdom counts, as in H2020-era data)."""
    found = count_independent_entities(members, facts)
    return CriterionResult(
        criterion=ValueChainCriterion.INDEPENDENT_ENTITIES,
        met=found.met,
        measured=Decimal(found.measured),
        threshold=Decimal(MIN_INDEPENDENT_ENTITIES),
        unit="independent legal entities in distinct Member States or Associated Countries",
        explanation=word_independent_entities(found, facts),
        details=_entity_details(found),
    )


# --- Criterion 2: the SMEs' share of the planned budget ---------------------------------


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    # Rounded down for display, so that 74.999 % never reads as 75.00 %.
    return (part * 100 / whole).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


class SmeStanding(StrEnum):
    """How an actor counts towards the SMEs' share of the budget."""

    VERIFIED = "verified"  # its computed SME category is micro, small or medium
    DECLARED = "declared"  # of kind sme, with no computed category: counted, but named
    NOT_SME = "not_sme"


def sme_standing(actor: ActorFacts | None) -> SmeStanding:
    """Whether an actor counts as an SME for the budget share: its computed category is
    micro, small or medium (Commission Recommendation 2003/361/EC); without a computed
    category, an actor of kind ``sme`` counts on its declaration. Unknown actors and a
    computed ``not_sme`` do not count, whatever the declared kind."""
    if actor is None:
        return SmeStanding.NOT_SME
    if actor.sme_category in SME_CATEGORIES:
        return SmeStanding.VERIFIED
    if actor.sme_category is None and actor.kind == ActorKind.SME:
        return SmeStanding.DECLARED
    return SmeStanding.NOT_SME


@dataclass(frozen=True)
class SmeBudget:
    """What the SME-share rule found: the planned budget, the part of it that goes to
    SMEs, and the participants by standing (``unbudgeted``: no planned budget)."""

    total: Decimal
    sme_total: Decimal
    verified: tuple[uuid.UUID, ...]
    declared: tuple[uuid.UUID, ...]
    not_sme: tuple[uuid.UUID, ...]
    unbudgeted: tuple[uuid.UUID, ...]

    @property
    def assessable(self) -> bool:
        return self.total != 0

    @property
    def share(self) -> Decimal | None:
        """The SMEs' share in percent, rounded down; ``None`` without a budget."""
        return _percent(self.sme_total, self.total) if self.assessable else None

    @property
    def met(self) -> bool | None:
        if not self.assessable:
            return None
        # Compared unrounded: 74.999 % is short of 75 %.
        return self.sme_total * 100 >= MIN_SME_BUDGET_PERCENT * self.total


def measure_sme_budget(
    participants: Sequence[Participation], facts: Mapping[uuid.UUID, ActorFacts]
) -> SmeBudget:
    """The SMEs' part of the total planned budget, members and third parties alike
    (``sme_standing`` says who counts)."""
    budgeted = [p for p in participants if p.planned_budget is not None]
    by_standing: dict[SmeStanding, list[uuid.UUID]] = {standing: [] for standing in SmeStanding}
    sme_total = Decimal(0)
    for p in budgeted:
        standing = sme_standing(facts.get(p.actor_id))
        by_standing[standing].append(p.actor_id)
        if standing is not SmeStanding.NOT_SME:
            sme_total += p.planned_budget or Decimal(0)
    return SmeBudget(
        total=sum((p.planned_budget for p in budgeted if p.planned_budget), Decimal(0)),
        sme_total=sme_total,
        verified=tuple(by_standing[SmeStanding.VERIFIED]),
        declared=tuple(by_standing[SmeStanding.DECLARED]),
        not_sme=tuple(by_standing[SmeStanding.NOT_SME]),
        unbudgeted=tuple(p.actor_id for p in participants if p.planned_budget is None),
    )


def _why_not_sme(facts: Mapping[uuid.UUID, ActorFacts], actor_id: uuid.UUID) -> str:
    actor = facts.get(actor_id)
    if actor is None:
        return "unknown actor"
    if actor.sme_category == "not_sme":
        return "computed not an SME"
    return actor.kind


def word_sme_budget(found: SmeBudget, facts: Mapping[uuid.UUID, ActorFacts]) -> str:
    """The explanation of an :class:`SmeBudget`, naming each participant's standing."""
    threshold = MIN_SME_BUDGET_PERCENT
    if not found.assessable:
        budgeted = found.verified or found.declared or found.not_sme
        why = (
            "the planned budgets add up to €0"
            if budgeted
            else "no participant has a planned budget"
        )
        return (
            f"Not assessable: {why}. Plan the participants' budgets to check "
            f"that at least {threshold} % goes to SMEs."
        )
    lines = [
        f"{euros(found.sme_total)} of {euros(found.total)} planned ({found.share} %) goes "
        f"to SMEs; at least {threshold} % is needed."
    ]
    if found.verified:
        categories = ", ".join(
            f"{_name(facts, a)} ({facts[a].sme_category})" for a in found.verified
        )
        lines.append(f"SMEs: {categories}.")
    if found.declared:
        lines.append(
            "Counted as SMEs as declared, not verified (no computed SME category): "
            f"{_names(facts, found.declared)}."
        )
    if found.not_sme:
        reasons = ", ".join(f"{_name(facts, a)} ({_why_not_sme(facts, a)})" for a in found.not_sme)
        lines.append(f"Not SMEs: {reasons}.")
    if found.unbudgeted:
        lines.append(f"No planned budget: {_names(facts, found.unbudgeted)}.")
    return " ".join(lines)


def sme_budget_share(
    participants: Sequence[Participation], facts: Mapping[uuid.UUID, ActorFacts]
) -> CriterionResult:
    """At least 75 % of the total planned budget to SMEs, as members or third parties.

    An SME is an actor whose computed SME category is micro, small or medium; an actor
    of kind ``sme`` without a computed category counts on its declaration and is named.
    """
    found = measure_sme_budget(participants, facts)
    return CriterionResult(
        criterion=ValueChainCriterion.SME_BUDGET_SHARE,
        met=found.met,
        measured=found.share,
        threshold=MIN_SME_BUDGET_PERCENT,
        unit="percent of the total planned budget",
        explanation=word_sme_budget(found, facts),
        details={
            "total_budget": str(found.total),
            "sme_budget": str(found.sme_total),
            "sme_actor_ids": [str(a) for a in found.verified],
            "declared_not_verified_actor_ids": [str(a) for a in found.declared],
            "not_sme_actor_ids": [str(a) for a in found.not_sme],
            "no_budget_actor_ids": [str(a) for a in found.unbudgeted],
        },
    )


# --- Criterion 3: cross-sectoral --------------------------------------------------------


def nace_section_of(code: str) -> str:
    """The section letter of a stored NACE code: stored codes are canonical and start with
    their section (see ``synergia_shared.reference.nace``)."""
    return code.strip()[:1].upper()


def _ecosystem_label(value: str) -> str:
    try:
        return ECOSYSTEM_LABELS[Ecosystem(value)]
    except ValueError:
        return value


@dataclass(frozen=True)
class SectorSpread:
    """What the cross-sectoral rule found: each NACE section and ecosystem with the
    participants in it, the intermediaries left out, and the participants (or unknown
    actors) with no sector data."""

    sections: Mapping[str, tuple[uuid.UUID, ...]]
    ecosystems: Mapping[str, tuple[uuid.UUID, ...]]
    intermediaries: tuple[uuid.UUID, ...]
    no_data: tuple[uuid.UUID, ...]

    @property
    def measured(self) -> int | None:
        """The larger of the two counts; ``None`` when there is no sector data at all."""
        if not self.sections and not self.ecosystems:
            return None
        return max(len(self.sections), len(self.ecosystems))

    @property
    def met(self) -> bool | None:
        measured = self.measured
        return None if measured is None else measured >= MIN_SECTORS


def measure_sector_spread(
    participants: Sequence[Participation], facts: Mapping[uuid.UUID, ActorFacts]
) -> SectorSpread:
    """The NACE sections and ecosystems of the participants' own actor profiles, leaving
    out cluster organisations and SME intermediaries (``INTERMEDIARY_KINDS``)."""
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
    return SectorSpread(
        sections={key: tuple(ids) for key, ids in sorted(sections.items())},
        ecosystems={key: tuple(ids) for key, ids in sorted(ecosystems.items())},
        intermediaries=tuple(intermediaries),
        no_data=tuple(no_data),
    )


def word_sector_spread(found: SectorSpread, facts: Mapping[uuid.UUID, ActorFacts]) -> str:
    """The explanation of a :class:`SectorSpread`, naming who is in which sector and who
    is left out."""
    tail: list[str] = []
    if found.intermediaries:
        tail.append(
            "Not counted, cluster organisations and SME intermediaries (their own codes "
            f"describe the intermediation, not a sector of the chain): "
            f"{_names(facts, found.intermediaries)}."
        )
    if found.no_data:
        tail.append(f"No NACE codes or ecosystems on record: {_names(facts, found.no_data)}.")
    if found.measured is None:
        return " ".join(
            [
                "Not assessable: no participant (other than intermediaries) has NACE "
                "codes or ecosystems on record.",
                *tail,
            ]
        )

    def listing(spread: Mapping[str, tuple[uuid.UUID, ...]], label: Callable[[str], str]) -> str:
        if not spread:
            return "none"
        return "; ".join(f"{label(key)} ({_names(facts, ids)})" for key, ids in spread.items())

    sections, ecosystems = len(found.sections), len(found.ecosystems)
    verdict = (
        "The participants span more than one sector."
        if found.met
        else "More than one NACE section or ecosystem is needed."
    )
    headline = (
        f"{sections} NACE {'section' if sections == 1 else 'sections'}: "
        f"{listing(found.sections, str)}. {ecosystems} "
        f"{'ecosystem' if ecosystems == 1 else 'ecosystems'}: "
        f"{listing(found.ecosystems, _ecosystem_label)}. {verdict}"
    )
    return " ".join([headline, *tail])


def cross_sectoral(
    participants: Sequence[Participation], facts: Mapping[uuid.UUID, ActorFacts]
) -> CriterionResult:
    """Participants span more than one NACE section or more than one ecosystem.

    Measured on the participants' own actor profiles (facts, not the chain's declared
    target ecosystems), leaving out cluster organisations and SME intermediaries, whose
    own codes describe the intermediation rather than a sector of the chain.
    """
    found = measure_sector_spread(participants, facts)
    measured = found.measured
    return CriterionResult(
        criterion=ValueChainCriterion.CROSS_SECTORAL,
        met=found.met,
        measured=None if measured is None else Decimal(measured),
        threshold=Decimal(MIN_SECTORS),
        unit="NACE sections or industrial ecosystems (the larger count)",
        explanation=word_sector_spread(found, facts),
        details={
            "nace_sections": {s: [str(a) for a in ids] for s, ids in found.sections.items()},
            "ecosystems": {e: [str(a) for a in ids] for e, ids in found.ecosystems.items()},
            "intermediary_actor_ids": [str(a) for a in found.intermediaries],
            "no_sector_data_actor_ids": [str(a) for a in found.no_data],
        },
    )
