"""Pure rules about actors: no I/O, unit tested on their own.

The request models check each field alone; what depends on other fields (a NUTS region
must lie in the actor's country, a VAT number must be valid for it, a need must be a
request type) is checked here, on the whole profile, so that a partial update is checked
against the result it would produce.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from synergia_shared.reference.countries import Country, UnknownCountry, lookup_country
from synergia_shared.reference.identifiers import (
    InvalidIdentifier,
    validate_business_id,
    validate_pic,
    validate_vat,
)
from synergia_shared.reference.nace import InvalidNace, validate_nace
from synergia_shared.reference.nuts import InvalidNuts, validate_nuts
from synergia_shared.validity import is_expired

from synergia_registry.actors.schemas import NEED_TYPES, OFFER_TYPES, OfferNeedIn, ProfileFields

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class FieldError:
    loc: Loc
    msg: str

    def as_problem_error(self) -> dict[str, Any]:
        return {"loc": ["body", *self.loc], "msg": self.msg}


class InvalidProfile(ValueError):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors))
        self.errors = errors


def normalise_country(code: str) -> Country:
    """Accept ISO or EU codes (GR/EL, GB/UK) and return the stored EU form."""
    return lookup_country(code)


class IdentityFields(Protocol):
    """What says which organisation an actor is and where: a profile's fields, or a
    beneficiary's."""

    @property
    def country(self) -> str: ...
    @property
    def pic(self) -> str | None: ...
    @property
    def vat_number(self) -> str | None: ...
    @property
    def national_id(self) -> str | None: ...
    @property
    def national_id_scheme(self) -> str | None: ...
    @property
    def nuts_code(self) -> str | None: ...
    @property
    def nuts_version(self) -> str: ...


def normalise_identity(fields: IdentityFields) -> tuple[dict[str, Any], list[FieldError]]:
    """The stored form of the country, identifiers and region (only the fields that are
    given), and what is wrong with them: the part of :func:`normalise_profile` a bulk
    registration needs, without building a profile per item."""
    errors: list[FieldError] = []
    update: dict[str, Any] = {}

    try:
        country = normalise_country(fields.country).code
        update["country"] = country
    except UnknownCountry as exc:
        errors.append(FieldError(("country",), str(exc)))
        country = None

    if fields.pic is not None:
        try:
            update["pic"] = validate_pic(fields.pic)
        except InvalidIdentifier as exc:
            errors.append(FieldError(("pic",), str(exc)))

    if fields.vat_number is not None and country is not None:
        try:
            update["vat_number"] = validate_vat(fields.vat_number, country)
        except InvalidIdentifier as exc:
            errors.append(FieldError(("vat_number",), str(exc)))

    if fields.national_id is not None and country is not None:
        try:
            found = validate_business_id(fields.national_id, country, fields.national_id_scheme)
            update |= {"national_id": found.value, "national_id_scheme": found.scheme}
        except InvalidIdentifier as exc:
            errors.append(FieldError(("national_id",), str(exc)))
    elif fields.national_id is None and fields.national_id_scheme is not None:
        errors.append(
            FieldError(("national_id_scheme",), "a scheme without a national_id to go with it")
        )

    if fields.nuts_code is not None and country is not None:
        try:
            update["nuts_code"] = validate_nuts(fields.nuts_code, country, fields.nuts_version).code
        except InvalidNuts as exc:
            errors.append(FieldError(("nuts_code",), str(exc)))
    return update, errors


def normalise_profile(profile: ProfileFields, actor_id: uuid.UUID) -> ProfileFields:
    """The profile in its stored form (EU country code, canonical NACE, compact VAT), or
    :class:`InvalidProfile` listing every field that is wrong."""
    update, errors = normalise_identity(profile)

    nace_codes: list[str] = []
    for index, code in enumerate(profile.nace_codes):
        try:
            nace_codes.append(validate_nace(code, profile.nace_revision).code)
        except InvalidNace as exc:
            errors.append(FieldError(("nace_codes", index), str(exc)))
    update["nace_codes"] = list(dict.fromkeys(nace_codes))

    for field, allowed, word in (
        ("offers", OFFER_TYPES, "an offer"),
        ("needs", NEED_TYPES, "a need"),
    ):
        for index, item in enumerate(getattr(profile, field)):
            if item.type not in allowed:
                errors.append(
                    FieldError(
                        (field, index, "type"),
                        f"{item.type.value} is not {word}; use one of "
                        + ", ".join(sorted(t.value for t in allowed)),
                    )
                )

    years = [figures.year for figures in profile.financials]
    for index, year in enumerate(years):
        if years.index(year) != index:
            errors.append(FieldError(("financials", index, "year"), f"year {year} given twice"))

    owners = [owner.owner_actor_id for owner in profile.owners]
    for index, owner_id in enumerate(owners):
        if owner_id == actor_id:
            errors.append(
                FieldError(("owners", index, "owner_actor_id"), "an actor cannot own itself")
            )
        elif owners.index(owner_id) != index:
            errors.append(FieldError(("owners", index, "owner_actor_id"), "owner listed twice"))
    total = sum((owner.share_percent for owner in profile.owners), start=0)
    if total > 100:
        errors.append(FieldError(("owners",), f"the shares add up to {total} %, above 100 %"))

    if errors:
        raise InvalidProfile(errors)
    return profile.model_copy(update=update)


def past_validity_errors(
    profile: ProfileFields, today: date, stored: Collection[OfferNeedIn] = ()
) -> list[FieldError]:
    """Offers and needs whose ``valid_until`` is already over on ``today`` (UTC): an
    entry cannot be created expired. An entry already ``stored`` and sent back unchanged
    may keep its past date: a client that rewrites the whole list (lists are replaced
    whole) to change one entry must not have to drop or renew the others; it stays on
    the profile as expired. Changing an expired entry without renewing it is refused."""
    errors = []
    for field in ("offers", "needs"):
        for index, item in enumerate(getattr(profile, field)):
            if is_expired(item.valid_until, today) and item not in stored:
                errors.append(
                    FieldError(
                        (field, index, "valid_until"),
                        f"{item.valid_until} is in the past (today is {today}, UTC): give a "
                        "date from today on, or leave valid_until out",
                    )
                )
    return errors


def search_text(profile: ProfileFields) -> str:
    """What full-text search sees besides the names (which weigh more): description,
    keywords, competences, offers and needs."""
    parts: list[str] = [profile.description]
    parts.extend(profile.keywords)
    parts.extend(c.value.replace("_", " ") for c in profile.competences)
    for item in (*profile.offers, *profile.needs):
        parts.extend([item.title, item.description, *item.keywords])
    return "\n".join(part for part in parts if part)
