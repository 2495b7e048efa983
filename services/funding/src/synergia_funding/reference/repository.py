"""Every query on funding reference data: funding sources and ESIF programme lines."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Result,
    Row,
    Text,
    Uuid,
    any_,
    bindparam,
    cast,
    column,
    delete,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_funding.ledger.rules import FstpCaps
from synergia_funding.reference.models import (
    LINE_CONTENT,
    LINE_KEY,
    esif_programme_lines,
    funding_sources,
)

ESIF = "esif_programme"
FSTP = "fstp_call"
_src = funding_sources.c
_line = esif_programme_lines.c
TEXT_ARRAY = ARRAY(Text)


@dataclass(frozen=True)
class ListFilters:
    kind: str | None = None
    region: str | None = None  # a valid NUTS code (or country code)
    fund: str | None = None  # ESIF programmes with a line of this fund
    # ESIF programmes of territorial cooperation (CCI country TC), or all but them.
    interreg: bool | None = None


def is_interreg() -> ColumnElement[bool]:
    """An Interreg programme: its CCI's country part (characters 5-6) is TC."""
    return (_src.kind == ESIF) & (func.substr(_src.code, 5, 2) == "TC")


def enclosing(code: str) -> list[str]:
    """The region and every region containing it, down to the country: ITC41 → IT, ITC,
    ITC4, ITC41 (a NUTS code starts with the codes of the regions containing it)."""
    return [code[:n] for n in range(2, len(code) + 1)]


def nuts_closure(regions: Iterable[str], country: str | None) -> list[str]:
    """What ``nuts_closure`` stores: the declared regions, every region containing one of
    them, and the country."""
    codes = {prefix for region in regions for prefix in enclosing(region)}
    if country:
        codes.add(country)
    return sorted(codes)


def in_region(region: str) -> ColumnElement[bool]:
    """Sources located in ``region``: one of their regions lies in it, or contains it
    (a national programme covers each of its regions), or it is the source's country.
    Both tests are GIN-indexed array operators."""
    return or_(
        _src.nuts_closure.contains(literal([region], TEXT_ARRAY)),
        _src.regions.overlap(literal(enclosing(region), TEXT_ARRAY)),
    )


# --- funding sources -----------------------------------------------------------------------


async def get(
    session: AsyncSession, source_id: uuid.UUID, *, for_update: bool = False
) -> Row[Any] | None:
    query = select(funding_sources).where(_src.id == source_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def find(
    session: AsyncSession, kind: str, code: str, *, for_update: bool = False
) -> Row[Any] | None:
    query = select(funding_sources).where(_src.kind == kind, _src.code == code)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def insert(session: AsyncSession, values: Mapping[str, Any]) -> Row[Any] | None:
    """Insert version 1; ``None`` when the (kind, code) exists (perhaps since we looked)."""
    result = await session.execute(
        pg_insert(funding_sources)
        .values(**values, version=1)
        .on_conflict_do_nothing(index_elements=[_src.kind, _src.code])
        .returning(funding_sources)
    )
    row: Row[Any] | None = result.first()
    return row


async def replace(
    session: AsyncSession, source_id: uuid.UUID, values: Mapping[str, Any]
) -> Row[Any]:
    """Overwrite the row and move it to the next version."""
    result = await session.execute(
        update(funding_sources)
        .where(_src.id == source_id)
        .values(**values, version=_src.version + 1, updated_at=func.now())
        .returning(funding_sources)
    )
    row: Row[Any] = result.one()
    return row


async def list_page(
    session: AsyncSession,
    filters: ListFilters,
    *,
    after: tuple[str, str] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """A page in (kind, code) order, the unique key: keyset pagination on its index."""
    query = select(funding_sources)
    if filters.kind is not None:
        query = query.where(_src.kind == filters.kind)
    if filters.region is not None:
        query = query.where(in_region(filters.region))
    if filters.fund is not None:
        query = query.where(exists().where(_line.source_id == _src.id, _line.fund == filters.fund))
    if filters.interreg is not None:
        query = query.where(is_interreg() if filters.interreg else ~is_interreg())
    if after is not None:
        query = query.where(tuple_(_src.kind, _src.code) > tuple_(*after))
    query = query.order_by(_src.kind, _src.code).limit(limit)
    return (await session.execute(query)).all()


# --- ESIF programme lines ------------------------------------------------------------------


async def lines_of(
    session: AsyncSession, source_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    """The lines of each programme, in plan order (fund, priority axis, ...)."""
    found: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    if not source_ids:
        return found
    rows = await session.execute(
        select(esif_programme_lines)
        .where(_line.source_id.in_(list(source_ids)))
        .order_by(
            _line.source_id,
            _line.fund,
            _line.priority_axis.nulls_first(),
            _line.thematic_objective.nulls_first(),
            _line.category_of_region.nulls_first(),
            _line.eafrd_measure.nulls_first(),
            _line.eafrd_focus_area.nulls_first(),
        )
    )
    for row in rows:
        found[row.source_id].append(row)
    return found


async def replace_lines(
    session: AsyncSession, source_id: uuid.UUID, lines: Sequence[Mapping[str, Any]]
) -> None:
    """A programme's whole plan, as a PUT or POST states it."""
    await session.execute(delete(esif_programme_lines).where(_line.source_id == source_id))
    if lines:
        await session.execute(
            esif_programme_lines.insert(), [{**line, "source_id": source_id} for line in lines]
        )


# Joins a line's flags into one text for the unnest below (flags never hold it): a text[]
# per line cannot travel in one array parameter, PostgreSQL arrays being rectangular.
FLAG_SEPARATOR = "\x1f"
# The columns of a line as :func:`upsert_lines` takes it, in order.
UPSERT_COLUMNS = (*LINE_KEY, *LINE_CONTENT)
UUID_ARRAY = ARRAY(Uuid)
LineKey = tuple[str | None, ...]  # LINE_KEY without source_id


def _json_rows(name: str, columns: Sequence[str]) -> Any:
    """Rows from one JSON parameter ``name``: an array of arrays, one per row, the cells in
    ``columns`` order, each cast to its column's type (flags: their joined text).

    One parameter for a whole batch: asyncpg encodes an array parameter element by
    element, checking each against collections.abc, which for the columns of 2,000 lines
    took longer than PostgreSQL took to write them (about 45 ms, against 7 ms for
    json.dumps)."""
    cells = func.jsonb_array_elements(cast(bindparam(name, type_=Text), JSONB)).table_valued(
        "value"
    )
    return select(
        *(
            _cell(cells.c.value, position, name, esif_programme_lines.c[name].type)
            for position, name in enumerate(columns)
        )
    ).subquery(name)


def _cell(row: Any, position: int, name: str, type_: Any) -> Any:
    text = row.op("->>")(literal_column(str(position)))
    if name == "flags":
        return func.string_to_array(text, FLAG_SEPARATOR).label(name)
    return (text if isinstance(type_, Text) else cast(text, type_)).label(name)


def _json(rows: Iterable[Sequence[Any]]) -> str:
    """``rows`` for :func:`_json_rows` (ids and amounts as their text)."""
    return json.dumps(list(rows), default=str, separators=(",", ":"))


def _key_of(columns: Any) -> Any:
    """A line's key within its programme as one array value: arrays compare NULL elements
    as equal (as the unique key does, NULLS NOT DISTINCT), and hash, so a set of lines
    joins to the stored ones by (source_id, key) in one hash join."""
    return postgresql.array([columns[name] for name in LINE_KEY[1:]])


def _insert_statement() -> Any:
    incoming = _json_rows("lines", UPSERT_COLUMNS)
    return pg_insert(esif_programme_lines).from_select(
        list(UPSERT_COLUMNS), select(*(incoming.c[name] for name in UPSERT_COLUMNS))
    )


_INSERT = _insert_statement()


def _lines_json(lines: Sequence[Sequence[Any]]) -> str:
    """Lines as tuples in :data:`UPSERT_COLUMNS` order, for :func:`_json_rows` (the flags,
    last, as their joined text)."""
    # A programme's id is written as text once, not on each of its lines.
    ids = {source_id: str(source_id) for source_id in {line[0] for line in lines}}
    return _json((ids[line[0]], *line[1:-1], FLAG_SEPARATOR.join(line[-1])) for line in lines)


async def insert_lines(session: AsyncSession, lines: Sequence[Sequence[Any]]) -> int:
    """Insert the lines of programmes that have none yet (created in this transaction), as
    :func:`upsert_lines` takes them; how many. A plain insert: no stored line to compare
    with, and no speculative insertion (ON CONFLICT costs PostgreSQL a third more)."""
    if not lines:
        return 0
    await session.execute(_INSERT, {"lines": _lines_json(lines)})
    return len(lines)


def _upsert_statement() -> Any:
    incoming = _json_rows("lines", UPSERT_COLUMNS)
    held = esif_programme_lines.alias("held")
    # Leave out what is stored as it is before the upsert: ON CONFLICT would lock (write)
    # every conflicting row even when its WHERE leaves it alone, so a file imported again
    # would still write a tuple per line.
    unchanged = exists().where(
        held.c.source_id == incoming.c.source_id,
        _key_of(held.c) == _key_of(incoming.c),
        *(held.c[name].is_not_distinct_from(incoming.c[name]) for name in LINE_CONTENT),
    )
    statement = pg_insert(esif_programme_lines).from_select(
        list(UPSERT_COLUMNS),
        select(*(incoming.c[name] for name in UPSERT_COLUMNS)).where(~unchanged),
    )
    changed = or_(
        *(
            esif_programme_lines.c[column].is_distinct_from(statement.excluded[column])
            for column in LINE_CONTENT
        )
    )
    written = (
        statement.on_conflict_do_update(
            index_elements=[esif_programme_lines.c[column] for column in LINE_KEY],
            set_={
                **{column: statement.excluded[column] for column in LINE_CONTENT},
                "updated_at": func.now(),
            },
            where=changed,
        )
        .returning(_line.source_id, literal_column("xmax = 0", Boolean).label("created"))
        .cte("written")
    )
    # Counted per programme in the database: a row per programme, not per line.
    return select(
        written.c.source_id,
        func.count().filter(written.c.created).label("created"),
        func.count().filter(~written.c.created).label("updated"),
    ).group_by(written.c.source_id)


_UPSERT = _upsert_statement()


@dataclass(frozen=True)
class LinesWritten:
    """What an upsert wrote of one programme's lines."""

    source_id: uuid.UUID
    created: int
    updated: int  # existing lines whose amounts, rate or flags changed


async def upsert_lines(session: AsyncSession, lines: Sequence[Sequence[Any]]) -> list[LinesWritten]:
    """Insert lines (tuples in :data:`UPSERT_COLUMNS` order, flags a sequence of texts),
    or update the stored line of the same key whose content differs, in one statement;
    what was written, per programme.

    A line equal to the stored one is not written at all, so it is not counted:
    re-importing a file changes nothing. ``xmax = 0`` tells a freshly inserted row from an
    updated one. Each key must occur once in ``lines`` (PostgreSQL refuses to update a row
    twice in one statement).
    """
    if not lines:
        return []
    result = await session.execute(_UPSERT, {"lines": _lines_json(lines)})
    return [LinesWritten(row.source_id, row.created, row.updated) for row in result]


# --- ESIF programmes by CCI, for the import ---------------------------------------------------

_PROGRAMMES = select(
    _src.id, _src.code, _src.name, _src.regions, _src.country, _src.programme_version
).where(_src.kind == ESIF, _src.code == any_(bindparam("codes", type_=TEXT_ARRAY)))


async def programmes(session: AsyncSession, ccis: Collection[str]) -> dict[str, Row[Any]]:
    """The stored ESIF programmes among ``ccis``, by CCI: what an import needs of them (id,
    code, name, regions, country, programme_version)."""
    if not ccis:
        return {}
    # One array parameter: an IN list would render a bound parameter per CCI on each call.
    rows: Result[Any] = await session.execute(_PROGRAMMES, {"codes": list(ccis)})
    found: dict[str, Row[Any]] = {row.code: row for row in rows}
    return found


# The columns of a programme as :func:`insert_programmes` takes it.
_PROGRAMME_COLUMNS = (
    "id",
    "kind",
    "code",
    "name",
    "regions",
    "nuts_closure",
    "country",
    "definition",
    "programme_version",
    "updated_by",
)


def _insert_programmes_statement() -> Any:
    # One JSON parameter, a record per programme: SQLAlchemy binding a list of parameter
    # sets processes every value of each (the definition's JSON, the arrays) in Python.
    given = (
        func.jsonb_to_recordset(cast(bindparam("programmes", type_=Text), JSONB))
        .table_valued(*(column(name, _src[name].type) for name in _PROGRAMME_COLUMNS))
        .render_derived("given", with_types=True)
    )
    return (
        pg_insert(funding_sources)
        .from_select(
            [*_PROGRAMME_COLUMNS, "version"],
            select(*(given.c[name] for name in _PROGRAMME_COLUMNS), literal(1, Integer)),
        )
        .on_conflict_do_nothing(index_elements=[_src.kind, _src.code])
        .returning(_src.code, _src.id)
    )


_INSERT_PROGRAMMES = _insert_programmes_statement()


async def insert_programmes(
    session: AsyncSession, values: Sequence[Mapping[str, Any]]
) -> dict[str, uuid.UUID]:
    """Insert new programmes (their :data:`_PROGRAMME_COLUMNS`) at version 1, in one
    statement; the CCIs actually inserted, with their ids (a concurrent import may have
    inserted some first: those are left out)."""
    if not values:
        return {}
    given = json.dumps(
        [{name: v[name] for name in _PROGRAMME_COLUMNS} for v in values], default=str
    )
    result = await session.execute(_INSERT_PROGRAMMES, {"programmes": given})
    return {row.code: row.id for row in result}


async def retitle(session: AsyncSession, source_id: uuid.UUID, title: str) -> None:
    await session.execute(
        update(funding_sources)
        .where(_src.id == source_id)
        .values(
            name=title,
            definition=func.jsonb_set(
                _src.definition, literal(["title"], TEXT_ARRAY), func.to_jsonb(title)
            ),
        )
    )


def _retire_statement() -> Any:
    kept = _json_rows("kept", LINE_KEY)
    return delete(esif_programme_lines).where(
        _line.source_id == any_(bindparam("replaced", type_=UUID_ARRAY)),
        ~exists().where(kept.c.source_id == _line.source_id, _key_of(kept.c) == _key_of(_line)),
    )


_RETIRE = _retire_statement()


async def retire_lines(session: AsyncSession, keep: Mapping[uuid.UUID, Collection[LineKey]]) -> int:
    """Delete the lines of each programme in ``keep`` whose key is not among its keys
    (a newer version of the plan no longer has them), in one statement; how many went."""
    if not keep:
        return 0
    kept = _json((source_id, *key) for source_id, keys in keep.items() for key in keys)
    result = await session.execute(_RETIRE, {"kept": kept, "replaced": list(keep)})
    gone: int = result.rowcount  # type: ignore[attr-defined]
    return gone


def _next_versions_statement() -> Any:
    moved = select(
        func.unnest(bindparam("source_ids", type_=UUID_ARRAY)).label("source_id"),
        func.unnest(bindparam("held", type_=ARRAY(Integer))).label("held"),
    ).subquery("moved")
    return (
        update(funding_sources)
        .where(_src.id == moved.c.source_id)
        .values(
            version=_src.version + 1,
            programme_version=func.coalesce(moved.c.held, _src.programme_version),
            updated_by=bindparam("by"),
            updated_at=func.now(),
        )
    )


_NEXT_VERSIONS = _next_versions_statement()


async def next_versions(
    session: AsyncSession, held: Mapping[uuid.UUID, int | None], by: str
) -> None:
    """Move changed sources to their next version (one step per import, not per line), and
    record the programme version (``Ver``) now held where one is given: one statement."""
    if held:
        await session.execute(
            _NEXT_VERSIONS, {"source_ids": list(held), "held": list(held.values()), "by": by}
        )


# --- planned totals --------------------------------------------------------------------------

# What the totals are grouped by: a column expression of the lines joined to their sources.
TOTAL_KEYS: dict[str, ColumnElement[Any]] = {
    "country": func.coalesce(_src.country, "TC"),
    "fund": _line.fund,
    "programme": _src.code,
    "thematic-objective": _line.thematic_objective,
}


async def esif_totals(session: AsyncSession, by: str | None) -> Sequence[Row[Any]]:
    """EU, national and total planned amounts of every stored ESIF line, added up by
    ``by`` (a key of :data:`TOTAL_KEYS`) in key order (no key last), with a programme's
    name; ``by=None``: one row, everything."""
    sums = (
        func.coalesce(func.sum(_line.eu_amount), 0).label("eu_amount"),
        func.coalesce(func.sum(_line.national_amount), 0).label("national_amount"),
        func.coalesce(func.sum(_line.total_amount), 0).label("total_amount"),
        func.count().label("lines"),
        func.count(func.distinct(_line.source_id)).label("programmes"),
    )
    joined = esif_programme_lines.join(funding_sources, _src.id == _line.source_id)
    if by is None:
        none = literal(None, Text)
        query = select(none.label("key"), none.label("name"), *sums).select_from(joined)
        return (await session.execute(query)).all()
    key = TOTAL_KEYS[by]
    name = func.min(_src.name) if by == "programme" else literal(None, Text)
    query = (
        select(key.label("key"), name.label("name"), *sums)
        .select_from(joined)
        .group_by(key)
        .order_by(key.asc().nulls_last())
    )
    return (await session.execute(query)).all()


# --- for the ledger ------------------------------------------------------------------------


async def fstp_caps(
    session: AsyncSession, project_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, FstpCaps]:
    """The FSTP caps of each project (value chain) in ``project_ids``, from its stored
    FSTP calls; a project without calls gets the defaults (€60,000 per third party, no
    project limit). Every id asked for is in the answer.

    With several calls:

    - **per third party**: the smallest of the calls' caps. The ledger adds up what a
      third party receives across the project without knowing which call each
      commitment answers, and Art. 23(7) caps support per third party per action, so
      the strictest call's cap is the one that can be checked without false comfort.
    - **per project** (:attr:`FstpCaps.per_project`, the FSTP the project passes on in
      total): the sum of the calls' total budgets, or None as soon as one call states no
      budget (then nothing bounds the total). The calls' own ``per_project_cap`` is not
      used here: it caps each *funded project* of a call (several SMEs applying
      together), which ledger entries do not identify, and summing it would flag a
      project whose calls fund several such projects. It stays stored in its column.
    """
    wanted = list(dict.fromkeys(project_ids))
    caps = {project: FstpCaps() for project in wanted}
    if not wanted:
        return caps
    rows = await session.execute(
        select(
            _src.project_id,
            func.min(_src.per_third_party_cap).label("per_third_party"),
            func.sum(_src.call_budget).label("budgets"),
            func.bool_and(_src.call_budget.is_not(None)).label("all_budgeted"),
        )
        .where(_src.kind == FSTP, _src.project_id.in_(wanted))
        .group_by(_src.project_id)
    )
    for row in rows:
        total: Decimal | None = row.budgets if row.all_budgeted else None
        caps[row.project_id] = FstpCaps(per_third_party=row.per_third_party, per_project=total)
    return caps
