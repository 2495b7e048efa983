"""The API's view of a stored actor, for the read side (``queries``) and the write side
(``service``) alike: a stored row as an :class:`Actor`, loading one actor's row, and the
404 of an unknown one. Neither side depends on the other for it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.http import problems
from synergia_shared.http.problems import ProblemException
from synergia_shared.validity import is_expired, utc_today

from synergia_registry.actors import repository
from synergia_registry.actors.rules import normalise_country
from synergia_registry.actors.schemas import (
    NEED_TYPES,
    OFFER_TYPES,
    Actor,
    ContactPerson,
    OfferNeed,
    Owner,
    SmeSummary,
    YearFigures,
)

# The offer and need types an actor's row aggregates its offers and needs by.
OFFER_VALUES = tuple(sorted(t.value for t in OFFER_TYPES))
NEED_VALUES = tuple(sorted(t.value for t in NEED_TYPES))


def not_found(actor_id: uuid.UUID) -> ProblemException:
    return problems.not_found(f"no actor {actor_id}")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _offer_needs(raw: Any, today: date) -> list[OfferNeed]:
    items = [OfferNeed.model_validate(o) for o in _json(raw)]
    for item in items:
        item.expired = is_expired(item.valid_until, today)
    return items


def to_view(row: Mapping[Any, Any], *, show_contacts: bool, today: date | None = None) -> Actor:
    """The API's view of an actor from a :func:`repository.full_actor_select` row (a
    SQLAlchemy row's ``_mapping`` or an ``asyncpg.Record``); its offers and needs marked
    expired as of ``today`` (UTC, by default the current day)."""
    today = today or utc_today()
    country = normalise_country(row["country"])
    assessment = _json(row["sme_assessment"]) or {}
    return Actor(
        id=row["id"],
        legal_name=row["legal_name"],
        short_name=row["short_name"],
        kind=row["kind"],
        country=country.code,
        country_name=country.name,
        country_standing=country.standing,
        country_standing_horizon_europe=country.horizon_europe,
        pic=row["pic"],
        vat_number=row["vat_number"],
        national_id=row["national_id"],
        national_id_scheme=row["national_id_scheme"],
        website=row["website"],
        description=row["description"],
        nuts_code=row["nuts_code"],
        nuts_version=row["nuts_version"],
        nace_codes=row["nace_codes"],
        nace_revision=row["nace_revision"],
        ecosystems=row["ecosystems"],
        competences=row["competences"],
        keywords=row["keywords"],
        language=row["language"],
        offers=_offer_needs(row["offers"], today),
        needs=_offer_needs(row["needs"], today),
        sme_declared=row["sme_declared"],
        financials=[YearFigures.model_validate(f) for f in _json(row["financials"])],
        owners=[Owner.model_validate(o) for o in _json(row["owners"])],
        contacts=[ContactPerson.model_validate(c) for c in _json(row["contacts"])]
        if show_contacts
        else None,
        sme=SmeSummary(
            declared=row["sme_declared"],
            computed=row["sme_category"],
            contradicts_declared=bool(assessment.get("contradicts_declared", False)),
            autonomy=assessment.get("autonomy"),
        ),
        active=row["active"],
        deactivated_at=row["deactivated_at"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def load(
    session: AsyncSession, actor_id: uuid.UUID, *, for_update: bool = False
) -> Row[Any] | None:
    return await repository.get_full(
        session, actor_id, OFFER_VALUES, NEED_VALUES, for_update=for_update
    )
