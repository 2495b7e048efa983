"""The queries of beneficiary registration: a few statements for a whole batch."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Row, Select, Text, and_, any_, bindparam, func, select, union
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.db import copy_records
from synergia_shared.reference.identifiers import BusinessId

from synergia_registry.actors.models import actor_external_ids, actors
from synergia_registry.beneficiaries.rules import KnownActor

_a = actors.c
_KNOWN = (
    _a.id,
    _a.legal_name,
    _a.country,
    _a.nuts_code,
    _a.pic,
    _a.vat_number,
    _a.national_id_scheme,
    _a.national_id,
    _a.name_key,
    _a.active,
)
_TEXTS = ARRAY(Text)


def _texts(name: str, values: Collection[str]) -> Any:
    """One array parameter, whatever the number of values (one statement to prepare)."""
    return bindparam(name, sorted(values), type_=_TEXTS)


def _known(row: Row[Any]) -> KnownActor:
    national = (
        BusinessId(row.national_id_scheme, row.national_id) if row.national_id is not None else None
    )
    return KnownActor(
        row.id,
        row.legal_name,
        row.country,
        row.nuts_code,
        row.pic,
        row.vat_number,
        national,
        row.name_key,
        row.active,
    )


def _pairs(name: str, pairs: Collection[tuple[str, str]], first: str, second: str) -> Any:
    """The pairs as a derived table ``name(first, second)``: two array parameters."""
    firsts, seconds = zip(*sorted(pairs), strict=True)
    return (
        func.unnest(_texts(f"{name}_{first}", firsts), _texts(f"{name}_{second}", seconds))
        .table_valued(first, second)
        .render_derived(name=name)
    )


async def external_ids(
    session: AsyncSession, sender: str, wanted: Collection[str]
) -> dict[str, uuid.UUID]:
    """The actors this sender named by these external ids before."""
    if not wanted:
        return {}
    e = actor_external_ids.c
    rows = await session.execute(
        select(e.external_id, e.actor_id).where(
            e.sender == sender, e.external_id == any_(_texts("external_ids", wanted))
        )
    )
    return {row.external_id: row.actor_id for row in rows}


async def actors_by_identifiers(
    session: AsyncSession,
    pics: Collection[str],
    vats: Collection[str],
    national_ids: Collection[tuple[str, str]],
) -> list[KnownActor]:
    """Every actor holding one of the PICs, VAT numbers or (scheme, value) pairs: one
    statement, a UNION whose parts each use their own index."""
    parts: list[Select[Any]] = []
    if pics:
        parts.append(select(*_KNOWN).where(_a.pic == any_(_texts("pics", pics))))
    if vats:
        parts.append(select(*_KNOWN).where(_a.vat_number == any_(_texts("vats", vats))))
    if national_ids:
        wanted = _pairs("nids", national_ids, "scheme", "value")
        parts.append(
            select(*_KNOWN).join(
                wanted,
                and_(_a.national_id_scheme == wanted.c.scheme, _a.national_id == wanted.c.value),
            )
        )
    if not parts:
        return []
    rows = await session.execute(union(*parts) if len(parts) > 1 else parts[0])
    return [_known(row) for row in rows]


async def active_actors_named(
    session: AsyncSession, names: Collection[tuple[str, str]]
) -> list[KnownActor]:
    """Active actors whose (country, name key) is one of ``names``."""
    if not names:
        return []
    wanted = _pairs("names", names, "country", "key")
    query: Select[Any] = (
        select(*_KNOWN)
        .join(wanted, and_(_a.country == wanted.c.country, _a.name_key == wanted.c.key))
        .where(_a.active.is_(True))
    )
    return [_known(row) for row in await session.execute(query)]


async def record_external_ids(
    session: AsyncSession, sender: str, pairs: Sequence[tuple[str, uuid.UUID]]
) -> None:
    """Remember which actor each external id names (one COPY). A pair a concurrent batch
    recorded first raises ``IntegrityError``."""
    if pairs:
        await copy_records(
            session,
            actor_external_ids.name,
            ("sender", "external_id", "actor_id"),
            [(sender, external_id, actor_id) for external_id, actor_id in pairs],
        )
