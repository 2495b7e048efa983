"""Every query on S3 priorities."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ARRAY, Row, Text, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_matching.regions.models import s3_priorities


async def get(
    session: AsyncSession, nuts_code: str, *, for_update: bool = False
) -> Row[Any] | None:
    query = select(s3_priorities).where(s3_priorities.c.nuts_code == nuts_code)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def create(
    session: AsyncSession, nuts_code: str, domains: list[dict[str, Any]], updated_by: str
) -> Row[Any] | None:
    """Insert version 1; ``None`` when a concurrent writer created it first."""
    result = await session.execute(
        pg_insert(s3_priorities)
        .values(nuts_code=nuts_code, domains=domains, version=1, updated_by=updated_by)
        .on_conflict_do_nothing()
        .returning(s3_priorities)
    )
    row: Row[Any] | None = result.first()
    return row


async def replace(
    session: AsyncSession, nuts_code: str, domains: list[dict[str, Any]], updated_by: str
) -> Row[Any]:
    result = await session.execute(
        update(s3_priorities)
        .where(s3_priorities.c.nuts_code == nuts_code)
        .values(
            domains=domains,
            version=s3_priorities.c.version + 1,
            updated_by=updated_by,
            updated_at=func.now(),
        )
        .returning(s3_priorities)
    )
    row: Row[Any] = result.one()
    return row


async def covering(
    session: AsyncSession, codes: Iterable[str]
) -> dict[str, Sequence[dict[str, Any]]]:
    """The priority domains set for any of ``codes``."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await session.execute(
        select(s3_priorities.c.nuts_code, s3_priorities.c.domains).where(
            s3_priorities.c.nuts_code.in_(wanted)
        )
    )
    return {row.nuts_code: row.domains for row in rows}


async def all_strategies(session: AsyncSession) -> dict[str, Sequence[dict[str, Any]]]:
    rows = await session.execute(select(s3_priorities.c.nuts_code, s3_priorities.c.domains))
    return {row.nuts_code: row.domains for row in rows}


_KEYWORDS_FOUND = text(
    """
SELECT k FROM unnest(:keywords) AS k
WHERE numnode(phraseto_tsquery('english', k)) > 0
  AND EXISTS (SELECT 1 FROM unnest(:pieces) AS t
              WHERE to_tsvector('english', t) @@ phraseto_tsquery('english', k))
"""
).bindparams(bindparam("keywords", type_=ARRAY(Text)), bindparam("pieces", type_=ARRAY(Text)))


async def keywords_found(
    session: AsyncSession, keywords: Sequence[str], pieces: Sequence[str]
) -> set[str]:
    """The S3 keywords found in any of ``pieces`` (what is sought: its keywords, its
    text, the synonyms of its terms), each as a phrase on its stems under the English
    configuration: "battery collection" is in "collection of batteries"? No; in
    "batteries collection points", yes. A phrase never spans two pieces."""
    if not keywords or not pieces:
        return set()
    rows = await session.scalars(
        _KEYWORDS_FOUND, {"keywords": list(keywords), "pieces": list(pieces)}
    )
    return set(rows.all())
