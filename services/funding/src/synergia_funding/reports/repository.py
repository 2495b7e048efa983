"""Every query of the funding reports.

Totals are summed in PostgreSQL, because a value chain, a region or a large beneficiary
can have many entries. They are sums over ``ledger_nets`` (a region's: over totals kept
from it, below): one row per *original* entry (neither ``reverses`` nor ``adjusts``)
with the columns reports group by and its net amount, which the ledger writer keeps in
the transaction that records each correction (:mod:`synergia_funding.ledger.decide`).
The net is the pure fold's (:func:`synergia_funding.ledger.balances.resolve`):

* an original counts its amount plus the amounts of its live adjustments, or nothing
  once any entry reverses it;
* an adjustment counts only when it adjusts an original directly and is not itself
  reversed; it counts in its original's line (the original's kind, source, fund, timing,
  project, region: a correction's own copies of those fields are never read);
* reversals, and corrections whose target has not arrived or may not be corrected, add
  nothing.

The scope of a report (a project, a NUTS prefix, a beneficiary) is a condition on the
originals. A region's scope (its originals, and all the money of its projects with ESIF)
can be most of the ledger, so its sums come from totals already grouped by region and by
project, which triggers on ``ledger_nets`` keep (:mod:`synergia_funding.reports.totals`).
``tests/integration/test_funding_report_sql.py`` checks
``ledger.repository.rebuild_nets`` (the same fold in SQL) and these sums against the
pure fold on random ledgers with corrections; ``tests/integration/test_authority_events.py``
checks that the nets the writer keeps equal the rebuilt ones.

Only small sets are loaded as entries and folded in Python: a single undertaking's de
minimis aid, and the entries a value chain's rule flags need.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    TextClause,
    and_,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from synergia_funding.beneficiaries.models import beneficiaries
from synergia_funding.ledger import codec
from synergia_funding.ledger.entries import EU_SOURCES, Entry, EntryKind, Source
from synergia_funding.ledger.models import (
    ledger_entries,
    ledger_esif_project_regions,
    ledger_nets,
    ledger_project_totals,
    ledger_region_totals,
)
from synergia_funding.ledger.repository import linked_enterprises

le = ledger_entries
nets = ledger_nets
ZERO = Decimal("0.00")
# A source line: what the reports' figures are broken down by.
LINE = ("source", "fund", "private_timing")
_ENTRY_COLUMNS = [le.c[name] for name in codec.ENTRY_FIELDS]


@dataclass(frozen=True)
class NetRow:
    """One group of originals: the grouping values and the net committed / claimed /
    disbursed after corrections, with how many originals it holds."""

    key: tuple[Any, ...]
    committed: Decimal
    cost_claimed: Decimal
    disbursed: Decimal
    originals: int


def _net_totals(scope: ColumnElement[bool], group_by: Sequence[str]) -> Select[Any]:
    """Net sums of the originals in ``scope`` (conditions on ``ledger_nets``), grouped by
    their columns ``group_by``: one narrow row per original, its net kept by the writer."""
    return _sums(nets, nets.c.net, func.count(), scope, group_by)


def _summed_totals(table: Table, scope: ColumnElement[bool]) -> Select[Any]:
    """The same sums from a totals table (``ledger_region_totals``,
    ``ledger_project_totals``): a group's figures are the sums of its appended rows, and
    a group whose originals are all gone (a rebuild removed them) has no line."""
    totals = _sums(table, table.c.net, func.sum(table.c.originals), scope, LINE)
    return totals.having(func.sum(table.c.originals) > 0)


def _sums(
    table: Table,
    net: ColumnElement[Decimal],
    originals: ColumnElement[Any],
    scope: ColumnElement[bool],
    group_by: Sequence[str],
) -> Select[Any]:
    keys = [table.c[c] for c in group_by]

    def of(kind: EntryKind) -> ColumnElement[Decimal]:
        return func.coalesce(func.sum(net).filter(table.c.kind == kind.value), literal(ZERO)).label(
            kind.value
        )

    return (
        select(
            *keys,
            of(EntryKind.COMMITMENT),
            of(EntryKind.COST_ITEM),
            of(EntryKind.DISBURSEMENT),
            originals.label("originals"),
        )
        .where(scope)
        .group_by(*keys)
    )


async def net_totals(
    session: AsyncSession, scope: ColumnElement[bool], group_by: Sequence[str]
) -> list[NetRow]:
    return await _net_rows(session, _net_totals(scope, group_by), len(group_by))


async def _net_rows(session: AsyncSession, query: Select[Any], n: int) -> list[NetRow]:
    rows = await session.execute(query)
    return [
        NetRow(
            key=tuple(row[:n]),
            committed=row.commitment,
            cost_claimed=row.cost_item,
            disbursed=row.disbursement,
            originals=int(row.originals),
        )
        for row in rows
    ]


# --- scopes ------------------------------------------------------------------------------


def in_project(project_id: uuid.UUID) -> ColumnElement[bool]:
    return nets.c.project_id == project_id


def of_beneficiary(actor_id: uuid.UUID) -> ColumnElement[bool]:
    return nets.c.beneficiary_id == actor_id


def in_region(table: Table, nuts_prefix: str) -> ColumnElement[bool]:
    """Rows located in a NUTS region or any region below it.

    ``nuts_prefix`` is a validated NUTS code (letters and digits only), so it needs no
    LIKE escaping; the tables' btree indexes on ``region_nuts text_pattern_ops`` serve
    the prefix.
    """
    return table.c.region_nuts.like(nuts_prefix.upper() + "%")


def _esif_projects(nuts_prefix: str) -> Select[Any]:
    """The projects with one or more ESIF originals located in the region."""
    esif = ledger_esif_project_regions
    return (
        select(esif.c.project_id)
        .where(in_region(esif, nuts_prefix))
        .group_by(esif.c.project_id)
        .having(func.sum(esif.c.originals) > 0)
    )


# --- reports' queries --------------------------------------------------------------------


async def beneficiary_totals(session: AsyncSession, actor_id: uuid.UUID) -> list[NetRow]:
    """A beneficiary's net totals by source line and instrument."""
    return await net_totals(session, of_beneficiary(actor_id), (*LINE, "instrument_id"))


async def project_lines(session: AsyncSession, project_id: uuid.UUID) -> list[NetRow]:
    return await net_totals(session, in_project(project_id), LINE)


async def project_budget_by_beneficiary(
    session: AsyncSession, project_id: uuid.UUID, sources: Collection[Source]
) -> list[NetRow]:
    """Net amounts per beneficiary of a project's money from ``sources`` (the SME share)."""
    scope = and_(in_project(project_id), nets.c.source.in_([s.value for s in sources]))
    return await net_totals(session, scope, ("beneficiary_id",))


async def region_lines(session: AsyncSession, nuts_prefix: str) -> list[NetRow]:
    scope = in_region(ledger_region_totals, nuts_prefix)
    return await _net_rows(session, _summed_totals(ledger_region_totals, scope), len(LINE))


async def region_project_lines(session: AsyncSession, nuts_prefix: str) -> list[NetRow]:
    """Lines of all the money, wherever located, of the projects with ESIF in the region."""
    totals = ledger_project_totals
    scope = totals.c.project_id.in_(_esif_projects(nuts_prefix))
    return await _net_rows(session, _summed_totals(totals, scope), len(LINE))


async def count_projects_with_esif(session: AsyncSession, nuts_prefix: str) -> int:
    count = select(func.count()).select_from(_esif_projects(nuts_prefix).subquery())
    return int((await session.execute(count)).scalar_one())


async def sme_categories(
    session: AsyncSession, actor_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str | None]:
    """The registry's SME category of each actor known here (None when not computed);
    actors whose registration has not arrived are missing from the result."""
    if not actor_ids:
        return {}
    rows = await session.execute(
        select(beneficiaries.c.actor_id, beneficiaries.c.sme_category).where(
            beneficiaries.c.actor_id.in_(list(actor_ids))
        )
    )
    return {row.actor_id: row.sme_category for row in rows}


async def _entries(session: AsyncSession, condition: ColumnElement[bool]) -> dict[uuid.UUID, Entry]:
    rows = await session.execute(select(*_ENTRY_COLUMNS).where(condition))
    return {row.entry_id: codec.from_row(row._mapping) for row in rows}


async def with_corrections(
    session: AsyncSession, entries: dict[uuid.UUID, Entry]
) -> dict[uuid.UUID, Entry]:
    """``entries`` and every correction of them, and the corrections of those (a reversal
    of an adjustment): what the fold needs to net them."""
    out = dict(entries)
    frontier = list(entries)
    while frontier:
        found = await _entries(
            session,
            or_(
                and_(le.c.reverses.is_not(None), le.c.reverses == func.any(frontier)),
                and_(le.c.adjusts.is_not(None), le.c.adjusts == func.any(frontier)),
            ),
        )
        frontier = [i for i in found if i not in out]
        out.update(found)
    return out


async def de_minimis_entries(session: AsyncSession, members: Collection[uuid.UUID]) -> list[Entry]:
    """The de minimis aid granted to an undertaking's members, with its corrections."""
    if not members:
        return []
    originals = await _entries(
        session,
        and_(
            le.c.beneficiary_id == func.any(list(members)),
            le.c.is_de_minimis,
            le.c.reverses.is_(None),
            le.c.adjusts.is_(None),
        ),
    )
    return list((await with_corrections(session, originals)).values())


async def project_rule_entries(
    session: AsyncSession, project_id: uuid.UUID
) -> tuple[list[Entry], set[uuid.UUID]]:
    """The entries the rules need to judge a project: its own originals and corrections,
    plus what its beneficiaries have elsewhere that a project rule can meet — de minimis
    aid of their single undertakings, and the EU money funding the same cost items.
    Returns the entries and the ids of the project's own originals."""
    own = await _entries(
        session,
        and_(le.c.project_id == project_id, le.c.reverses.is_(None), le.c.adjusts.is_(None)),
    )
    if not own:
        return [], set()
    beneficiaries_ = {e.beneficiary_id for e in own.values()}
    groups = await linked_enterprises(session, beneficiaries_)
    members = set().union(*groups.values()) if groups else set()
    elsewhere = and_(
        le.c.reverses.is_(None),
        le.c.adjusts.is_(None),
        or_(le.c.project_id.is_(None), le.c.project_id != project_id),
    )
    # Two statements rather than one OR, so each is served by the beneficiary index.
    extra = await _entries(
        session,
        and_(le.c.beneficiary_id == func.any(sorted(members)), le.c.is_de_minimis, elsewhere),
    )
    cost_items = {
        (e.beneficiary_id, e.cost_item_ref)
        for e in own.values()
        if e.cost_item_ref is not None and e.source in EU_SOURCES
    }
    if cost_items:
        same_items = await _entries(
            session,
            and_(
                le.c.beneficiary_id == func.any(sorted({b for b, _ in cost_items})),
                le.c.cost_item_ref == func.any(sorted({c for _, c in cost_items})),
                le.c.source.in_(sorted(s.value for s in EU_SOURCES)),
                elsewhere,
            ),
        )
        extra.update(
            (i, e)
            for i, e in same_items.items()
            if (e.beneficiary_id, e.cost_item_ref) in cost_items
        )
    everything = await with_corrections(session, {**own, **extra})
    return list(everything.values()), set(own)


# --- the region totals' compaction (synergia_funding.reports.totals) ----------------------

# "FUNG": after the ledger writer's lock classes (ledger.repository).
COMPACTION_LOCK_CLASS = 0x46554E47


@dataclass(frozen=True)
class _Totals:
    table: str
    keys: tuple[str, ...]  # never NULL
    nullable_keys: tuple[str, ...]
    sums: tuple[str, ...]

    def compaction(self) -> TextClause:
        keys = ", ".join((*self.keys, *self.nullable_keys))
        same = " AND ".join(
            [f"t.{k} = a.{k}" for k in self.keys]
            + [f"t.{k} IS NOT DISTINCT FROM a.{k}" for k in self.nullable_keys]
        )
        sums = ", ".join(f"sum({s})" for s in self.sums)
        nonzero = " OR ".join(f"sum({s}) <> 0" for s in self.sums)
        # Names are this module's constants, not input.
        return text(
            f"""
            WITH appended AS (
                SELECT DISTINCT {keys} FROM {self.table} WHERE NOT compacted
            ), folded AS (
                DELETE FROM {self.table} AS t USING appended AS a WHERE {same}
                RETURNING t.*
            ), kept AS (
                INSERT INTO {self.table} ({keys}, {", ".join(self.sums)}, compacted)
                SELECT {keys}, {sums}, true FROM folded GROUP BY {keys} HAVING {nonzero}
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM folded) AS folded, (SELECT count(*) FROM kept) AS kept
            """  # noqa: S608
        )


_LINE = ("source", "kind")
_NULLABLE_LINE = ("fund", "private_timing")
TOTALS = (
    _Totals("ledger_region_totals", ("region_nuts", *_LINE), _NULLABLE_LINE, ("net", "originals")),
    _Totals("ledger_project_totals", ("project_id", *_LINE), _NULLABLE_LINE, ("net", "originals")),
    _Totals("ledger_esif_project_regions", ("project_id", "region_nuts"), (), ("originals",)),
)
_COMPACTIONS = [t.compaction() for t in TOTALS]


async def take_compaction_turn(session: AsyncSession) -> bool:
    """Whether this transaction may compact: replicas take turns, none waits."""
    taken = await session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:class, 0)"), {"class": COMPACTION_LOCK_CLASS}
    )
    return bool(taken)


async def fold_appended_totals(session: AsyncSession) -> tuple[int, int]:
    """Fold each group with appended rows into one row, in every totals table: (rows
    folded, rows they became)."""
    folded = kept = 0
    for statement in _COMPACTIONS:
        row = (await session.execute(statement)).one()
        folded += row.folded
        kept += row.kept
    return folded, kept
