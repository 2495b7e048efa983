"""How a beneficiary is matched against the actors the registry knows: pure, no I/O.

The order, for each item of a batch (items earlier in the batch count as known):

1. The sender's external id: sent before, it names its actor again (``matched``,
   ``replayed``).
2. Identifiers: PIC, VAT number, national business identifier. A VAT number and a
   national identifier that imply each other (``BG`` + EIK, ``RO`` + CUI…) count as one
   organisation's. One actor found: ``matched``, naming what found it. Two actors found,
   or an external id whose actor is not the one its identifiers find: refused (409),
   since registering or picking one would hide the contradiction.
3. Creating: only in the sender's region (an authority's NUTS prefix).
4. Names: an active actor of the same country with the same name key
   (:mod:`synergia_registry.actors.names`) makes the item a ``possible_duplicate``,
   unless the sender confirmed with ``allow_similar_name``, or an identifier of the same
   kind differs (two PICs, two VAT numbers, two numbers of one scheme: two
   organisations).
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from synergia_shared.reference.identifiers import BusinessId, business_id_of_vat, vat_of

from synergia_registry.beneficiaries.schemas import MatchedBy

Key = tuple[str, ...]  # ("pic", v), ("vat", v), ("nid", scheme, v)


@dataclass(frozen=True)
class Sender:
    """Who registers: ``name`` is whose external ids they are; ``region`` the NUTS prefix
    it registers organisations in (``None``: anywhere, an administrator)."""

    name: str
    region: str | None

    def may_register(self, nuts_code: str) -> bool:
        return self.region is None or nuts_code.startswith(self.region)


@dataclass(frozen=True)
class KnownActor:
    """What matching needs of an actor."""

    id: uuid.UUID
    legal_name: str
    country: str
    nuts_code: str | None
    pic: str | None
    vat_number: str | None
    national_id: BusinessId | None
    name_key: str
    active: bool = True

    def identifier_keys(self) -> list[Key]:
        keys: list[Key] = []
        if self.pic:
            keys.append(("pic", self.pic))
        if self.vat_number:
            keys.append(("vat", self.vat_number))
        if self.national_id:
            keys.append(("nid", self.national_id.scheme, self.national_id.value))
        return keys

    def differs_from(self, item: Item) -> bool:
        """An identifier of the same kind on both sides, with different values."""
        return (
            bool(self.pic and item.pic and self.pic != item.pic)
            or bool(self.vat_number and item.vat_number and self.vat_number != item.vat_number)
            or bool(
                self.national_id
                and item.national_id
                and self.national_id.scheme == item.national_id.scheme
                and self.national_id.value != item.national_id.value
            )
        )


@dataclass(frozen=True)
class Item:
    """A beneficiary in its normalised form (stored country, compact identifiers)."""

    external_id: str
    legal_name: str
    country: str
    nuts_code: str | None
    pic: str | None
    vat_number: str | None
    national_id: BusinessId | None
    name_key: str
    allow_similar_name: bool = False

    @functools.cached_property
    def identifiers(self) -> list[tuple[MatchedBy, Key]]:
        """Each identifier, with the one it implies, under the name the sender gave it."""
        found: list[tuple[MatchedBy, Key]] = []
        if self.pic:
            found.append(("pic", ("pic", self.pic)))
        if self.vat_number:
            found.append(("vat_number", ("vat", self.vat_number)))
            implied = business_id_of_vat(self.vat_number, self.country)
            if implied is not None:
                found.append(("vat_number", ("nid", implied.scheme, implied.value)))
        if self.national_id:
            found.append(("national_id", ("nid", self.national_id.scheme, self.national_id.value)))
            vat = vat_of(self.national_id)
            if vat is not None:
                found.append(("national_id", ("vat", vat)))
        return found

    def as_actor(self, actor_id: uuid.UUID) -> KnownActor:
        return KnownActor(
            actor_id,
            self.legal_name,
            self.country,
            self.nuts_code,
            self.pic,
            self.vat_number,
            self.national_id,
            self.name_key,
        )


def lookup_keys(items: Iterable[Item]) -> tuple[set[str], set[str], set[tuple[str, str]]]:
    """The PICs, VAT numbers and national identifiers to look up for ``items``."""
    pics: set[str] = set()
    vats: set[str] = set()
    nids: set[tuple[str, str]] = set()
    for item in items:
        for _, key in item.identifiers:
            if key[0] == "pic":
                pics.add(key[1])
            elif key[0] == "vat":
                vats.add(key[1])
            else:
                nids.add((key[1], key[2]))
    return pics, vats, nids


@dataclass
class Known:
    """The actors a batch can match, growing as its items register new ones."""

    external: dict[str, uuid.UUID] = field(default_factory=dict)
    actors: dict[uuid.UUID, KnownActor] = field(default_factory=dict)
    by_key: defaultdict[Key, set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))
    by_name: defaultdict[tuple[str, str], list[uuid.UUID]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, actor: KnownActor) -> None:
        if actor.id in self.actors:
            return
        self.actors[actor.id] = actor
        for key in actor.identifier_keys():
            self.by_key[key].add(actor.id)
        if actor.name_key and actor.active:
            self.by_name[(actor.country, actor.name_key)].append(actor.id)


@dataclass(frozen=True)
class Matched:
    actor_id: uuid.UUID
    matched_by: list[MatchedBy]
    replayed: bool


@dataclass(frozen=True)
class Conflict:
    detail: str


@dataclass(frozen=True)
class PossibleDuplicate:
    candidates: list[KnownActor]


@dataclass(frozen=True)
class OutsideRegion:
    detail: str
    status: int  # 403 outside the region, 422 no region given


@dataclass(frozen=True)
class Create:
    pass


Decision = Matched | Conflict | PossibleDuplicate | OutsideRegion | Create

_ORDER: tuple[MatchedBy, ...] = ("external_id", "pic", "vat_number", "national_id")


def _describe(key: Key) -> str:
    if key[0] == "pic":
        return f"PIC {key[1]}"
    if key[0] == "vat":
        return f"VAT number {key[1]}"
    return f"{key[1]} {key[2]}"


def decide(item: Item, known: Known, sender: Sender) -> Decision:
    """What to do with ``item`` given what is ``known`` (see the module's docstring)."""
    by_external = known.external.get(item.external_id)
    found: dict[uuid.UUID, set[MatchedBy]] = defaultdict(set)
    why: dict[uuid.UUID, Key] = {}
    for label, key in item.identifiers:
        for actor_id in known.by_key.get(key, ()):
            found[actor_id].add(label)
            why.setdefault(actor_id, key)
    if by_external is not None:
        others = sorted(set(found) - {by_external})
        if others:
            return Conflict(
                f"external id {item.external_id} was registered as actor {by_external}, but "
                f"{_describe(why[others[0]])} is actor {others[0]}; nothing was changed"
            )
        labels = {"external_id", *found.get(by_external, set())}
        return Matched(by_external, [m for m in _ORDER if m in labels], replayed=True)
    if len(found) > 1:
        first, second = sorted(found)[:2]
        return Conflict(
            f"{_describe(why[first])} is actor {first} but {_describe(why[second])} is actor "
            f"{second}; correct the item or merge the actors"
        )
    if found:
        ((actor_id, labels),) = found.items()
        return Matched(actor_id, [m for m in _ORDER if m in labels], replayed=False)
    if sender.region is not None:
        if item.nuts_code is None:
            return OutsideRegion(
                f"nuts_code is needed to register an organisation: {sender.name} registers "
                f"organisations located in {sender.region}",
                422,
            )
        if not sender.may_register(item.nuts_code):
            return OutsideRegion(
                f"region {item.nuts_code} is outside {sender.region}, where {sender.name} "
                "registers organisations; nothing was registered for this item",
                403,
            )
    if item.allow_similar_name or not item.name_key:
        return Create()
    candidates = [
        known.actors[actor_id]
        for actor_id in known.by_name.get((item.country, item.name_key), ())
        if not known.actors[actor_id].differs_from(item)
    ]
    return PossibleDuplicate(candidates) if candidates else Create()
