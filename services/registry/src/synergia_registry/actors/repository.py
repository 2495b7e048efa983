"""Every query on actors and what hangs off them."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Row,
    Select,
    Text,
    Uuid,
    and_,
    any_,
    bindparam,
    column,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.db import PreparedRead, RowReader, copy_records
from synergia_shared.messaging.tables import idempotency_keys

from synergia_registry.actors.models import (
    actor_financials,
    actor_offers,
    actor_owners,
    actors,
    contact_persons,
)

EMPTY_JSON = text("'[]'::jsonb")
# What a view of an actor reads from its row: not the search document (a tsvector that
# only search's WHERE needs), the text it is made from, nor the import bookkeeping.
VIEW_COLUMNS = tuple(
    c
    for c in actors.c
    if c.name
    not in {
        "search_text",
        "search_document",
        "cordis_organisation_id",
        "deactivation_reason",
        "name_key",
    }
)
NO_IDS = text("'{}'::uuid[]")

# Owned by the clusters package; named here so that the actor queries need no import
# cycle. "Current" means not left, or leaving in the future.
cluster_memberships = table(
    "cluster_memberships",
    column("cluster_id"),
    column("member_actor_id"),
    column("left_on"),
)


def _current_membership() -> ColumnElement[bool]:
    return or_(
        cluster_memberships.c.left_on.is_(None),
        cluster_memberships.c.left_on > func.current_date(),
    )


def _json_list(key: ColumnElement[Any], order: ColumnElement[Any], **fields: Any) -> Any:
    """A JSON array of the child rows of one actor, built in the same query."""
    return (
        select(
            func.coalesce(
                func.jsonb_agg(aggregate_order_by(func.jsonb_build_object(*_pairs(fields)), order)),
                EMPTY_JSON,
            )
        )
        .where(key == actors.c.id)
        .scalar_subquery()
    )


def _pairs(fields: dict[str, Any]) -> list[Any]:
    pairs: list[Any] = []
    for name, value in fields.items():
        pairs += [literal_column(f"'{name}'"), value]
    return pairs


def _constant_text_array(values: Iterable[str]) -> ColumnElement[Any]:
    """``'{a,b}'::text[]`` written into the statement: no parameter to expand per call, so
    the statement compiles (and PostgreSQL prepares it) once."""
    items = sorted(set(values))
    for item in items:
        if not re.fullmatch(r"[a-z_]+", item):
            raise ValueError(f"{item!r} is not a plain identifier")
    return literal_column("'{" + ",".join(items) + "}'::text[]")


def _offers(kinds: tuple[str, ...]) -> Any:
    o = actor_offers.c
    return (
        select(
            func.coalesce(
                func.jsonb_agg(
                    aggregate_order_by(
                        func.jsonb_build_object(
                            *_pairs(
                                {
                                    "id": o.id,
                                    "type": o.type,
                                    "title": o.title,
                                    "description": o.description,
                                    "competences": o.competences,
                                    "keywords": o.keywords,
                                    "valid_until": o.valid_until,
                                }
                            )
                        ),
                        o.position,
                    )
                ),
                EMPTY_JSON,
            )
        )
        .where(o.actor_id == actors.c.id, o.type == any_(_constant_text_array(kinds)))
        .scalar_subquery()
    )


def full_actor_select(offer_types: Iterable[str], need_types: Iterable[str]) -> Select[Any]:
    """One round trip for an actor with its offers, needs, accounts, owners and contacts.

    Numbers leave PostgreSQL as text so that no amount passes through a float. Built
    once per pair of type lists (statements are immutable; callers add to copies).
    """
    return _full_actor_select(tuple(sorted(offer_types)), tuple(sorted(need_types)))


@functools.cache
def _full_actor_select(offer_types: tuple[str, ...], need_types: tuple[str, ...]) -> Select[Any]:
    f, w, c = actor_financials.c, actor_owners.c, contact_persons.c
    return select(
        *VIEW_COLUMNS,
        _offers(offer_types).label("offers"),
        _offers(need_types).label("needs"),
        _json_list(
            f.actor_id,
            f.year,
            year=f.year,
            headcount=f.headcount.cast(Text),
            turnover=f.turnover.cast(Text),
            balance_sheet=f.balance_sheet.cast(Text),
        ).label("financials"),
        _json_list(
            w.actor_id,
            w.owner_actor_id,
            owner_actor_id=w.owner_actor_id,
            share_percent=w.share_percent.cast(Text),
            controls=w.controls,
            exempt_investor=w.owner_exempt_investor,
        ).label("owners"),
        _json_list(
            c.actor_id,
            c.position,
            id=c.id,
            name=c.name,
            email=c.email,
            role=c.role,
            phone=c.phone,
            consent_given_at=c.consent_given_at,
            share_with_partners=c.share_with_partners,
        ).label("contacts"),
        select(
            func.coalesce(func.array_agg(cluster_memberships.c.cluster_id), text("'{}'::uuid[]"))
        )
        .where(cluster_memberships.c.member_actor_id == actors.c.id, _current_membership())
        .scalar_subquery()
        .label("cluster_ids"),
    )


@functools.cache
def actor_by_id(
    offer_types: tuple[str, ...], need_types: tuple[str, ...], *, for_update: bool = False
) -> Select[Any]:
    """:func:`full_actor_select` of the actor ``:actor_id``, built once."""
    query = full_actor_select(offer_types, need_types).where(
        actors.c.id == bindparam("actor_id", type_=Uuid)
    )
    if for_update:
        query = query.with_for_update(of=actors)
    return query


@functools.cache
def actor_by_id_read(offer_types: tuple[str, ...], need_types: tuple[str, ...]) -> PreparedRead:
    """:func:`actor_by_id`, compiled once for :func:`fetch_full`."""
    return PreparedRead.of(actor_by_id(offer_types, need_types))


async def fetch_full(
    rows: RowReader,
    actor_id: uuid.UUID,
    offer_types: tuple[str, ...],
    need_types: tuple[str, ...],
) -> Mapping[str, Any] | None:
    """:func:`get_full` outside any transaction: the one statement of an actor read."""
    row: Mapping[str, Any] | None = await rows.fetch_row(
        actor_by_id_read(offer_types, need_types), actor_id=actor_id
    )
    return row


async def get_full(
    session: AsyncSession,
    actor_id: uuid.UUID,
    offer_types: Iterable[str],
    need_types: Iterable[str],
    *,
    for_update: bool = False,
) -> Row[Any] | None:
    query = actor_by_id(tuple(offer_types), tuple(need_types), for_update=for_update)
    row: Row[Any] | None = (await session.execute(query, {"actor_id": actor_id})).first()
    return row


# Built once: an insert's values are parameters, so one compiled statement serves every
# create that sets the same columns (the service always sets the same ones).
_INSERT_ACTOR = insert(actors).returning(*VIEW_COLUMNS)


async def insert_actor(session: AsyncSession, values: dict[str, Any]) -> Row[Any]:
    """Insert one actor; the row as :data:`VIEW_COLUMNS` (defaults filled in)."""
    row: Row[Any] = (await session.execute(_INSERT_ACTOR, values)).one()
    return row


async def insert_children(
    session: AsyncSession,
    actor_id: uuid.UUID,
    *,
    offers: Sequence[dict[str, Any]],
    financials: Sequence[dict[str, Any]],
    owners: Sequence[dict[str, Any]],
    contacts: Sequence[dict[str, Any]],
) -> None:
    """The child rows of an actor that has none yet: a statement per kind that has rows."""
    for child, rows in (
        (actor_offers, offers),
        (actor_financials, financials),
        (actor_owners, owners),
        (contact_persons, contacts),
    ):
        if rows:
            await session.execute(insert(child), [{**row, "actor_id": actor_id} for row in rows])


async def update_actor(
    session: AsyncSession, actor_id: uuid.UUID, values: dict[str, Any]
) -> Row[Any]:
    """Write new values and move the version on by one."""
    result = await session.execute(
        update(actors)
        .where(actors.c.id == actor_id)
        .values(**values, version=actors.c.version + 1, updated_at=func.now())
        .returning(actors)
    )
    row: Row[Any] = result.one()
    return row


async def replace_children(
    session: AsyncSession,
    actor_id: uuid.UUID,
    *,
    offers: Sequence[dict[str, Any]],
    financials: Sequence[dict[str, Any]],
    owners: Sequence[dict[str, Any]],
    contacts: Sequence[dict[str, Any]] | None,
) -> None:
    """Replace the child rows; ``contacts=None`` leaves them as they are."""
    children: list[tuple[Any, Sequence[dict[str, Any]]]] = [
        (actor_offers, offers),
        (actor_financials, financials),
        (actor_owners, owners),
    ]
    if contacts is not None:
        children.append((contact_persons, contacts))
    for child, rows in children:
        await session.execute(delete(child).where(child.c.actor_id == actor_id))
        if rows:
            await session.execute(insert(child), [{**row, "actor_id": actor_id} for row in rows])


async def existing_ids(session: AsyncSession, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    wanted = list(set(ids))
    if not wanted:
        return set()
    rows = await session.scalars(select(actors.c.id).where(actors.c.id.in_(wanted)))
    return set(rows)


async def pic_owner(session: AsyncSession, pic: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await session.scalar(select(actors.c.id).where(actors.c.pic == pic))
    return found


async def national_id_holder(session: AsyncSession, scheme: str, value: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await session.scalar(
        select(actors.c.id).where(
            actors.c.national_id_scheme == scheme, actors.c.national_id == value
        )
    )
    return found


# What an import compares and decides with: not the search document, whose decoding
# would cost more than the rest of the row.
_IMPORTED = tuple(
    actors.c[name]
    for name in (
        "id",
        "version",
        "active",
        "cordis_organisation_id",
        "pic",
        "legal_name",
        "short_name",
        "kind",
        "country",
        "vat_number",
        "website",
        "nuts_code",
    )
)
_TEXTS = ARRAY(Text)


def _texts(name: str, values: Iterable[str]) -> Any:
    """One array parameter, whatever the number of values: one statement to prepare."""
    return bindparam(name, sorted(set(values)), type_=_TEXTS)


async def find_imported(session: AsyncSession, organisation_ids: Sequence[str]) -> list[Row[Any]]:
    """Actors linked to one of these CORDIS organisations or holding one of them as PIC
    (an organisationID is a PIC): their id, version, state, links and the fields an
    import sets."""
    if not organisation_ids:
        return []
    query = select(*_IMPORTED).where(
        or_(
            actors.c.cordis_organisation_id == any_(_texts("linked", organisation_ids)),
            actors.c.pic == any_(_texts("pics", organisation_ids)),
        )
    )
    return list((await session.execute(query)).all())


async def transaction_time(session: AsyncSession) -> datetime:
    """The transaction's time: what ``now()``, the default of ``created_at``, gives every
    row it writes."""
    found: datetime = (await session.execute(select(func.now()))).scalar_one()
    return found


_JSONB = frozenset(c.name for c in actors.c if isinstance(c.type, JSONB))


async def copy_actors(session: AsyncSession, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert many actors with one COPY, streamed as ``rows`` yields them (the columns of
    the first row, every row having the same). A unique identifier another actor holds
    raises ``IntegrityError``."""
    stream = iter(rows)
    first = next(stream, None)
    if first is None:
        return
    columns = list(first)
    jsonb = [i for i, name in enumerate(columns) if name in _JSONB]
    # The same few assessments recur (one per declared SME category): serialised once,
    # each kept with its text so that its id cannot be reused while this runs.
    serialised: dict[int, tuple[Any, str]] = {}

    def record(row: Mapping[str, Any]) -> list[Any]:
        values = [row[name] for name in columns]
        for i in jsonb:
            value = values[i]
            if value is not None:
                if id(value) not in serialised:
                    serialised[id(value)] = (value, json.dumps(value))
                values[i] = serialised[id(value)][1]
        return values

    await copy_records(
        session, actors.name, columns, (record(row) for row in itertools.chain([first], stream))
    )


async def pic_holders(session: AsyncSession, pics: Iterable[str]) -> dict[str, uuid.UUID]:
    wanted = set(pics)
    if not wanted:
        return {}
    rows = await session.execute(
        select(actors.c.pic, actors.c.id).where(actors.c.pic == any_(_texts("pics", wanted)))
    )
    return {row.pic: row.id for row in rows}


async def link_cordis(session: AsyncSession, actor_id: uuid.UUID, organisation_id: str) -> None:
    """Record which CORDIS organisation an actor is (not part of the profile or its events)."""
    await session.execute(
        update(actors).where(actors.c.id == actor_id).values(cordis_organisation_id=organisation_id)
    )


def _expiring(today: date) -> ColumnElement[bool]:
    """An active actor with an offer or need expired before ``today`` that the expiry
    sweep has not announced yet."""
    o, a = actor_offers.c, actors.c
    not_announced = or_(
        a.expiry_announced_before.is_(None), o.valid_until >= a.expiry_announced_before
    )
    due = (
        select(o.actor_id).where(o.actor_id == a.id, o.valid_until < today, not_announced).exists()
    )
    return and_(a.active, due)


async def claim_expiring(session: AsyncSession, today: date, limit: int) -> list[Row[Any]]:
    """Lock up to ``limit`` actors due for an expiry announcement (``id``,
    ``expiry_announced_before``), skipping those another transaction holds (a writer, or
    the sweep on another replica)."""
    query: Select[Any] = (
        select(actors.c.id, actors.c.expiry_announced_before)
        .where(_expiring(today))
        .order_by(actors.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows: list[Row[Any]] = list((await session.execute(query)).all())
    return rows


async def any_expiring(session: AsyncSession, today: date) -> bool:
    """Whether an actor is still due, locked or not."""
    query = select(exists().where(_expiring(today)))
    return bool((await session.execute(query)).scalar())


async def ownership_links(session: AsyncSession, actor_ids: Iterable[uuid.UUID]) -> list[Row[Any]]:
    """Every link that touches one of ``actor_ids``, in either direction."""
    ids = list(set(actor_ids))
    query = select(actor_owners).where(
        or_(actor_owners.c.actor_id.in_(ids), actor_owners.c.owner_actor_id.in_(ids))
    )
    rows: list[Row[Any]] = list((await session.execute(query)).all())
    return rows


async def financials_of(session: AsyncSession, actor_ids: Iterable[uuid.UUID]) -> list[Row[Any]]:
    query = select(actor_financials).where(actor_financials.c.actor_id.in_(list(set(actor_ids))))
    rows: list[Row[Any]] = list((await session.execute(query)).all())
    return rows


async def sme_facts(session: AsyncSession, actor_ids: Iterable[uuid.UUID]) -> list[Row[Any]]:
    query = select(actors).where(actors.c.id.in_(list(set(actor_ids))))
    rows: list[Row[Any]] = list((await session.execute(query)).all())
    return rows


async def lock(session: AsyncSession, actor_ids: Iterable[uuid.UUID]) -> None:
    """Lock rows in id order so that two writers on one ownership group cannot deadlock."""
    ids = sorted(set(actor_ids))
    if ids:
        await session.execute(
            select(actors.c.id).where(actors.c.id.in_(ids)).order_by(actors.c.id).with_for_update()
        )


async def set_sme(
    session: AsyncSession,
    actor_id: uuid.UUID,
    category: str | None,
    assessment: dict[str, Any],
    *,
    bump: bool,
) -> Row[Any]:
    values: dict[str, Any] = {"sme_category": category, "sme_assessment": assessment}
    if bump:
        values |= {"version": actors.c.version + 1, "updated_at": func.now()}
    result = await session.execute(
        update(actors).where(actors.c.id == actor_id).values(**values).returning(actors.c.version)
    )
    row: Row[Any] = result.one()
    return row


_SET_SME = (
    update(actors)
    .where(actors.c.id == bindparam("actor_id", type_=Uuid))
    .values(
        sme_category=bindparam("category", type_=Text),
        sme_assessment=bindparam("assessment", type_=JSONB),
    )
)
_SET_SME_BUMPED = _SET_SME.values(version=actors.c.version + 1, updated_at=func.now())


async def set_sme_many(
    session: AsyncSession, assessments: Sequence[tuple[uuid.UUID, str | None, Any, bool]]
) -> None:
    """:func:`set_sme` of many actors, each ``(id, category, assessment, bump)``: one
    executemany per kind of update instead of a statement per actor."""
    for statement, bump in ((_SET_SME, False), (_SET_SME_BUMPED, True)):
        rows = [
            {"actor_id": actor_id, "category": category, "assessment": assessment}
            for actor_id, category, assessment, bumped in assessments
            if bumped is bump
        ]
        if rows:
            await session.execute(statement, rows)


async def national_id_holders(
    session: AsyncSession, national_ids: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], uuid.UUID]:
    """The actors holding these (scheme, value) national identifiers."""
    wanted = sorted(set(national_ids))
    if not wanted:
        return {}
    schemes, values = zip(*wanted, strict=True)
    pairs = (
        func.unnest(_texts("schemes", schemes), _texts("values", values))
        .table_valued("scheme", "value")
        .render_derived(name="wanted")
    )
    rows = await session.execute(
        select(actors.c.national_id_scheme, actors.c.national_id, actors.c.id).join(
            pairs,
            and_(
                actors.c.national_id_scheme == pairs.c.scheme, actors.c.national_id == pairs.c.value
            ),
        )
    )
    return {(row.national_id_scheme, row.national_id): row.id for row in rows}


async def copy_children(
    session: AsyncSession, child: Any, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert the child rows of many actors (each with its ``actor_id``) with one COPY."""
    if rows:
        columns = list(rows[0])
        await copy_records(session, child.name, columns, ([r[c] for c in columns] for r in rows))


async def get_full_many(
    session: AsyncSession,
    actor_ids: Sequence[uuid.UUID],
    offer_types: Iterable[str],
    need_types: Iterable[str],
) -> dict[uuid.UUID, Row[Any]]:
    """:func:`get_full` of many actors in one statement, by id."""
    if not actor_ids:
        return {}
    query = full_actor_select(offer_types, need_types).where(
        actors.c.id == any_(bindparam("ids", list(actor_ids), type_=ARRAY(Uuid)))
    )
    return {row.id: row for row in (await session.execute(query)).all()}


def _same_email(email: str) -> Any:
    return func.lower(contact_persons.c.email) == email.strip().lower()


async def delete_contacts(
    session: AsyncSession, actor_id: uuid.UUID, *, email: str | None = None
) -> int:
    """Delete the actor's contact persons, or only those with ``email`` (any case)."""
    statement = delete(contact_persons).where(contact_persons.c.actor_id == actor_id)
    if email is not None:
        statement = statement.where(_same_email(email))
    result = await session.execute(statement)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def shared_contacts_count(session: AsyncSession, actor_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                contact_persons.c.actor_id == actor_id, contact_persons.c.share_with_partners
            )
        )
        or 0
    )


async def shared_contacts(session: AsyncSession, actor_id: uuid.UUID) -> Any:
    """The actor's version and its contacts whose consent covers sharing, read together
    (one statement: one snapshot), or ``None`` if there is no such actor."""
    contacts = (
        select(
            func.coalesce(
                func.jsonb_agg(
                    aggregate_order_by(
                        func.jsonb_build_object(
                            "name",
                            contact_persons.c.name,
                            "email",
                            contact_persons.c.email,
                            "role",
                            contact_persons.c.role,
                        ),
                        contact_persons.c.position,
                    )
                ).filter(contact_persons.c.share_with_partners),
                text("'[]'::jsonb"),
            )
        )
        .where(contact_persons.c.actor_id == actors.c.id)
        .correlate(actors)
        .scalar_subquery()
    )
    result = await session.execute(
        select(actors.c.version, contacts.label("contacts")).where(actors.c.id == actor_id)
    )
    return result.first()


async def actors_with_contact(session: AsyncSession, email: str) -> list[uuid.UUID]:
    """The actors holding a contact person with ``email`` (any case), in id order."""
    rows = await session.execute(
        select(contact_persons.c.actor_id)
        .where(_same_email(email))
        .distinct()
        .order_by(contact_persons.c.actor_id)
    )
    return list(rows.scalars())


async def contacts_with_email(session: AsyncSession, email: str) -> list[Any]:
    """Every contact person with ``email`` (any case) and the actor holding it."""
    rows = await session.execute(
        select(
            contact_persons.c.actor_id,
            actors.c.legal_name,
            contact_persons.c.name,
            contact_persons.c.email,
            contact_persons.c.role,
            contact_persons.c.phone,
            contact_persons.c.consent_given_at,
            contact_persons.c.share_with_partners,
        )
        .join(actors, actors.c.id == contact_persons.c.actor_id)
        .where(_same_email(email))
        .order_by(contact_persons.c.actor_id, contact_persons.c.position)
    )
    return list(rows.all())


async def redact_replays(session: AsyncSession, location: str) -> None:
    """Take the contacts out of the stored Idempotency-Key answers that created the actor
    at ``location``: a retry still gets its 201 and the actor, without them."""
    body = func.convert_from(idempotency_keys.c.response_body, "UTF8").cast(JSONB)
    await session.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.response_headers["Location"].astext == location)
        .values(
            response_body=func.convert_to(
                func.jsonb_set(body, text("'{contacts}'"), text("'[]'::jsonb")).cast(Text),
                "UTF8",
            )
        )
    )


# --- search ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    kinds: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    nuts_prefix: str | None = None
    nace_prefix: str | None = None
    ecosystems: list[str] = field(default_factory=list)
    competences: list[str] = field(default_factory=list)
    sme_categories: list[str] = field(default_factory=list)
    cluster_id: uuid.UUID | None = None
    offer_types: list[str] = field(default_factory=list)
    query: str | None = None
    include_inactive: bool = False


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _conditions(filters: SearchFilters) -> list[ColumnElement[bool]]:
    a = actors.c
    conditions: list[ColumnElement[bool]] = []
    if not filters.include_inactive:
        conditions.append(a.active.is_(True))
    if filters.kinds:
        conditions.append(a.kind.in_(filters.kinds))
    if filters.countries:
        conditions.append(a.country.in_(filters.countries))
    if filters.nuts_prefix:
        conditions.append(a.nuts_code.like(_like_prefix(filters.nuts_prefix)))
    if filters.nace_prefix:
        code = func.unnest(a.nace_codes).table_valued("code").render_derived(name="nace")
        conditions.append(
            exists(
                select(1)
                .select_from(code)
                .where(code.c.code.like(_like_prefix(filters.nace_prefix)))
            )
        )
    if filters.ecosystems:
        conditions.append(a.ecosystems.overlap(filters.ecosystems))
    if filters.competences:
        conditions.append(a.competences.overlap(filters.competences))
    if filters.sme_categories:
        conditions.append(a.sme_category.in_(filters.sme_categories))
    if filters.cluster_id is not None:
        conditions.append(
            exists(
                select(1).where(
                    cluster_memberships.c.member_actor_id == a.id,
                    cluster_memberships.c.cluster_id == filters.cluster_id,
                    _current_membership(),
                )
            )
        )
    if filters.offer_types:
        o = actor_offers.c
        conditions.append(
            exists(select(1).where(o.actor_id == a.id, o.type.in_(filters.offer_types)))
        )
    if filters.query:
        conditions.append(a.search_document.op("@@")(_tsquery(filters.query)))
    return conditions


# Which filter each facet leaves out when it counts: a facet shows what choosing another
# of its values would give, so its own filter is not applied (the usual convention of
# search pages with multi-select filters); every other filter is.
FACET_OWN_FILTER = {
    "country": "countries",
    "kind": "kinds",
    "ecosystem": "ecosystems",
    "nace_section": "nace_prefix",
}


def _without(filters: SearchFilters, own: str) -> SearchFilters:
    if own == "nace_prefix":
        return dataclasses.replace(filters, nace_prefix=None)
    return dataclasses.replace(filters, **{own: []})  # type: ignore[arg-type]


async def count_matching(session: AsyncSession, filters: SearchFilters, *, cap: int) -> int:
    """How many actors match, counting no further than ``cap + 1`` (a bounded scan)."""
    matching = (
        select(literal_column("1"))
        .select_from(actors)
        .where(and_(true(), *_conditions(filters)))
        .limit(cap + 1)
        .subquery()
    )
    return int((await session.execute(select(func.count()).select_from(matching))).scalar_one())


async def facet_counts(
    session: AsyncSession, filters: SearchFilters, facet: str
) -> list[tuple[str, int]]:
    """(value, actors) for ``facet`` among the actors matching every filter but the
    facet's own; most frequent first. An actor counts once per value it has (an actor in
    two ecosystems counts in both)."""
    a = actors.c
    others = _conditions(_without(filters, FACET_OWN_FILTER[facet]))
    value: ColumnElement[Any]
    if facet in ("country", "kind"):
        value = a.country if facet == "country" else a.kind
        query = select(value.label("value"), func.count().label("n")).where(and_(true(), *others))
    else:
        values = (
            func.unnest(a.ecosystems if facet == "ecosystem" else a.nace_codes)
            .table_valued("code")
            .render_derived(name="facet_values")
        )
        # NACE codes are stored with their section letter first (C28.11).
        value = values.c.code if facet == "ecosystem" else func.left(values.c.code, 1)
        query = (
            select(value.label("value"), func.count(a.id.distinct()).label("n"))
            .select_from(actors.join(values, true()))
            .where(and_(true(), *others))
        )
    query = query.group_by(value).order_by(literal_column("n").desc(), value)
    return [(row.value, int(row.n)) for row in await session.execute(query)]


def _tsquery(query: str) -> ColumnElement[Any]:
    return func.websearch_to_tsquery(literal_column("'english'::regconfig"), query)


@dataclass(frozen=True)
class Page:
    rows: list[Row[Any]]
    last_key: list[Any] | None


async def search(
    session: AsyncSession,
    filters: SearchFilters,
    *,
    sort: str,
    after: list[Any] | None,
    limit: int,
    offer_types: Iterable[str],
    need_types: Iterable[str],
) -> Page:
    """One page of actors, keyset-paginated on (sort key, id); no cap on how far one goes."""
    a = actors.c
    query = full_actor_select(offer_types, need_types).where(and_(true(), *_conditions(filters)))
    key: ColumnElement[Any]
    if sort == "relevance" and filters.query:
        key = func.ts_rank(a.search_document, _tsquery(filters.query)).cast(Float)
        query = query.add_columns(key.label("sort_key")).order_by(key.desc(), a.id)
        if after is not None:
            query = query.where(
                or_(key < after[0], and_(key == after[0], a.id > uuid.UUID(after[1])))
            )
    elif sort == "newest":
        key = a.created_at
        query = query.add_columns(key.label("sort_key")).order_by(key.desc(), a.id.desc())
        if after is not None:
            query = query.where(
                tuple_(key, a.id) < tuple_(datetime.fromisoformat(after[0]), uuid.UUID(after[1]))
            )
    else:
        key = a.legal_name
        query = query.add_columns(key.label("sort_key")).order_by(key, a.id)
        if after is not None:
            query = query.where(tuple_(key, a.id) > tuple_(after[0], uuid.UUID(after[1])))
    rows = list((await session.execute(query.limit(limit + 1))).all())
    if len(rows) <= limit:
        return Page(rows, None)
    last = rows[limit - 1]
    return Page(rows[:limit], [last.sort_key, str(last.id)])
