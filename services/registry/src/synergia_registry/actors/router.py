"""HTTP for actors: parse, authorise, call the service, shape the response."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from synergia_shared.events.registry import ActorKind
from synergia_shared.http import idempotency
from synergia_shared.http.auth import Principal, Role, require, require_scope
from synergia_shared.http.input_limits import BodyKind, body_limit
from synergia_shared.http.preconditions import (
    PRECONDITION_RESPONSES,
    IfMatch,
    etag_for,
    versioned_json,
)
from synergia_shared.http.problems import PROBLEM_RESPONSES, Problem, ProblemException
from synergia_shared.http.transactions import (
    AuthorisedRows,
    Idempotent,
    ReadOnly,
    Write,
    authorised_rows,
)
from synergia_shared.reference.competences import Competence
from synergia_shared.reference.ecosystems import Ecosystem
from synergia_shared.settings import SHARED_CONTACTS_SCOPE

from synergia_registry.access import READERS, WRITERS, ensure, may_write
from synergia_registry.actors import bulk, queries, service
from synergia_registry.actors.schemas import (
    MAX_CREATE_ITEMS,
    Actor,
    ActorBatchCreate,
    ActorBatchCreated,
    ActorCreate,
    ActorPage,
    ActorPatch,
    Deactivation,
    OfferType,
    PersonalDataExport,
    SharedContacts,
    SmeAssessmentView,
)
from synergia_registry.actors.sme import SmeCategory

router = APIRouter(prefix="/v1/actors", tags=["actors"], responses=PROBLEM_RESPONSES)

Writer = Annotated[Principal, Depends(require(*WRITERS))]
Reader = Annotated[Principal, Depends(require(*READERS))]
# A reader and the rows to answer from, as one dependency: the hottest read's.
ReaderRows = Annotated[AuthorisedRows, Depends(authorised_rows(*READERS))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
RACED = (
    "another request registered one of the same identifiers at the same time; nothing of "
    "this batch was registered: send it again"
)
SharedContactsReader = Annotated[
    Principal, Depends(require_scope(SHARED_CONTACTS_SCOPE, Role.ADMIN))
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such actor"}
}
ETAG_HEADER: dict[str, Any] = {
    "ETag": {"schema": {"type": "string"}, "description": "The actor's version"}
}


def _may_write(principal: Principal, actor_id: uuid.UUID) -> None:
    ensure(
        may_write(principal, actor_id),
        f"only an admin or actor {actor_id} itself (as an SME or cluster manager) may change it",
    )


@router.post(
    "",
    operation_id="registerActor",
    summary="Register an innovation actor",
    description="Creates the actor and publishes `eu.synergia.registry.actor.registered.v1`. "
    "Codes are validated: NUTS against the NUTS version and the country, NACE against the "
    "revision, PIC, VAT number and national business identifier for the country. Send an "
    "`Idempotency-Key` to make a retry return the first result. Regional authorities "
    "register the beneficiaries they pay with `POST /v1/actors:batch-register`, which "
    "matches known organisations first.",
    status_code=201,
    response_model=Actor,
    responses={
        201: {
            "headers": {
                "Location": {"schema": {"type": "string"}},
                **ETAG_HEADER,
                "Idempotent-Replayed": {
                    "schema": {"type": "string"},
                    "description": "`true` when this is the stored answer to an earlier "
                    "request with the same Idempotency-Key",
                },
            }
        }
    },
)
async def register_actor(
    body: ActorCreate,
    principal: Writer,
    once: Idempotent,
    idempotency_key: idempotency.IdempotencyKey = None,
) -> Response:
    async def create(session: idempotency.AsyncSession) -> idempotency.StoredResponse:
        actor = await service.register(session, body)
        return idempotency.StoredResponse(
            201,
            actor.model_dump_json().encode(),
            {"Location": f"/v1/actors/{actor.id}", "ETag": etag_for(actor.version)},
        )

    return await once.respond(principal.subject, idempotency_key, create)


@router.post(
    ":batch-create",
    operation_id="registerActors",
    summary="Register many innovation actors at once",
    description=f"Up to {MAX_CREATE_ITEMS} actors, each as `POST /v1/actors` takes it "
    "(offers, needs, accounts, owners and contacts included), registered as one change: "
    "each is checked as there and against the other items (an owner may be an earlier or "
    "later item's id only once registered, so send owners in an earlier batch; a PIC or "
    "national identifier once), and one invalid item refuses the whole batch with a 422 "
    "naming each item (`body.items.<index>…`), nothing written. Each actor publishes "
    "`eu.synergia.registry.actor.registered.v1`; an actor whose SME category moved "
    "because of an item's ownership data publishes `….actor.updated.v1`, as after "
    "single registrations. The answer lists each new actor's id and version in the "
    "items' order (not the profiles: read them at `/v1/actors/{id}`). Send an "
    "`Idempotency-Key` to make a retry return the first result. Admins only: the bulk "
    "path of imports and of `make demo`.",
    status_code=201,
    response_model=ActorBatchCreated,
    responses={
        201: {
            "headers": {
                "Idempotent-Replayed": {
                    "schema": {"type": "string"},
                    "description": "`true` when this is the stored answer to an earlier "
                    "request with the same Idempotency-Key",
                },
            }
        },
        409: {
            "model": Problem,
            "description": "Another request registered one of the same identifiers at the "
            "same moment: nothing was registered; send the batch again",
        },
    },
    openapi_extra=body_limit(BodyKind.BATCH),
)
async def register_actors(
    body: ActorBatchCreate,
    principal: Admin,
    once: Idempotent,
    idempotency_key: idempotency.IdempotencyKey = None,
) -> Response:
    async def create(session: idempotency.AsyncSession) -> idempotency.StoredResponse:
        try:
            async with session.begin_nested():
                created = await bulk.register_batch(session, body.items)
        except IntegrityError:
            raise ProblemException(409, "concurrent-registration", "Conflict", RACED) from None
        return idempotency.StoredResponse(
            201, ActorBatchCreated(items=created).model_dump_json().encode(), {}
        )

    return await once.respond(principal.subject, idempotency_key, create)


@router.get(
    "",
    operation_id="searchActors",
    summary="Search innovation actors",
    description="Filters combine with AND; a list-valued filter matches any of its values. "
    '`q` is a full-text query (English stemming; `"exact phrase"`, `or`, `-exclude` '
    "work as in web search) over names, description, keywords, offers and needs. Sorted by "
    "name (default), newest first, or relevance (with `q`). Cursor-paginated without a "
    "result cap: follow `next_cursor` until it is null. For a search page: `total=true` "
    "adds how many actors match (exact up to 10,000, else `exact: false` and at least "
    "10,000), and `facets=country,kind,ecosystem,nace_section` the number of actors per "
    "value of each, counted with every filter but the facet's own. Both cost extra "
    "queries: ask for them with the first page, not with every page.",
    response_model=ActorPage,
)
async def search_actors(
    principal: Reader,
    session: ReadOnly,
    kind: Annotated[list[ActorKind] | None, Query()] = None,
    country: Annotated[list[str] | None, Query(description="ISO or EU codes")] = None,
    nuts: Annotated[str | None, Query(description="NUTS code prefix, e.g. DE1")] = None,
    nace: Annotated[str | None, Query(description="NACE code prefix, e.g. C28 or 62")] = None,
    ecosystem: Annotated[list[Ecosystem] | None, Query()] = None,
    competence: Annotated[list[Competence] | None, Query()] = None,
    sme_category: Annotated[list[SmeCategory] | None, Query()] = None,
    cluster_id: Annotated[uuid.UUID | None, Query(description="Current member of")] = None,
    offer_type: Annotated[list[OfferType] | None, Query(description="Has an offer/need of")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=300)] = None,
    include_inactive: bool = False,
    sort: Literal["name", "newest", "relevance"] = "name",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
    total: Annotated[
        bool, Query(description="Count the matching actors (exact up to 10,000)")
    ] = False,
    facets: Annotated[
        list[str] | None,
        Query(
            description="Facets to count, comma-separated or repeated: "
            "country, kind, ecosystem, nace_section",
            examples=[["country", "kind"]],
        ),
    ] = None,
) -> ActorPage:
    filters = queries.build_filters(
        kinds=kind,
        countries=country,
        nuts=nuts,
        nace=nace,
        ecosystems=ecosystem,
        competences=competence,
        sme_categories=sme_category,
        cluster_id=cluster_id,
        offer_types=offer_type,
        query=q,
        include_inactive=include_inactive,
    )
    wanted = queries.parse_facets(facets)
    return await queries.search(
        session,
        filters,
        principal,
        sort=sort,
        limit=limit,
        cursor=cursor,
        total=total,
        facets=wanted,
    )


@router.get(
    "/{actor_id}",
    operation_id="getActor",
    summary="One innovation actor",
    description="The actor with its current version in the `ETag` header (use it with "
    "`If-Match` on updates). Contact persons are shown only to the actor itself, the "
    "managers of its clusters and admins.",
    response_model=Actor,
    responses={200: {"headers": ETAG_HEADER}, **NOT_FOUND},
)
async def get_actor(actor_id: uuid.UUID, reader: ReaderRows) -> Response:
    actor = await queries.get(reader.rows, actor_id, reader.principal)
    return Response(
        actor.model_dump_json(),
        headers={"ETag": etag_for(actor.version)},
        media_type="application/json",
    )


@router.patch(
    "/{actor_id}",
    operation_id="updateActor",
    summary="Change an actor's profile",
    description="Only the fields sent change; a list sent replaces the old one. Needs "
    "`If-Match` with the ETag you read (428 without it, 412 if the actor changed since). "
    "Publishes `eu.synergia.registry.actor.updated.v1` with the whole profile, and one for "
    "each related actor whose SME category moved because of this change.",
    response_model=Actor,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_FOUND,
        409: {"model": Problem, "description": "The actor is deactivated"},
        **PRECONDITION_RESPONSES,
    },
)
async def update_actor(
    actor_id: uuid.UUID,
    body: ActorPatch,
    principal: Writer,
    if_match: IfMatch,
    session: Write,
) -> JSONResponse:
    _may_write(principal, actor_id)
    return versioned_json(await service.update(session, actor_id, body, if_match))


@router.post(
    "/{actor_id}/deactivate",
    operation_id="deactivateActor",
    summary="Deactivate an actor",
    description="Actors are never deleted: a deactivated one stays for history and is no "
    "longer searched by default nor matched. Needs `If-Match`. Publishes "
    "`eu.synergia.registry.actor.deactivated.v1`; repeating it changes nothing.",
    response_model=Actor,
    responses={200: {"headers": ETAG_HEADER}, **NOT_FOUND, **PRECONDITION_RESPONSES},
)
async def deactivate_actor(
    actor_id: uuid.UUID,
    principal: Writer,
    if_match: IfMatch,
    session: Write,
    body: Annotated[Deactivation | None, Body()] = None,
) -> JSONResponse:
    _may_write(principal, actor_id)
    actor = await service.deactivate(session, actor_id, body.reason if body else None, if_match)
    return versioned_json(actor)


@router.get(
    "/{actor_id}/sme-assessment",
    operation_id="getSmeAssessment",
    summary="How the SME category was computed",
    description="The EU SME definition (Recommendation 2003/361/EC) applied to the actor's "
    "accounts and its partner and linked enterprises, year by year, with the "
    "two-consecutive-years rule; says whether the declared status contradicts it.",
    response_model=SmeAssessmentView,
    responses=NOT_FOUND,
)
async def get_sme_assessment(
    actor_id: uuid.UUID, _: Reader, session: ReadOnly
) -> SmeAssessmentView:
    return await queries.sme_assessment(session, actor_id)


@router.get(
    "/{actor_id}/personal-data",
    operation_id="exportPersonalData",
    summary="Export the actor's personal data (GDPR Art. 15 and 20)",
    description="The contact persons the registry holds for the actor, with their consent. "
    "For the actor itself, the managers of its clusters and admins.",
    response_model=PersonalDataExport,
    responses=NOT_FOUND,
)
async def export_personal_data(
    actor_id: uuid.UUID, principal: Reader, session: ReadOnly
) -> PersonalDataExport:
    return await queries.personal_data(session, actor_id, principal)


@router.delete(
    "/{actor_id}/personal-data",
    operation_id="erasePersonalData",
    summary="Erase the actor's personal data (GDPR Art. 17)",
    description="Deletes the actor's contact persons, takes them out of the stored "
    "Idempotency-Key answers of its creation, and publishes "
    "`eu.synergia.registry.actor.personal-data-erased.v1`, on which every other service "
    "drops what it holds of them. For those who may change the actor: admins, or the "
    "actor itself as an SME or cluster manager (not a viewer or investor acting for it). "
    "Repeating it is harmless.",
    status_code=204,
    responses=NOT_FOUND,
)
async def erase_personal_data(actor_id: uuid.UUID, principal: Reader, session: Write) -> Response:
    _may_write(principal, actor_id)
    await service.erase_personal_data(session, actor_id)
    return Response(status_code=204)


@router.get(
    "/{actor_id}/shared-contacts",
    operation_id="getSharedContacts",
    summary="The actor's contact persons whose consent covers partners (for services)",
    description="For the services that show an actor's shared contacts (matching, funding): "
    "they fetch them here when an actor event says the actor has some, because contact "
    "persons never travel on the event log. Needs an API key with the scope "
    f"`{SHARED_CONTACTS_SCOPE}` (the services' credential, which opens nothing else) or an "
    "admin. `version` is the actor's version when they were read: a service drops an "
    "answer read before an erasure it has already applied.",
    response_model=SharedContacts,
    responses=NOT_FOUND,
)
async def get_shared_contacts(
    actor_id: uuid.UUID, _: SharedContactsReader, session: ReadOnly
) -> SharedContacts:
    return await queries.shared_contacts(session, actor_id)
