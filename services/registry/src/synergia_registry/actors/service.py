"""Actor use cases: load, apply the rules, save, and add events to the outbox."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.registry import (
    ActorDeactivatedV1,
    ActorKind,
    ActorPersonalDataErasedV1,
    ActorRegisteredV1,
    ActorUpdatedV1,
    ExpiredOfferNeedV1,
    OfferNeedV1,
    OwnerV1,
)
from synergia_shared.http.preconditions import check_version, etag_for
from synergia_shared.http.problems import ProblemException, validation_problem
from synergia_shared.messaging.outbox import (
    EventOf,
    OutboxRecord,
    OutboxRecords,
    PendingEvent,
    add_event,
    add_events,
    copy_outbox,
)
from synergia_shared.validity import is_expired, utc_today

from synergia_registry.actors import repository
from synergia_registry.actors.names import name_key
from synergia_registry.actors.rules import (
    IdentityFields,
    InvalidProfile,
    normalise_country,
    normalise_identity,
    normalise_profile,
    past_validity_errors,
    search_text,
)
from synergia_registry.actors.schemas import (
    Actor,
    ActorCreate,
    ActorPatch,
    OfferNeed,
    OfferNeedIn,
    ProfileFields,
)
from synergia_registry.actors.sme import SmeCategory, assess
from synergia_registry.actors.sme_refresh import assessment_json, refresh_sme
from synergia_registry.actors.views import load, not_found, to_view

AGGREGATE = "actor"


# --- views -----------------------------------------------------------------------------


def profile_of(view: Actor) -> ProfileFields:
    """The settable part of an actor, to apply a partial update onto."""
    data = view.model_dump(include=set(ProfileFields.model_fields) - {"contacts"})
    data["offers"] = [o.model_dump(exclude={"id", "expired"}) for o in view.offers]
    data["needs"] = [n.model_dump(exclude={"id", "expired"}) for n in view.needs]
    data["nuts_version"] = view.nuts_version or "2024"
    data["nace_revision"] = view.nace_revision or "2.1"
    data["contacts"] = [c.model_dump(exclude={"id"}) for c in view.contacts or []]
    return ProfileFields.model_validate(data)


# --- events ----------------------------------------------------------------------------


def _snapshot(view: Actor) -> dict[str, Any]:
    return {
        "actor_id": view.id,
        "legal_name": view.legal_name,
        "short_name": view.short_name,
        "kind": view.kind,
        "country": view.country,
        "registered_at": view.created_at,
        "country_standing": view.country_standing.value,
        "pic": view.pic,
        "national_id_scheme": view.national_id_scheme,
        "national_id": view.national_id,
        "website": view.website,
        "description": view.description,
        "nuts_code": view.nuts_code,
        "nuts_version": view.nuts_version,
        "nace_codes": view.nace_codes,
        "nace_revision": view.nace_revision,
        "ecosystems": [e.value for e in view.ecosystems],
        "competences": [c.value for c in view.competences],
        "keywords": view.keywords,
        "language": view.language,
        "offers": [_offer_event(o) for o in view.offers],
        "needs": [_offer_event(n) for n in view.needs],
        "owners": [
            OwnerV1(
                owner_actor_id=o.owner_actor_id, share_percent=o.share_percent, controls=o.controls
            )
            for o in view.owners
        ],
        "sme_category": view.sme.computed.value if view.sme.computed else None,
        "sme_declared": view.sme_declared.value if view.sme_declared else None,
        "active": view.active,
        # Contacts never travel (personal data stays out of the event log): consumers
        # fetch the shared ones from GET /v1/actors/{id}/shared-contacts.
        "shared_contacts_count": sum(1 for c in view.contacts or [] if c.share_with_partners),
        "version": view.version,
    }


def _offer_event(item: OfferNeed) -> OfferNeedV1:
    return OfferNeedV1(
        id=item.id,
        type=item.type.value,
        title=item.title,
        description=item.description,
        competences=[c.value for c in item.competences],
        keywords=item.keywords,
        valid_until=item.valid_until,
    )


def _event(view: Actor, *, registered: bool) -> PendingEvent:
    data = (
        ActorRegisteredV1(**_snapshot(view))
        if registered
        else ActorUpdatedV1(**_snapshot(view), updated_at=view.updated_at)
    )
    return PendingEvent(data, AGGREGATE, str(view.id), view.version)


# --- use cases -------------------------------------------------------------------------


async def _view(session: AsyncSession, actor_id: uuid.UUID) -> Actor:
    row = await load(session, actor_id)
    assert row is not None
    return to_view(row._mapping, show_contacts=True)


async def _checked(
    session: AsyncSession,
    profile: ProfileFields,
    actor_id: uuid.UUID,
    stored: Collection[OfferNeedIn] = (),
) -> ProfileFields:
    """The normalised profile, after the checks that need the database and the date (an
    offer or need must not be created expired; ``stored`` ones may keep their date)."""
    try:
        profile = normalise_profile(profile, actor_id)
    except InvalidProfile as exc:
        raise validation_problem([e.as_problem_error() for e in exc.errors]) from None
    errors: list[dict[str, Any]] = [
        e.as_problem_error() for e in past_validity_errors(profile, utc_today(), stored)
    ]
    known = await repository.existing_ids(session, [o.owner_actor_id for o in profile.owners])
    for index, owner in enumerate(profile.owners):
        if owner.owner_actor_id not in known and owner.owner_actor_id != actor_id:
            errors.append(
                {
                    "loc": ["body", "owners", index, "owner_actor_id"],
                    "msg": f"no actor {owner.owner_actor_id} is registered",
                }
            )
    if profile.pic is not None:
        holder = await repository.pic_owner(session, profile.pic)
        if holder is not None and holder != actor_id:
            errors.append(
                {"loc": ["body", "pic"], "msg": f"PIC {profile.pic} is already actor {holder}"}
            )
    if profile.national_id is not None:
        holder = await repository.national_id_holder(
            session, profile.national_id_scheme or "", profile.national_id
        )
        if holder is not None and holder != actor_id:
            errors.append(
                {
                    "loc": ["body", "national_id"],
                    "msg": f"{profile.national_id_scheme} {profile.national_id} is already "
                    f"actor {holder}",
                }
            )
    if errors:
        raise validation_problem(errors)
    return profile


def _columns(profile: ProfileFields) -> dict[str, Any]:
    return {
        "legal_name": profile.legal_name,
        "short_name": profile.short_name,
        "kind": profile.kind.value,
        "country": profile.country,
        "pic": profile.pic,
        "vat_number": profile.vat_number,
        "national_id_scheme": profile.national_id_scheme if profile.national_id else None,
        "national_id": profile.national_id,
        "website": profile.website,
        "description": profile.description,
        "nuts_code": profile.nuts_code,
        "nuts_version": profile.nuts_version if profile.nuts_code else None,
        "nace_codes": profile.nace_codes,
        "nace_revision": profile.nace_revision if profile.nace_codes else None,
        "ecosystems": [e.value for e in profile.ecosystems],
        "competences": [c.value for c in profile.competences],
        "keywords": profile.keywords,
        "language": profile.language,
        "sme_declared": profile.sme_declared.value if profile.sme_declared else None,
        "search_text": search_text(profile),
        "name_key": name_key(profile.legal_name),
    }


def _child_rows(profile: ProfileFields) -> dict[str, list[dict[str, Any]]]:
    offers = [
        {"id": uuid.uuid4(), "position": position, **item.model_dump(), "type": item.type.value}
        for position, item in enumerate([*profile.offers, *profile.needs])
    ]
    for row in offers:
        row["competences"] = [str(c) for c in row["competences"]]
    return {
        "offers": offers,
        "financials": [f.model_dump() for f in profile.financials],
        "owners": [
            {
                "owner_actor_id": o.owner_actor_id,
                "share_percent": o.share_percent,
                "controls": o.controls,
                "owner_exempt_investor": o.exempt_investor,
            }
            for o in profile.owners
        ],
        "contacts": [
            {"id": uuid.uuid4(), "position": position, **c.model_dump()}
            for position, c in enumerate(profile.contacts)
        ],
    }


async def _save_children(
    session: AsyncSession, actor_id: uuid.UUID, profile: ProfileFields, *, contacts: bool
) -> None:
    rows = _child_rows(profile)
    await repository.replace_children(
        session,
        actor_id,
        offers=rows["offers"],
        financials=rows["financials"],
        owners=rows["owners"],
        contacts=rows["contacts"] if contacts else None,
    )


async def _announce_with_others(
    session: AsyncSession, view: Actor, changed: set[uuid.UUID], *, registered: bool
) -> None:
    """The actor's event, then one for each other actor whose SME category moved because
    of this change, in one outbox statement."""
    events = [_event(view, registered=registered)]
    for other in sorted(changed - {view.id}):
        events.append(_event(await _view(session, other), registered=False))
    await add_events(session, events)


def _lone_sme(profile: ProfileFields) -> dict[str, Any]:
    """What :func:`refresh_sme` stores for an actor with no accounts and no owners (and
    that no one owns, as no one can own an actor not yet registered)."""
    return _lone_sme_of(_declared(profile.sme_declared))


def _declared(value: str | None) -> SmeCategory | None:
    return SmeCategory(value) if value else None


@functools.cache
def _lone_sme_of(declared: SmeCategory | None) -> dict[str, Any]:
    # Without figures or relations the assessment depends on the declaration alone (the
    # actor's id only names it inside the computation): one per category, not per actor.
    assessment = assess(uuid.UUID(int=0), {}, [], declared)
    return {
        "sme_category": assessment.category.value if assessment.category else None,
        "sme_assessment": assessment_json(assessment),
    }


NO_CHILDREN: dict[str, Any] = {
    "offers": [],
    "needs": [],
    "financials": [],
    "owners": [],
    "contacts": [],
    "cluster_ids": [],
}


async def register(session: AsyncSession, command: ActorCreate) -> Actor:
    """Register an actor and, in the same transaction, announce it.

    A new actor has no child rows to replace and belongs to no cluster. Without owners
    or accounts its SME assessment needs no one else's data and is written with the
    row; without any child rows the view is the inserted row itself. So the common
    create is two statements (the actor, the event); the others also write their child
    rows, follow the ownership group, and read the actor back.
    """
    actor_id = uuid.uuid4()
    profile = await _checked(session, command, actor_id)
    columns = {"id": actor_id, **_columns(profile)}
    lone = not profile.owners and not profile.financials
    if lone:
        columns |= _lone_sme(profile)
    row = await repository.insert_actor(session, columns)
    children = _child_rows(profile)
    changed: set[uuid.UUID] = set()
    if any(children.values()):
        await repository.insert_children(session, actor_id, **children)
        if not lone:
            changed = await refresh_sme(session, actor_id)
        view = await _view(session, actor_id)
    else:
        view = to_view({**row._mapping, **NO_CHILDREN}, show_contacts=True)
    await _announce_with_others(session, view, changed, registered=True)
    return view


async def update(
    session: AsyncSession, actor_id: uuid.UUID, patch: ActorPatch, if_match: str | None
) -> Actor:
    """Apply a partial update to the version the client read, or refuse it."""
    row = await load(session, actor_id, for_update=True)
    if row is None:
        raise not_found(actor_id)
    check_version(if_match, row.version, f"actor {actor_id}")
    if not row.active:
        raise ProblemException(
            409, "actor-inactive", "Actor inactive", f"actor {actor_id} is deactivated"
        )
    current = profile_of(to_view(row._mapping, show_contacts=True))
    changes = patch.model_dump(exclude_unset=True)
    try:
        merged = ProfileFields.model_validate({**current.model_dump(), **changes})
    except ValueError as exc:  # a field set to null that cannot be null, say
        raise validation_problem([{"loc": ["body"], "msg": str(exc)}]) from None
    profile = await _checked(session, merged, actor_id, [*current.offers, *current.needs])
    await repository.update_actor(session, actor_id, _columns(profile))
    await _save_children(session, actor_id, profile, contacts="contacts" in changes)
    changed = await refresh_sme(session, actor_id)
    view = await _view(session, actor_id)
    await _announce_with_others(session, view, changed, registered=False)
    return view


def newly_expired(view: Actor, since: date | None, today: date) -> list[ExpiredOfferNeedV1]:
    """The actor's offers and needs expired on ``today`` whose last day was not before
    ``since`` (the day through which expiry was announced already)."""
    return [
        ExpiredOfferNeedV1(id=item.id, kind=kind, title=item.title, valid_until=item.valid_until)
        for kind, items in (("offer", view.offers), ("need", view.needs))
        for item in items
        if item.valid_until is not None
        and is_expired(item.valid_until, today)
        and (since is None or item.valid_until >= since)
    ]


async def announce_expiry(session: AsyncSession, due: Sequence[Row[Any]], today: date) -> int:
    """Announce, for each actor of ``due`` (locked by :func:`repository.claim_expiring`),
    the offers and needs expired since it was last announced: a new version and an
    ``actor.updated.v1`` listing them in ``expired``, with the whole profile as always,
    so every projection applies it like any update. How many actors were announced."""
    events = []
    for row in due:
        await repository.update_actor(session, row.id, {"expiry_announced_before": today})
        view = await _view(session, row.id)
        data = ActorUpdatedV1(
            **_snapshot(view),
            updated_at=view.updated_at,
            expired=newly_expired(view, row.expiry_announced_before, today),
        )
        events.append(PendingEvent(data, AGGREGATE, str(view.id), view.version))
    await add_events(session, events)
    return len(events)


async def deactivate(
    session: AsyncSession, actor_id: uuid.UUID, reason: str | None, if_match: str | None
) -> Actor:
    row = await load(session, actor_id, for_update=True)
    if row is None:
        raise not_found(actor_id)
    check_version(if_match, row.version, f"actor {actor_id}")
    if not row.active:
        return to_view(row._mapping, show_contacts=True)  # already done: a retry changes nothing
    now = datetime.now(UTC)
    updated = await repository.update_actor(
        session, actor_id, {"active": False, "deactivated_at": now, "deactivation_reason": reason}
    )
    await add_event(
        session,
        ActorDeactivatedV1(
            actor_id=actor_id, deactivated_at=now, reason=reason, version=updated.version
        ),
        aggregate_type=AGGREGATE,
        subject=str(actor_id),
        sequence=updated.version,
    )
    return await _view(session, actor_id)


async def erase_personal_data(
    session: AsyncSession, actor_id: uuid.UUID, *, email: str | None = None
) -> int:
    """Erase the actor's contact persons (only those with ``email``, for a data subject's
    request) and tell every service to do the same; how many were erased.

    In the same transaction, the stored answers of the actor's creates replayed for an
    Idempotency-Key lose the contacts they showed, so no copy is left here.
    """
    row = await load(session, actor_id, for_update=True)
    if row is None:
        raise not_found(actor_id)
    erased = await repository.delete_contacts(session, actor_id, email=email)
    if email is not None and erased == 0:
        return 0
    updated = await repository.update_actor(session, actor_id, {})
    await repository.redact_replays(session, f"/v1/actors/{actor_id}")
    await add_event(
        session,
        ActorPersonalDataErasedV1(
            actor_id=actor_id,
            erased_at=datetime.now(UTC),
            version=updated.version,
            shared_contacts_count=await repository.shared_contacts_count(session, actor_id),
        ),
        aggregate_type=AGGREGATE,
        subject=str(actor_id),
        sequence=updated.version,
    )
    return erased


async def erase_person(session: AsyncSession, email: str) -> list[tuple[uuid.UUID, int]]:
    """Erase every contact person with ``email``, whatever actor holds it (a data subject's
    request): per actor, its id and how many contacts went, each erasure announced."""
    erased = []
    for actor_id in await repository.actors_with_contact(session, email):
        erased.append((actor_id, await erase_personal_data(session, actor_id, email=email)))
    return erased


@dataclass(frozen=True)
class NewActor:
    """An actor for :func:`register_many`: its id and its row's columns, as
    :func:`lone_columns` or :func:`identity_columns` make them, plus any columns beyond
    the profile (a CORDIS link)."""

    id: uuid.UUID
    columns: Mapping[str, Any]


def lone_columns(profile: ProfileFields) -> dict[str, Any]:
    """The columns of an actor registered with ``profile`` (normalised and checked), which
    must have no child rows (owners, accounts, offers, needs, contacts)."""
    if any((profile.owners, profile.financials, profile.offers, profile.needs)) or (
        profile.contacts
    ):
        raise ValueError("register_many takes profiles without child rows")
    return _columns(profile)


# What a profile that sets nothing beyond names, kind, country, identifiers, website and
# region has in the other columns (ProfileFields' defaults, as _columns writes them).
_NOTHING_MORE: Mapping[str, Any] = {
    "description": "",
    "nace_codes": [],
    "nace_revision": None,
    "ecosystems": [],
    "competences": [],
    "keywords": [],
    "language": None,
    "sme_declared": None,
    "search_text": "",
}


def identity_columns(
    *,
    legal_name: str,
    short_name: str | None,
    kind: str,
    country: str,
    pic: str | None,
    vat_number: str | None,
    national_id_scheme: str | None,
    national_id: str | None,
    website: str | None,
    nuts_code: str | None,
    nuts_version: str,
    key: str,
) -> dict[str, Any]:
    """:func:`lone_columns` of a profile with only these fields, already in their stored
    form (:func:`normalise_identity`), and the name's key: without building the profile,
    which costs a bulk registration more than checking the item (a unit test holds the
    two equal)."""
    return {
        "legal_name": legal_name,
        "short_name": short_name,
        "kind": kind,
        "country": country,
        "pic": pic,
        "vat_number": vat_number,
        "national_id_scheme": national_id_scheme if national_id else None,
        "national_id": national_id,
        "website": website,
        "nuts_code": nuts_code,
        "nuts_version": nuts_version if nuts_code else None,
        **_NOTHING_MORE,
        "name_key": key,
    }


def registered_data(row: Mapping[str, Any]) -> dict[str, Any]:
    """The ``actor.registered`` event's data for a new actor without child rows, from the
    row :func:`register_many` writes: ``ActorRegisteredV1(**_snapshot(view))`` in JSON
    form (a unit test holds the two equal), without building the view and the event
    models, which cost a bulk registration more than the rest of it."""
    country = normalise_country(row["country"])
    return {
        "actor_id": row["id"],
        "legal_name": row["legal_name"],
        "short_name": row["short_name"],
        "kind": row["kind"],
        "country": country.code,
        "registered_at": row["created_at"],
        "country_standing": country.standing.value,
        "pic": row["pic"],
        "website": row["website"],
        "description": row["description"],
        "nuts_code": row["nuts_code"],
        "nuts_version": row["nuts_version"],
        "nace_codes": row["nace_codes"],
        "nace_revision": row["nace_revision"],
        "ecosystems": row["ecosystems"],
        "competences": row["competences"],
        "keywords": row["keywords"],
        "language": row["language"],
        "offers": [],
        "needs": [],
        "owners": [],
        "sme_category": row["sme_category"],
        "sme_declared": row["sme_declared"],
        "active": True,
        "shared_contacts": [],
        "version": 1,
        "shared_contacts_count": 0,
        "national_id_scheme": row["national_id_scheme"],
        "national_id": row["national_id"],
    }


async def register_many(session: AsyncSession, new: Sequence[NewActor]) -> None:
    """Register actors without child rows, with one COPY for the actors and one for their
    ``registered`` events, however many there are.

    The outcome is :func:`register`'s, actor by actor (stored form, SME assessment and
    event): the profiles have no owners, accounts, offers or contacts, so the SME
    assessment needs no other actor's data, and the row is known without reading it
    back (its time is the transaction's, as the column's default would make it). A
    concurrent writer committing one of the same unique identifiers first makes the
    copy raise ``IntegrityError``: run it in a savepoint.
    """
    if not new:
        return
    registered_at = await repository.transaction_time(session)
    records = OutboxRecords(ActorRegisteredV1, AGGREGATE)
    events: list[OutboxRecord] = []

    def rows() -> Iterator[dict[str, Any]]:
        # Made as the COPY streams them (it sends what it has every 512 kB): PostgreSQL
        # inserts the first rows, whose indexes cost it about as much as all of this
        # costs here, while the next rows and their events are being made.
        for actor in new:
            row = {
                "id": actor.id,
                **actor.columns,
                **_lone_sme_of(_declared(actor.columns["sme_declared"])),
                "created_at": registered_at,
                "updated_at": registered_at,
            }
            events.append(records.record(EventOf(str(actor.id), 1, registered_data(row))))
            yield row

    await repository.copy_actors(session, rows())
    await copy_outbox(session, events)


class ImportedProfile(IdentityFields, Protocol):
    """What an import registers an actor with: an ``ActorCreate`` setting only these
    fields, or another object with them that ``ActorCreate`` would accept as they are."""

    @property
    def legal_name(self) -> str: ...
    @property
    def short_name(self) -> str | None: ...
    @property
    def kind(self) -> ActorKind: ...
    @property
    def website(self) -> str | None: ...


async def register_imported_many(
    session: AsyncSession, commands: Sequence[tuple[ImportedProfile, str]]
) -> list[uuid.UUID | str]:
    """Register actors found in a CORDIS import, each ``(command, organisation id)``, with
    a few statements for the whole batch instead of a dozen per actor
    (:func:`register_many`, plus the CORDIS link). Returns, per command, the new actor's
    id or why it was refused."""
    outcomes: list[uuid.UUID | str] = []
    new: list[NewActor] = []
    holders = await repository.pic_holders(session, [c.pic for c, _ in commands if c.pic])
    for command, organisation_id in commands:
        # normalise_profile's checks of a profile without NACE codes, offers, needs,
        # accounts or owners, and lone_columns of it, without copying the profile.
        normalised, errors = normalise_identity(command)
        if errors:
            outcomes.append(str(InvalidProfile(errors)))
            continue
        pic = normalised.get("pic", command.pic)
        if pic is not None and pic in holders:
            outcomes.append(f"pic: PIC {pic} is already actor {holders[pic]}")
            continue
        actor_id = uuid.uuid4()
        if pic is not None:
            holders[pic] = actor_id  # a second command with it is refused
        columns = identity_columns(
            legal_name=command.legal_name,
            short_name=command.short_name,
            kind=command.kind.value,
            country=normalised["country"],
            pic=pic,
            vat_number=normalised.get("vat_number", command.vat_number),
            national_id_scheme=normalised.get("national_id_scheme", command.national_id_scheme),
            national_id=normalised.get("national_id", command.national_id),
            website=command.website,
            nuts_code=normalised.get("nuts_code", command.nuts_code),
            nuts_version=command.nuts_version,
            key=name_key(command.legal_name),
        )
        new.append(NewActor(actor_id, {**columns, "cordis_organisation_id": organisation_id}))
        outcomes.append(actor_id)
    await register_many(session, new)
    return outcomes


async def update_imported(
    session: AsyncSession,
    actor_id: uuid.UUID,
    version: int,
    patch: ActorPatch,
    *,
    cordis_organisation_id: str,
) -> None:
    """Apply what a CORDIS import changes on an actor read at ``version`` (412 if it moved
    on since), and link it to its CORDIS organisation. An empty patch only links: no new
    version, no event, since nothing a client or consumer sees changed."""
    if patch.model_fields_set:
        await update(session, actor_id, patch, etag_for(version))
    await repository.link_cordis(session, actor_id, cordis_organisation_id)
