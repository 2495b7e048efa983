"""Register many actors with their profiles at once: what ``POST /v1/actors`` does for
one, in a few statements for the whole batch.

The outcome is :func:`service.register`'s for each actor, as if they were registered one
after the other in the batch's order, except that the batch is one change: every item is
checked first (each on its own, then against the registry and the other items: owners
that exist, identifiers no one else holds), and one invalid item refuses the whole batch
with a problem naming each wrong item and field, nothing written. Then the actors, each
kind of child row and the ``registered`` events are written with one COPY each; the SME
categories of the actors with accounts or owners are assessed with their ownership
groups together, and an actor outside the batch whose category moved because of it gets
a new version and an ``updated`` event, as after a single registration.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.http.problems import validation_problem
from synergia_shared.messaging.outbox import add_events
from synergia_shared.validity import utc_today

from synergia_registry.actors import repository, service, views
from synergia_registry.actors.models import (
    actor_financials,
    actor_offers,
    actor_owners,
    contact_persons,
)
from synergia_registry.actors.rules import (
    InvalidProfile,
    normalise_profile,
    past_validity_errors,
)
from synergia_registry.actors.schemas import ActorCreate, CreatedActor, ProfileFields
from synergia_registry.actors.sme_refresh import refresh_sme_many

_CHILDREN = (
    ("offers", actor_offers),
    ("financials", actor_financials),
    ("owners", actor_owners),
    ("contacts", contact_persons),
)
_NO_SME: dict[str, Any] = {"sme_category": None, "sme_assessment": None}
_Key = TypeVar("_Key", str, tuple[str, str])


def _item_error(index: int, loc: Sequence[str | int], msg: str) -> dict[str, Any]:
    return {"loc": ["body", "items", index, *loc], "msg": msg}


def _held_elsewhere(
    index: int,
    field: str,
    label: str,
    key: _Key,
    holders: Mapping[_Key, uuid.UUID],
    first_item: dict[_Key, int],
) -> list[dict[str, Any]]:
    """An identifier is held by one actor only: not by a registered actor (``holders``),
    nor by an earlier item of the batch (``first_item``, which this item joins)."""
    errors: list[dict[str, Any]] = []
    if key in holders:
        errors.append(_item_error(index, (field,), f"{label} is already actor {holders[key]}"))
    elif key in first_item:
        errors.append(_item_error(index, (field,), f"{label} is also item {first_item[key]}'s"))
    first_item.setdefault(key, index)
    return errors


def batch_conflicts(
    profiles: Sequence[ProfileFields],
    *,
    registered_owners: Collection[uuid.UUID],
    in_batch: Collection[uuid.UUID],
    pic_holders: Mapping[str, uuid.UUID],
    national_id_holders: Mapping[tuple[str, str], uuid.UUID],
) -> list[dict[str, Any]]:
    """What the items break against the registry and each other, item by item: an owner
    that is neither registered nor in the batch, a PIC or national identifier that a
    registered actor or an earlier item already holds."""
    errors: list[dict[str, Any]] = []
    first_pic: dict[str, int] = {}
    first_national: dict[tuple[str, str], int] = {}
    for index, profile in enumerate(profiles):
        errors.extend(
            _item_error(
                index,
                ("owners", n, "owner_actor_id"),
                f"no actor {owner.owner_actor_id} is registered",
            )
            for n, owner in enumerate(profile.owners)
            if owner.owner_actor_id not in registered_owners
            and owner.owner_actor_id not in in_batch
        )
        if profile.pic is not None:
            errors += _held_elsewhere(
                index, "pic", f"PIC {profile.pic}", profile.pic, pic_holders, first_pic
            )
        if profile.national_id is not None:
            errors += _held_elsewhere(
                index,
                "national_id",
                f"{profile.national_id_scheme} {profile.national_id}",
                (profile.national_id_scheme or "", profile.national_id),
                national_id_holders,
                first_national,
            )
    return errors


def _each_alone(
    commands: Sequence[ActorCreate], ids: Sequence[uuid.UUID]
) -> tuple[list[ProfileFields], list[dict[str, Any]]]:
    """Each item normalised on its own (:func:`normalise_profile`; an invalid one stays
    as sent, so that the batch checks can still name its other faults), and its errors."""
    errors: list[dict[str, Any]] = []
    profiles: list[ProfileFields] = []
    today = utc_today()
    for index, (command, actor_id) in enumerate(zip(commands, ids, strict=True)):
        try:
            profiles.append(normalise_profile(command, actor_id))
        except InvalidProfile as exc:
            errors += [_item_error(index, e.loc, e.msg) for e in exc.errors]
            profiles.append(command)
        # As a single registration: nothing is created expired.
        errors += [_item_error(index, e.loc, e.msg) for e in past_validity_errors(command, today)]
    return profiles, errors


async def _checked(
    session: AsyncSession, commands: Sequence[ActorCreate], ids: Sequence[uuid.UUID]
) -> list[ProfileFields]:
    """The normalised profiles, or a 422 naming every wrong item and field: each alone
    (:func:`normalise_profile`), then what needs the registry or the other items, with
    a statement per kind of check for the whole batch."""
    profiles, errors = _each_alone(commands, ids)
    in_batch = set(ids)
    owners = {o.owner_actor_id for p in profiles for o in p.owners} - in_batch
    known = await repository.existing_ids(session, owners)
    pics = await repository.pic_holders(session, [p.pic for p in profiles if p.pic])
    national = await repository.national_id_holders(
        session,
        [(p.national_id_scheme or "", p.national_id) for p in profiles if p.national_id],
    )
    errors += batch_conflicts(
        profiles,
        registered_owners=known,
        in_batch=in_batch,
        pic_holders=pics,
        national_id_holders=national,
    )
    if errors:
        raise validation_problem(errors)
    return profiles


async def register_batch(
    session: AsyncSession, commands: Sequence[ActorCreate]
) -> list[CreatedActor]:
    """Register the actors of ``commands`` in the caller's transaction (see the module)."""
    ids = [uuid.uuid4() for _ in commands]
    profiles = await _checked(session, commands, ids)
    registered_at = await repository.transaction_time(session)
    rows: list[dict[str, Any]] = []
    children: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in _CHILDREN}
    assessed: set[uuid.UUID] = set()
    for actor_id, profile in zip(ids, profiles, strict=True):
        lone = not profile.owners and not profile.financials
        rows.append(
            {
                "id": actor_id,
                **service._columns(profile),
                **(service._lone_sme(profile) if lone else _NO_SME),
                "created_at": registered_at,
                "updated_at": registered_at,
            }
        )
        if not lone:
            assessed.add(actor_id)
        for name, items in service._child_rows(profile).items():
            children[name] += [{**item, "actor_id": actor_id} for item in items]
    await repository.copy_actors(session, rows)
    for name, table in _CHILDREN:
        await repository.copy_children(session, table, children[name])
    changed = await refresh_sme_many(session, assessed, registering=set(ids)) if assessed else set()
    others = sorted(changed)
    found = await repository.get_full_many(
        session, [*ids, *others], views.OFFER_VALUES, views.NEED_VALUES
    )
    shown = {
        actor_id: views.to_view(row._mapping, show_contacts=True) for actor_id, row in found.items()
    }
    await add_events(
        session,
        [service._event(shown[i], registered=True) for i in ids]
        + [service._event(shown[i], registered=False) for i in others],
    )
    return [
        CreatedActor(index=index, id=actor_id, version=shown[actor_id].version)
        for index, actor_id in enumerate(ids)
    ]
