"""A batch of new actors checked against the registry and its own items: owners that
exist, identifiers held by one actor only."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from synergia_registry.actors.bulk import batch_conflicts
from synergia_registry.actors.schemas import Owner, ProfileFields
from synergia_shared.events.registry import ActorKind


def uid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def profile(**fields: Any) -> ProfileFields:
    return ProfileFields(
        legal_name="Olympic Agri-Food Cluster", kind=ActorKind.SME, country="EL", **fields
    )


def conflicts(
    profiles: list[ProfileFields],
    *,
    registered: set[uuid.UUID] | None = None,
    in_batch: set[uuid.UUID] | None = None,
    pics: dict[str, uuid.UUID] | None = None,
    national: dict[tuple[str, str], uuid.UUID] | None = None,
) -> list[dict[str, Any]]:
    return batch_conflicts(
        profiles,
        registered_owners=registered or set(),
        in_batch=in_batch or set(),
        pic_holders=pics or {},
        national_id_holders=national or {},
    )


def test_a_batch_of_distinct_identifiers_and_known_owners_has_no_conflict() -> None:
    owned = [Owner(owner_actor_id=uid(1), share_percent=Decimal(60))]
    by_batch = [Owner(owner_actor_id=uid(2), share_percent=Decimal(60))]
    profiles = [
        profile(pic="999912340", owners=owned),
        profile(pic="999912341", owners=by_batch),
        profile(national_id_scheme="DE:HRB", national_id="12345"),
    ]
    assert conflicts(profiles, registered={uid(1)}, in_batch={uid(2)}) == []


def test_an_owner_neither_registered_nor_in_the_batch_is_named() -> None:
    owners = [
        Owner(owner_actor_id=uid(1), share_percent=Decimal(30)),
        Owner(owner_actor_id=uid(9), share_percent=Decimal(30)),
    ]
    assert conflicts([profile(owners=owners)], registered={uid(1)}) == [
        {
            "loc": ["body", "items", 0, "owners", 1, "owner_actor_id"],
            "msg": f"no actor {uid(9)} is registered",
        }
    ]


def test_a_pic_held_by_a_registered_actor_or_an_earlier_item_is_named() -> None:
    profiles = [profile(pic="999912340"), profile(pic="999912340"), profile(pic="999912341")]
    found = conflicts(profiles, pics={"999912341": uid(7)})
    assert found == [
        {"loc": ["body", "items", 1, "pic"], "msg": "PIC 999912340 is also item 0's"},
        {"loc": ["body", "items", 2, "pic"], "msg": f"PIC 999912341 is already actor {uid(7)}"},
    ]


def test_a_registered_holder_is_named_before_an_earlier_item() -> None:
    profiles = [profile(pic="999912340"), profile(pic="999912340")]
    found = conflicts(profiles, pics={"999912340": uid(7)})
    assert [error["msg"] for error in found] == [
        f"PIC 999912340 is already actor {uid(7)}",
        f"PIC 999912340 is already actor {uid(7)}",
    ]


def test_a_national_identifier_is_held_once_per_scheme() -> None:
    profiles = [
        profile(national_id_scheme="DE:HRB", national_id="12345"),
        profile(national_id_scheme="DE:HRB", national_id="12345"),
        profile(national_id_scheme="DE:HRA", national_id="12345"),
        profile(national_id_scheme="DE:HRA", national_id="777"),
    ]
    found = conflicts(profiles, national={("DE:HRA", "777"): uid(5)})
    assert found == [
        {"loc": ["body", "items", 1, "national_id"], "msg": "DE:HRB 12345 is also item 0's"},
        {
            "loc": ["body", "items", 3, "national_id"],
            "msg": f"DE:HRA 777 is already actor {uid(5)}",
        },
    ]
