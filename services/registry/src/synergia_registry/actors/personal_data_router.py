"""HTTP for data subjects' requests by person: find and erase a contact person's data
across actors, by e-mail (admins only; the e-mail travels in the body, never the URL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from synergia_shared.http.auth import Principal, Role, require
from synergia_shared.http.problems import PROBLEM_RESPONSES
from synergia_shared.http.transactions import ReadOnly, Write

from synergia_registry.actors import queries, service
from synergia_registry.actors.schemas import (
    ActorErasure,
    PersonalDataFound,
    PersonErased,
    PersonQuery,
)

router = APIRouter(prefix="/v1", tags=["actors"], responses=PROBLEM_RESPONSES)

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


@router.post(
    "/personal-data:find",
    operation_id="findPersonalData",
    summary="Find a person's data across actors, by e-mail (GDPR Art. 15)",
    description="Every contact person the registry holds with this e-mail (compared "
    "without case), with the actor holding it. Admins only.",
    response_model=PersonalDataFound,
)
async def find_personal_data(body: PersonQuery, _: Admin, session: ReadOnly) -> PersonalDataFound:
    return await queries.person(session, body.email)


@router.post(
    "/personal-data:erase",
    operation_id="erasePersonByEmail",
    summary="Erase a person's data across actors, by e-mail (GDPR Art. 17)",
    description="Deletes every contact person with this e-mail (compared without case) "
    "from every actor holding one, and announces each such actor with "
    "`eu.synergia.registry.actor.personal-data-erased.v1` (its other contact persons stay; "
    "the event says how many shared ones remain). Takes the contacts out of the stored "
    "Idempotency-Key answers of those actors' creation. Admins only; repeating it erases "
    "nothing more and announces nothing.",
    response_model=PersonErased,
)
async def erase_person(body: PersonQuery, _: Admin, session: Write) -> PersonErased:
    erased = await service.erase_person(session, body.email)
    return PersonErased(
        email=body.email,
        erased_at=datetime.now(UTC),
        actors=[ActorErasure(actor_id=a, contacts_erased=n) for a, n in erased],
    )
