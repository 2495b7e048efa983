"""Reading actors: one actor, search, the SME assessment and the personal-data export.

Who may see contact persons is decided here, once, for every read path.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.db import RowReader
from synergia_shared.http.auth import Principal
from synergia_shared.http.pagination import bad_cursor, decode_cursor, encode_cursor, parse_cursor
from synergia_shared.http.problems import invalid_field
from synergia_shared.reference.countries import UnknownCountry
from synergia_shared.reference.nace import InvalidNace, validate_nace
from synergia_shared.reference.nuts import nuts_prefix_ok

from synergia_registry.access import acts_for, ensure, is_admin, manages_any_cluster
from synergia_registry.actors import repository
from synergia_registry.actors.rules import normalise_country
from synergia_registry.actors.schemas import (
    Actor,
    ActorFacet,
    ActorFacets,
    ActorPage,
    ContactPerson,
    FacetCount,
    PersonalDataExport,
    PersonalDataFound,
    PersonContact,
    SearchTotal,
    SharedContact,
    SharedContacts,
    SmeAssessmentView,
)
from synergia_registry.actors.views import NEED_VALUES, OFFER_VALUES, load, not_found, to_view


def may_see_contacts(
    principal: Principal, actor_id: uuid.UUID, cluster_ids: Sequence[uuid.UUID]
) -> bool:
    return (
        is_admin(principal)
        or acts_for(principal, actor_id)
        or manages_any_cluster(principal, cluster_ids)
    )


def _view(row: Mapping[Any, Any], principal: Principal) -> Actor:
    return to_view(row, show_contacts=may_see_contacts(principal, row["id"], row["cluster_ids"]))


async def get(rows: RowReader, actor_id: uuid.UUID, principal: Principal) -> Actor:
    """One actor: a single SELECT outside any transaction (see ``RowReader``)."""
    row = await repository.fetch_full(rows, actor_id, OFFER_VALUES, NEED_VALUES)
    if row is None:
        raise not_found(actor_id)
    return _view(row, principal)


def build_filters(
    *,
    kinds: Sequence[Any] | None,
    countries: Sequence[str] | None,
    nuts: str | None,
    nace: str | None,
    ecosystems: Sequence[Any] | None,
    competences: Sequence[Any] | None,
    sme_categories: Sequence[Any] | None,
    cluster_id: uuid.UUID | None,
    offer_types: Sequence[Any] | None,
    query: str | None,
    include_inactive: bool,
) -> repository.SearchFilters:
    """Search filters in the stored forms, or a 422 naming the parameter."""
    stored_countries: list[str] = []
    for code in countries or []:
        try:
            stored_countries.append(normalise_country(code).code)
        except UnknownCountry as exc:
            raise invalid_field(["query", "country"], str(exc)) from None
    nuts_prefix = nuts.strip().upper() if nuts else None
    if nuts_prefix is not None and not nuts_prefix_ok(nuts_prefix):
        raise invalid_field(
            ["query", "nuts"], f"{nuts!r} is not a NUTS code prefix (e.g. DE, DE1, DE11)"
        )
    nace_prefix = None
    if nace:
        try:
            nace_prefix = validate_nace(nace).code
        except InvalidNace as exc:
            raise invalid_field(["query", "nace"], str(exc)) from None
    return repository.SearchFilters(
        kinds=[str(k) for k in kinds or []],
        countries=stored_countries,
        nuts_prefix=nuts_prefix,
        nace_prefix=nace_prefix,
        ecosystems=[str(e) for e in ecosystems or []],
        competences=[str(c) for c in competences or []],
        sme_categories=[str(s) for s in sme_categories or []],
        cluster_id=cluster_id,
        offer_types=[str(o) for o in offer_types or []],
        query=query.strip() if query and query.strip() else None,
        include_inactive=include_inactive,
    )


# Totals are exact up to this many actors; beyond, the count stops and says "at least":
# a bounded scan keeps `total=true` cheap on a broad filter over a large registry.
TOTAL_EXACT_UP_TO = 10_000


def parse_facets(requested: Sequence[str] | None) -> list[ActorFacet]:
    """``facets=country,kind`` or ``facets=country&facets=kind``, each once, in order."""
    facets: list[ActorFacet] = []
    for part in (p.strip() for value in requested or [] for p in value.split(",")):
        if not part:
            continue
        try:
            facet = ActorFacet(part)
        except ValueError:
            known = ", ".join(f.value for f in ActorFacet)
            raise invalid_field(
                ["query", "facets"], f"{part!r} is not a facet; known: {known}"
            ) from None
        if facet not in facets:
            facets.append(facet)
    return facets


async def search(
    session: AsyncSession,
    filters: repository.SearchFilters,
    principal: Principal,
    *,
    sort: str,
    limit: int,
    cursor: str | None,
    total: bool = False,
    facets: Sequence[ActorFacet] = (),
) -> ActorPage:
    if sort == "relevance" and filters.query is None:
        raise invalid_field(["query", "sort"], "sorting by relevance needs a full-text query q")
    after = None
    if cursor is not None:
        after = decode_cursor(cursor, 3)
        if after[0] != sort:
            raise bad_cursor("this cursor belongs to another sort order")
        # Checked here, so a forged or truncated cursor is a 422, not a failed query.
        keys: dict[str, Callable[[str], object]] = {
            "relevance": float,
            "newest": datetime.fromisoformat,
        }
        parse_cursor(cursor, str, keys.get(sort, str), uuid.UUID)
        after = after[1:]
    page = await repository.search(
        session,
        filters,
        sort=sort,
        after=after,
        limit=limit,
        offer_types=OFFER_VALUES,
        need_types=NEED_VALUES,
    )
    counted = None
    if total:
        value = await repository.count_matching(session, filters, cap=TOTAL_EXACT_UP_TO)
        counted = SearchTotal(value=min(value, TOTAL_EXACT_UP_TO), exact=value <= TOTAL_EXACT_UP_TO)
    return ActorPage(
        items=[_view(row._mapping, principal) for row in page.rows],
        next_cursor=encode_cursor([sort, *page.last_key]) if page.last_key else None,
        total=counted,
        facets=ActorFacets(
            **{
                facet.value: [
                    FacetCount(value=value, count=count)
                    for value, count in await repository.facet_counts(session, filters, facet.value)
                ]
                for facet in facets
            }
        )
        if facets
        else None,
    )


async def sme_assessment(session: AsyncSession, actor_id: uuid.UUID) -> SmeAssessmentView:
    row = await load(session, actor_id)
    if row is None:
        raise not_found(actor_id)
    stored = row.sme_assessment
    assessment: dict[str, Any] = (json.loads(stored) if isinstance(stored, str) else stored) or {}
    return SmeAssessmentView(
        actor_id=actor_id,
        declared=row.sme_declared,
        computed=row.sme_category,
        contradicts_declared=bool(assessment.get("contradicts_declared", False)),
        autonomy=assessment.get("autonomy"),
        explanation=assessment.get("explanation", ["no accounting data"]),
        by_year=assessment.get("by_year", []),
    )


async def personal_data(
    session: AsyncSession, actor_id: uuid.UUID, principal: Principal
) -> PersonalDataExport:
    row = await load(session, actor_id)
    if row is None:
        raise not_found(actor_id)
    ensure(
        may_see_contacts(principal, actor_id, row.cluster_ids),
        "personal data is for the actor itself, the managers of its clusters and admins",
    )
    contacts = row.contacts if not isinstance(row.contacts, str) else json.loads(row.contacts)
    return PersonalDataExport(
        actor_id=actor_id,
        exported_at=datetime.now(UTC),
        contacts=[ContactPerson.model_validate(c) for c in contacts],
    )


async def shared_contacts(session: AsyncSession, actor_id: uuid.UUID) -> SharedContacts:
    row = await repository.shared_contacts(session, actor_id)
    if row is None:
        raise not_found(actor_id)
    return SharedContacts(
        actor_id=actor_id,
        version=row.version,
        contacts=[SharedContact.model_validate(c) for c in _json_list(row.contacts)],
    )


async def person(session: AsyncSession, email: str) -> PersonalDataFound:
    """Every contact person with ``email``, across actors (a data subject's access)."""
    rows = await repository.contacts_with_email(session, email)
    return PersonalDataFound(
        email=email,
        contacts=[
            PersonContact(
                actor_id=r.actor_id,
                actor_legal_name=r.legal_name,
                name=r.name,
                email=r.email,
                role=r.role,
                phone=r.phone,
                consent_given_at=r.consent_given_at,
                share_with_partners=r.share_with_partners,
            )
            for r in rows
        ],
    )


def _json_list(value: Any) -> list[Any]:
    return list(json.loads(value) if isinstance(value, str) else value)
