"""HTTP for actors: parse, authorise, call the service, shape the response."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from synergia_shared.db import unit_of_work
from synergia_shared.http import idempotency
from synergia_shared.http.auth import ALL_ROLES, Principal, Role, require
from synergia_shared.http.problems import PROBLEM_RESPONSES, Problem, ProblemException

from synergia_registry.actors import service
from synergia_registry.actors.rules import etag_for
from synergia_registry.actors.schemas import Actor, ActorCreate

router = APIRouter(prefix="/v1/actors", tags=["actors"], responses=PROBLEM_RESPONSES)

Writer = Annotated[Principal, Depends(require(Role.ADMIN, Role.CLUSTER_MANAGER, Role.SME))]
Reader = Annotated[Principal, Depends(require(*ALL_ROLES))]


@router.post(
    "",
    operation_id="registerActor",
    summary="Register an innovation actor",
    description="Creates the actor and publishes `eu.synergia.registry.actor.registered.v1`. "
    "Send an `Idempotency-Key` to make a retry return the first result.",
    status_code=201,
    response_model=Actor,
    responses={
        201: {
            "headers": {
                "Location": {"schema": {"type": "string"}},
                "ETag": {"schema": {"type": "string"}},
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
    request: Request,
    body: ActorCreate,
    principal: Writer,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    async def create(session: idempotency.AsyncSession) -> idempotency.StoredResponse:
        actor = await service.register(session, body)
        return idempotency.StoredResponse(
            201,
            actor.model_dump_json().encode(),
            {"Location": f"/v1/actors/{actor.id}", "ETag": etag_for(actor.version)},
        )

    stored, replayed = await idempotency.run_once(
        request.app.state.sessions,
        principal=principal.subject,
        key=idempotency_key,
        fingerprint=idempotency.request_fingerprint("POST", request.url.path, await request.body()),
        create=create,
    )
    headers = dict(stored.headers)
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(stored.body, stored.status_code, headers, media_type="application/json")


@router.get(
    "/{actor_id}",
    operation_id="getActor",
    summary="One innovation actor",
    description="The actor with its current version in the `ETag` header (use it with "
    "`If-Match` on updates).",
    response_model=Actor,
    responses={
        200: {"headers": {"ETag": {"schema": {"type": "string"}, "description": "Version"}}},
        404: {"model": Problem, "description": "No such actor"},
    },
)
async def get_actor(request: Request, actor_id: uuid.UUID, _: Reader) -> JSONResponse:
    async with unit_of_work(request.app.state.sessions) as session:
        actor = await service.get(session, actor_id)
    if actor is None:
        raise ProblemException(404, "not-found", "Not Found", f"no actor {actor_id}")
    return JSONResponse(actor.model_dump(mode="json"), headers={"ETag": etag_for(actor.version)})
