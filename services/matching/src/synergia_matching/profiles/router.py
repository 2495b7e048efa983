"""HTTP for the actor_profiles projection."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from synergia_shared.http.auth import ALL_ROLES, Principal, require
from synergia_shared.http.problems import PROBLEM_RESPONSES, Problem
from synergia_shared.http.transactions import ReadOnly
from synergia_shared.projections.actor_views import not_known_here
from synergia_shared.validity import utc_today

from synergia_matching.profiles import repository, rules
from synergia_matching.profiles.schemas import Profile

router = APIRouter(prefix="/v1/profiles", tags=["profiles"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Principal, Depends(require(*ALL_ROLES))]


@router.get(
    "/{actor_id}",
    operation_id="getProfile",
    summary="Partner profile of one actor",
    description="The actor's profile as kept from the registry's events: identity, place, "
    "sectors, ecosystems, competences, offers and needs (those past their valid_until, "
    "UTC, marked expired: they no longer count in matching), SME category, whether it is "
    "active, and the contact persons who consented to be shown to partners. Eventually "
    "consistent with the registry; 404 until the registration has arrived.",
    response_model=Profile,
    responses={404: {"model": Problem, "description": "Not known here (yet)"}},
)
async def get_profile(actor_id: uuid.UUID, _: Reader, session: ReadOnly) -> Profile:
    row = await repository.get(session, actor_id)
    if row is None:
        raise not_known_here(actor_id)
    return rules.mark_expired(Profile.model_validate(row, from_attributes=True), utc_today())
