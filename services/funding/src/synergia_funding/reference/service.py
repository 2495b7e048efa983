"""Use cases of funding reference data: create (idempotent by natural code), replace
(If-Match), read and list funding sources; who may write which.

A source is identified by its natural code within its kind (:func:`natural_code`), so a
retried POST finds what the first one stored: with the same content it answers that
(200), with other content a 409 that points to PUT. An ESIF programme's lines live in
their own table; a POST or PUT states the whole plan and replaces them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.http import problems
from synergia_shared.http.auth import Principal, Role
from synergia_shared.http.pagination import bad_cursor, decode_cursor, encode_cursor
from synergia_shared.http.preconditions import check_version, etag_for
from synergia_shared.http.problems import ProblemException, invalid_field

from synergia_funding.reference import repository
from synergia_funding.reference.cci import parse_cci
from synergia_funding.reference.repository import ListFilters
from synergia_funding.reference.rules import check_rate_ceiling
from synergia_funding.reference.schemas import (
    EfsiOperationIn,
    EsifLine,
    EsifPlannedLineIn,
    EsifProgrammeIn,
    EsifTotal,
    EsifTotals,
    EsifTotalsBy,
    FstpCallIn,
    FundingSource,
    FundingSourceIn,
    FundingSourcePage,
    Horizon2020GrantIn,
    NationalProgrammeIn,
    NutsCode,
    PrivateInvestorIn,
    SourceKind,
)

AnySource = (
    Horizon2020GrantIn
    | FstpCallIn
    | EsifProgrammeIn
    | EfsiOperationIn
    | NationalProgrammeIn
    | PrivateInvestorIn
)
SOURCE_ADAPTER: TypeAdapter[AnySource] = TypeAdapter(FundingSourceIn)
NUTS_ADAPTER: TypeAdapter[str] = TypeAdapter(NutsCode)
# What an authority may write, within its region; every other kind is an admin's.
AUTHORITY_KINDS = frozenset({SourceKind.ESIF_PROGRAMME, SourceKind.NATIONAL_PROGRAMME})


# --- pure: identity, location, columns -------------------------------------------------------


def _name_key(name: str) -> str:
    """Names as codes: case and runs of spaces do not make another source."""
    return re.sub(r"\s+", " ", name).strip().casefold()


def natural_code(body: AnySource) -> str:
    """The code that identifies ``body`` among the sources of its kind."""
    match body:
        case Horizon2020GrantIn():
            return body.grant_agreement_number
        case FstpCallIn():
            # Call identifiers are chosen by each project: only unique within its grant.
            return f"{body.grant_agreement_number}/{body.call_identifier}"
        case EsifProgrammeIn():
            return body.cci
        case EfsiOperationIn():
            if body.operation_reference:
                return body.operation_reference
            return f"{body.window.value}/{_name_key(body.operation_name)}"
        case NationalProgrammeIn():
            return f"{body.region or body.country}/{_name_key(body.name)}"
        case PrivateInvestorIn():
            if body.actor_id is not None:
                return str(body.actor_id)
            return f"{body.country}/{_name_key(body.name)}"


def _programme_country(cci: str) -> str | None:
    country = parse_cci(cci).country
    return None if country == "TC" else country


def location(body: AnySource) -> tuple[list[str], str | None]:
    """The NUTS regions ``body`` is declared for, and its country (EU form)."""
    match body:
        case EsifProgrammeIn():
            return list(body.regions), _programme_country(body.cci)
        case NationalProgrammeIn():
            # A national programme covers its whole country: NUTS level 0 is the country.
            return [body.region or body.country], body.country
        case EfsiOperationIn() | PrivateInvestorIn():
            return [], body.country
        case _:
            return [], None


def display_name(body: AnySource) -> str:
    match body:
        case Horizon2020GrantIn():
            return body.acronym
        case FstpCallIn() | EsifProgrammeIn():
            return body.title
        case EfsiOperationIn():
            return body.operation_name
        case NationalProgrammeIn() | PrivateInvestorIn():
            return body.name


def columns(body: AnySource, updated_by: str) -> dict[str, Any]:
    """The ``funding_sources`` values of ``body`` (without id and version)."""
    regions, country = location(body)
    definition = body.model_dump(mode="json", exclude={"lines"})
    fstp = body if isinstance(body, FstpCallIn) else None
    return {
        "kind": body.kind,
        "code": natural_code(body),
        "name": display_name(body),
        "regions": regions,
        "nuts_closure": repository.nuts_closure(regions, country),
        "country": country,
        "project_id": fstp.value_chain_id if fstp else None,
        "per_third_party_cap": fstp.per_third_party_cap if fstp else None,
        "per_project_cap": fstp.per_project_cap if fstp else None,
        "call_budget": fstp.total_budget if fstp else None,
        "definition": definition,
        "updated_by": updated_by,
    }


def line_flags(
    eu: Decimal, total: Decimal, fund: Any, category: Any, stated: Decimal | None
) -> list[str]:
    flags = []
    if stated is None:
        flags.append("no stated co-financing rate: EU / total is used")
    if flag := check_rate_ceiling(eu, total, fund, category):
        flags.append(flag.message)
    return flags


def line_columns(line: EsifPlannedLineIn) -> dict[str, Any]:
    """The ``esif_programme_lines`` values of a requested line (without its programme)."""
    return {
        "fund": line.fund.value,
        "priority_axis": line.priority_axis,
        "thematic_objective": line.thematic_objective,
        "category_of_region": line.category_of_region.value if line.category_of_region else None,
        "eafrd_measure": line.eafrd_measure,
        "eafrd_focus_area": line.eafrd_focus_area,
        "eu_amount": line.eu_amount,
        "national_amount": line.national_amount,
        "total_amount": line.total,
        "stated_rate": line.co_financing_rate,
        "flags": line_flags(
            line.eu_amount,
            line.total,
            line.fund,
            line.category_of_region,
            line.co_financing_rate,
        ),
    }


def _canonical(body: AnySource) -> dict[str, Any]:
    """What two requests are compared on: values, not spellings (0.5 is 0.50) and for a
    plan the set of lines, with the total filled in."""
    content = body.model_dump(exclude={"lines"})
    if isinstance(body, EsifProgrammeIn):
        content["lines"] = sorted(
            (
                line.fund.value,
                line.priority_axis or "",
                line.thematic_objective or "",
                line.category_of_region.value if line.category_of_region else "",
                line.eafrd_measure or "",
                line.eafrd_focus_area or "",
                line.eu_amount,
                line.national_amount,
                line.total,
                line.co_financing_rate,
            )
            for line in body.lines
        )
    return content


def stored_request(row: Row[Any], lines: list[Row[Any]]) -> AnySource | None:
    """The request the row holds, revalidated; None when it is not one a client could
    have sent (a programme created by a CSV import has no managing authority)."""
    data = dict(row.definition)
    if row.kind == SourceKind.ESIF_PROGRAMME:
        data["lines"] = [
            {
                "fund": line.fund,
                "priority_axis": line.priority_axis,
                "thematic_objective": line.thematic_objective,
                "category_of_region": line.category_of_region,
                "eafrd_measure": line.eafrd_measure,
                "eafrd_focus_area": line.eafrd_focus_area,
                "eu_amount": line.eu_amount,
                "national_amount": line.national_amount,
                "total_amount": line.total_amount,
                "co_financing_rate": line.stated_rate,
            }
            for line in lines
        ]
    try:
        return SOURCE_ADAPTER.validate_python(data)
    except ValidationError:
        return None


def same_content(body: AnySource, row: Row[Any], lines: list[Row[Any]]) -> bool:
    stored = stored_request(row, lines)
    return stored is not None and _canonical(stored) == _canonical(body)


# --- pure: who may write -------------------------------------------------------------------


def may_write(principal: Principal, kind: str, regions: list[str]) -> bool:
    """Admins anything; an authority an ESIF or national/regional programme whose
    declared regions all lie in its own region (none declared: nothing to vouch for)."""
    if Role.ADMIN in principal.roles:
        return True
    region = (principal.region or "").upper()
    return (
        Role.AUTHORITY in principal.roles
        and bool(region)
        and kind in AUTHORITY_KINDS
        and bool(regions)
        and all(r.startswith(region) for r in regions)
    )


def forbidden(principal: Principal, kind: str, code: str, regions: list[str]) -> ProblemException:
    region = principal.region or "none"
    if kind not in AUTHORITY_KINDS:
        detail = (
            f"only an admin writes a {kind}; an authority writes ESIF programmes and national "
            f"or regional programmes within its own region ({region})"
        )
    elif not regions:
        detail = (
            f"{kind} {code} declares no NUTS region, so it is not within your region "
            f"{region}: declare its regions, or ask an admin"
        )
    else:
        detail = (
            f"{kind} {code} is declared for {', '.join(regions)}, not all within your region "
            f"{region}: an authority writes only within its own region"
        )
    return ProblemException(403, "forbidden", "Forbidden", detail)


def _check_may_write(principal: Principal, values: dict[str, Any]) -> None:
    if not may_write(principal, values["kind"], values["regions"]):
        raise forbidden(principal, values["kind"], values["code"], values["regions"])


# --- views ---------------------------------------------------------------------------------


def _line_view(line: Row[Any]) -> EsifLine:
    return EsifLine(
        fund=line.fund,
        priority_axis=line.priority_axis,
        thematic_objective=line.thematic_objective,
        category_of_region=line.category_of_region,
        eafrd_measure=line.eafrd_measure,
        eafrd_focus_area=line.eafrd_focus_area,
        eu_amount=line.eu_amount,
        national_amount=line.national_amount,
        total_amount=line.total_amount,
        co_financing_rate=line.stated_rate.normalize() if line.stated_rate is not None else None,
        flags=list(line.flags),
    )


def to_view(row: Row[Any], lines: list[Row[Any]]) -> FundingSource:
    is_esif = row.kind == SourceKind.ESIF_PROGRAMME
    return FundingSource(
        id=row.id,
        kind=row.kind,
        code=row.code,
        name=row.name,
        regions=list(row.regions),
        country=row.country,
        project_id=row.project_id,
        programme_version=row.programme_version,
        version=row.version,
        updated_by=row.updated_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        definition=row.definition,
        lines=[_line_view(line) for line in lines] if is_esif else None,
    )


def not_found(source_id: uuid.UUID) -> ProblemException:
    return problems.not_found(f"no funding source {source_id}")


def location_of(source_id: uuid.UUID) -> str:
    return f"/v1/funding-sources/{source_id}"


# --- use cases -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    view: FundingSource
    created: bool  # False: the same source was already stored


async def _view(session: AsyncSession, row: Row[Any]) -> FundingSource:
    lines = await repository.lines_of(session, [row.id])
    return to_view(row, lines.get(row.id, []))


async def create(session: AsyncSession, body: AnySource, principal: Principal) -> Created:
    values = columns(body, principal.subject)
    _check_may_write(principal, values)
    row = await repository.insert(session, {"id": uuid.uuid4(), **values})
    if row is not None:
        if isinstance(body, EsifProgrammeIn):
            await repository.replace_lines(session, row.id, [line_columns(x) for x in body.lines])
        return Created(await _view(session, row), created=True)
    existing = await repository.find(session, values["kind"], values["code"])
    assert existing is not None  # the insert conflicted with it, and nothing deletes
    lines = (await repository.lines_of(session, [existing.id])).get(existing.id, [])
    if not same_content(body, existing, lines):
        raise ProblemException(
            409,
            "conflict",
            "Conflict",
            f"{values['kind']} {values['code']} exists as {existing.id} with other content; "
            f"to change it, PUT {location_of(existing.id)} with If-Match: "
            f"{etag_for(existing.version)}",
            headers={"Location": location_of(existing.id), "ETag": etag_for(existing.version)},
        )
    return Created(to_view(existing, lines), created=False)


async def replace(
    session: AsyncSession,
    source_id: uuid.UUID,
    body: AnySource,
    principal: Principal,
    if_match: str | None,
) -> FundingSource:
    current = await repository.get(session, source_id, for_update=True)
    if current is None:
        raise not_found(source_id)
    # The caller must be allowed to write both what is there and what it would become.
    if not may_write(principal, current.kind, list(current.regions)):
        raise forbidden(principal, current.kind, current.code, list(current.regions))
    values = columns(body, principal.subject)
    _check_may_write(principal, values)
    check_version(if_match, current.version, f"funding source {source_id}")
    if values["kind"] != current.kind:
        raise invalid_field(
            ["body", "kind"], f"funding source {source_id} is a {current.kind}; a kind stays"
        )
    if values["code"] != current.code:
        other = await repository.find(session, values["kind"], values["code"])
        if other is not None:
            raise ProblemException(
                409,
                "conflict",
                "Conflict",
                f"{values['kind']} {values['code']} is already funding source {other.id}",
                headers={"Location": location_of(other.id)},
            )
    row = await repository.replace(session, source_id, values)
    if isinstance(body, EsifProgrammeIn):
        await repository.replace_lines(session, row.id, [line_columns(x) for x in body.lines])
    return await _view(session, row)


async def get(session: AsyncSession, source_id: uuid.UUID) -> FundingSource:
    row = await repository.get(session, source_id)
    if row is None:
        raise not_found(source_id)
    return await _view(session, row)


def region_filter(region: str | None) -> str | None:
    if region is None:
        return None
    try:
        return NUTS_ADAPTER.validate_python(region)
    except ValidationError as exc:
        raise invalid_field(["query", "region"], exc.errors()[0]["msg"]) from None


def _decode_after(cursor: str | None) -> tuple[str, str] | None:
    if cursor is None:
        return None
    kind, code = decode_cursor(cursor, 2)
    if not isinstance(kind, str) or not isinstance(code, str):
        raise bad_cursor()
    return kind, code


async def list_sources(
    session: AsyncSession, filters: ListFilters, *, cursor: str | None, limit: int
) -> FundingSourcePage:
    rows = await repository.list_page(
        session, filters, after=_decode_after(cursor), limit=limit + 1
    )
    page = rows[:limit]
    esif = [row.id for row in page if row.kind == SourceKind.ESIF_PROGRAMME]
    lines = await repository.lines_of(session, esif)
    next_cursor = encode_cursor([page[-1].kind, page[-1].code]) if len(rows) > limit else None
    return FundingSourcePage(
        items=[to_view(row, lines.get(row.id, [])) for row in page], next_cursor=next_cursor
    )


def _total(row: Row[Any]) -> EsifTotal:
    return EsifTotal(
        key=row.key,
        name=row.name,
        eu_amount=row.eu_amount,
        national_amount=row.national_amount,
        total_amount=row.total_amount,
        lines=row.lines,
        programmes=row.programmes,
    )


async def esif_totals(session: AsyncSession, by: EsifTotalsBy) -> EsifTotals:
    """The planned amounts of every stored ESIF line by ``by``, and in total (added up by
    the database, exactly: NUMERIC)."""
    items = await repository.esif_totals(session, by.value)
    (everything,) = await repository.esif_totals(session, None)
    return EsifTotals(by=by, items=[_total(row) for row in items], total=_total(everything))
