"""Use cases of S3 priorities: read a region's, and replace them (If-Match)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.http.auth import Principal
from synergia_shared.http.preconditions import check_version
from synergia_shared.http.problems import ProblemException, validation_problem
from synergia_shared.reference.nace import InvalidNace, validate_nace
from synergia_shared.reference.nuts import InvalidNuts, NutsRegion, validate_nuts

from synergia_matching.regions import repository, rules
from synergia_matching.regions.schemas import PriorityDomain, S3Priorities, S3PrioritiesIn

# Regions are named as actors are located: NUTS 2024, or 2021 for H2020-era data.
NUTS_VERSIONS = ("2024", "2021")


def region(nuts_code: str) -> NutsRegion:
    code = nuts_code.strip().upper()
    first_error: InvalidNuts | None = None
    for version in NUTS_VERSIONS:
        try:
            return validate_nuts(code, code[:2], version)
        except InvalidNuts as exc:
            first_error = first_error or exc
    raise validation_problem([{"loc": ["path", "nuts"], "msg": str(first_error)}])


def _canonical_domains(body: S3PrioritiesIn) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    domains = []
    for i, domain in enumerate(body.domains):
        codes = []
        for j, code in enumerate(domain.nace_codes):
            try:
                codes.append(validate_nace(code).code)
            except InvalidNace as exc:
                errors.append({"loc": ["body", "domains", i, "nace_codes", j], "msg": str(exc)})
        data = domain.model_dump(mode="json")
        data["nace_codes"] = list(dict.fromkeys(codes))
        data["ecosystems"] = list(dict.fromkeys(data["ecosystems"]))
        data["keywords"] = list(dict.fromkeys(data["keywords"]))
        domains.append(data)
    if errors:
        raise validation_problem(errors)
    return domains


def _view(place: NutsRegion, row: Row[Any] | None) -> S3Priorities:
    if row is None:
        return S3Priorities(
            nuts_code=place.code,
            region_name=place.name,
            domains=[],
            version=0,
            updated_by=None,
            updated_at=None,
        )
    return S3Priorities(
        nuts_code=place.code,
        region_name=place.name,
        domains=[PriorityDomain.model_validate(d) for d in row.domains],
        version=row.version,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


async def get(session: AsyncSession, nuts_code: str) -> S3Priorities:
    place = region(nuts_code)
    return _view(place, await repository.get(session, place.code))


async def replace(
    session: AsyncSession,
    nuts_code: str,
    body: S3PrioritiesIn,
    principal: Principal,
    if_match: str | None,
) -> S3Priorities:
    place = region(nuts_code)
    if not rules.may_set(principal, place.code):
        raise ProblemException(
            403,
            "forbidden",
            "Forbidden",
            f"only an admin or the authority of {place.code} (or a region containing it) "
            f"may set its S3 priorities; your region is {principal.region or 'none'}",
        )
    domains = _canonical_domains(body)
    current = await repository.get(session, place.code, for_update=True)
    what = f"the S3 priorities of {place.code}"
    if current is None:
        check_version(if_match, 0, what)
        created = await repository.create(session, place.code, domains, principal.subject)
        if created is None:
            # Another writer created them since we looked: the version this write was
            # based on (none, "0") is gone, a 412 against what is stored now.
            stored = await repository.get(session, place.code)
            check_version(if_match, stored.version if stored is not None else 1, what)
            raise AssertionError("If-Match was checked against 0 above")
        return _view(place, created)
    check_version(if_match, current.version, what)
    return _view(place, await repository.replace(session, place.code, domains, principal.subject))
