"""How one beneficiary is matched against known actors: the pure rule."""

from __future__ import annotations

import uuid

from synergia_registry.beneficiaries.rules import (
    Conflict,
    Create,
    Item,
    Known,
    KnownActor,
    Matched,
    OutsideRegion,
    PossibleDuplicate,
    Sender,
    decide,
)
from synergia_shared.reference.identifiers import BusinessId

AUTHORITY = Sender("authority:BG41", "BG41")
ADMIN = Sender("admin-1", None)
EIK = BusinessId("BG-EIK", "175074752")


def item(**fields: object) -> Item:
    defaults: dict[str, object] = {
        "external_id": "X-1",
        "legal_name": "Struma Foods",
        "country": "BG",
        "nuts_code": "BG413",
        "pic": None,
        "vat_number": None,
        "national_id": None,
        "name_key": "struma foods",
    }
    return Item(**{**defaults, **fields})  # type: ignore[arg-type]


def actor(**fields: object) -> KnownActor:
    defaults: dict[str, object] = {
        "id": uuid.uuid4(),
        "legal_name": "Struma Foods EOOD",
        "country": "BG",
        "nuts_code": "BG413",
        "pic": None,
        "vat_number": None,
        "national_id": None,
        "name_key": "struma foods",
    }
    return KnownActor(**{**defaults, **fields})  # type: ignore[arg-type]


def known(*actors: KnownActor, external: dict[str, uuid.UUID] | None = None) -> Known:
    index = Known(external=dict(external or {}))
    for one in actors:
        index.add(one)
    return index


def test_a_vat_number_finds_the_actor_holding_the_identifier_it_is_made_of() -> None:
    holder = actor(national_id=EIK)
    decision = decide(item(vat_number="BG175074752"), known(holder), AUTHORITY)
    assert decision == Matched(holder.id, ["vat_number"], replayed=False)


def test_every_identifier_that_found_the_actor_is_named_in_order() -> None:
    holder = actor(pic="999912345", vat_number="BG175074752")
    found = decide(item(national_id=EIK, pic="999912345"), known(holder), AUTHORITY)
    assert found == Matched(holder.id, ["pic", "national_id"], replayed=False)


def test_identifiers_of_two_actors_are_a_conflict_not_a_choice() -> None:
    one, two = actor(pic="999912345"), actor(national_id=EIK)
    decision = decide(item(pic="999912345", national_id=EIK), known(one, two), AUTHORITY)
    assert isinstance(decision, Conflict)
    assert f"PIC 999912345 is actor {one.id}" in decision.detail
    assert f"BG-EIK 175074752 is actor {two.id}" in decision.detail


def test_a_resent_external_id_is_its_actor_unless_its_identifiers_name_another() -> None:
    mine, other = actor(), actor(pic="999912345")
    index = known(mine, other, external={"X-1": mine.id})
    assert decide(item(), index, AUTHORITY) == Matched(mine.id, ["external_id"], replayed=True)
    clash = decide(item(pic="999912345"), index, AUTHORITY)
    assert isinstance(clash, Conflict)
    assert f"registered as actor {mine.id}" in clash.detail


def test_creating_needs_a_region_inside_the_authority_s() -> None:
    assert decide(item(nuts_code="BG341"), known(), AUTHORITY) == OutsideRegion(
        "region BG341 is outside BG41, where authority:BG41 registers organisations; "
        "nothing was registered for this item",
        403,
    )
    missing = decide(item(nuts_code=None), known(), AUTHORITY)
    assert isinstance(missing, OutsideRegion)
    assert missing.status == 422
    assert decide(item(nuts_code=None, name_key="new"), known(), ADMIN) == Create()


def test_a_match_outside_the_region_is_still_a_match() -> None:
    holder = actor(pic="999912345", nuts_code="BG341")
    decision = decide(item(pic="999912345", nuts_code="BG341"), known(holder), AUTHORITY)
    assert decision == Matched(holder.id, ["pic"], replayed=False)


def test_a_same_name_is_a_possible_duplicate_unless_confirmed_or_clearly_another() -> None:
    same = actor()
    assert decide(item(), known(same), AUTHORITY) == PossibleDuplicate([same])
    assert decide(item(allow_similar_name=True), known(same), AUTHORITY) == Create()
    other_pic = actor(pic="999900001")
    assert decide(item(pic="999900002"), known(other_pic), AUTHORITY) == Create()
    elsewhere = actor(country="RO")
    assert decide(item(), known(elsewhere), AUTHORITY) == Create()


def test_a_deactivated_actor_is_matched_by_identifier_but_not_named_as_a_duplicate() -> None:
    gone = actor(pic="999912345", active=False)
    assert decide(item(pic="999912345"), known(gone), AUTHORITY) == Matched(
        gone.id, ["pic"], replayed=False
    )
    assert decide(item(), known(actor(active=False)), AUTHORITY) == Create()
