"""Who sends: the regional authority, whichever official or key (pure)."""

from __future__ import annotations

import uuid

from synergia_funding.authority.rehoming import rehoming_plan, swap_ids
from synergia_funding.authority.senders import api_key_sender
from synergia_shared.http.auth import authority_sender


def test_an_authority_is_one_sender_named_by_its_region() -> None:
    assert authority_sender("ITC4") == authority_sender(" itc4 ") == "authority:ITC4"
    assert authority_sender("ITC") != authority_sender("ITC4")  # a wider region: another
    assert api_key_sender("ops") == "api-key:ops"


def test_only_authority_keys_bound_to_a_region_are_re_homed() -> None:
    keys = [
        {"name": "lombardia", "roles": ["authority"], "region": "ITC4"},
        {"name": "bavaria", "region": "de2"},  # roles default to authority
        {"name": "ops", "roles": ["admin"]},  # writes as itself
        {"name": "lost", "roles": ["authority"]},  # no region: may not write at all
        {"name": "reader", "roles": ["viewer"], "region": "FR1"},
    ]
    assert rehoming_plan(keys) == {
        "api-key:lombardia": "authority:ITC4",
        "api-key:bavaria": "authority:DE2",
    }


def test_ids_are_swapped_wherever_text_names_them() -> None:
    old, new, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    text = f'{{"entry_ids": ["{old}", "{other}"], "message": "entry {old} is reversed"}}'
    assert swap_ids(text, {old: new}) == text.replace(str(old), str(new))
    assert str(other) in swap_ids(text, {old: new})
