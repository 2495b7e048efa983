"""The ledger's SQL: entries (insert only), parked entries, single undertakings, locks."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, delete, func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from synergia_shared.db import copy_records
from synergia_shared.messaging.inbox import in_batch

from synergia_funding.ledger import codec
from synergia_funding.ledger.entries import SME_CATEGORIES, Entry
from synergia_funding.ledger.models import (
    ledger_entries,
    ledger_nets,
    parked_entries,
)

# The first half of every advisory lock key of the ledger, so they cannot meet another
# feature's locks: "FUND" in ASCII.
LOCK_CLASS = 0x46554E44

_ENTRY_COLUMNS = [ledger_entries.c[name] for name in codec.ENTRY_FIELDS]
_UPSERT_PARKED = pg_insert(parked_entries)
# A row refused earlier (by a rule or by expiry) and parked again by a new copy of the
# item starts afresh: its clock (expiry counts from ``parked_at``) and what it refers to.
_WAS_REFUSED = parked_entries.c.state == "rejected"
_PARK = _UPSERT_PARKED.on_conflict_do_update(
    index_elements=[parked_entries.c.entry_id],
    set_={
        **{
            name: _UPSERT_PARKED.excluded[name]
            for name in ("entry", "waiting_for", "reason", "state", "problem")
        },
        "refers_to": case(
            (_WAS_REFUSED, _UPSERT_PARKED.excluded.refers_to),
            else_=parked_entries.c.refers_to.op("||")(_UPSERT_PARKED.excluded.refers_to),
        ),
        "parked_at": case((_WAS_REFUSED, func.now()), else_=parked_entries.c.parked_at),
    },
)


# --- Locks -------------------------------------------------------------------------------


def lock_key(scope: uuid.UUID) -> int:
    """A 32-bit key for an undertaking or project (a collision only serialises more)."""
    return int.from_bytes(scope.bytes[:4], "big", signed=True)


# Locks on a beneficiary's arrival (its registration reaching funding), a class of their
# own: a writer takes them before the scope locks, so the order of all ledger locks is
# (class, key) and two writers cannot wait for each other.
ARRIVAL_LOCK_CLASS = 0x46554E45


async def lock_arrivals(session: AsyncSession, actor_ids: Iterable[uuid.UUID]) -> None:
    """Serialise deciding on whether these beneficiaries are known with their arrival.

    Without it a writer could find an actor unknown and park its item while the
    actor's registration, not yet committed, finds nothing parked to release: the item
    would wait until it expired. Taken before any read, by the writer and by the
    arrival alike, one of them sees the other's commit."""
    await _advisory(session, ARRIVAL_LOCK_CLASS, actor_ids)


async def lock_scopes(session: AsyncSession, scopes: Iterable[uuid.UUID]) -> None:
    """Serialise the writers of the same single undertakings and projects until commit.

    The rules read an undertaking's and a project's entries and decide on a new one; two
    writers deciding at once could each stay under a ceiling that together they break.
    Keys are taken in ascending order, so two batches cannot wait for each other.
    """
    await _advisory(session, LOCK_CLASS, scopes)


class LedgerBusy(Exception):
    """Another writer holds a ledger lock that an event applied within a batch needs."""


async def _advisory(session: AsyncSession, lock_class: int, scopes: Iterable[uuid.UUID]) -> None:
    keys = sorted({lock_key(s) for s in scopes})
    if not keys:
        return
    if not in_batch(session):
        await session.execute(
            text(
                "SELECT pg_advisory_xact_lock(:class, k) "
                "FROM (SELECT k FROM unnest(CAST(:keys AS int[])) AS k ORDER BY k) AS ordered"
            ),
            {"class": lock_class, "keys": keys},
        )
        return
    # A consumer's batch holds the locks of the events before this one, not in
    # ascending order with these: waiting could close a cycle with a writer (a request
    # would then fail on the deadlock). So a busy lock fails the batch instead, and its
    # events are applied again one at a time, each waiting in the writers' order.
    taken = await session.scalar(
        text(
            "SELECT bool_and(pg_try_advisory_xact_lock(:class, k)) "
            "FROM (SELECT k FROM unnest(CAST(:keys AS int[])) AS k ORDER BY k) AS ordered"
        ),
        {"class": lock_class, "keys": keys},
    )
    if not taken:
        raise LedgerBusy(f"a ledger lock of class {lock_class:#x} is held by another writer")


# --- Single undertakings -----------------------------------------------------------------

_LINKED = text(
    """
    WITH RECURSIVE reach(start, member) AS (
        SELECT s, s FROM unnest(CAST(:ids AS uuid[])) AS s
        UNION
        SELECT r.start,
               CASE WHEN l.actor_id = r.member THEN l.owner_actor_id ELSE l.actor_id END
        FROM reach AS r
        JOIN ownership_links AS l
          ON (l.actor_id = r.member OR l.owner_actor_id = r.member)
         AND (l.share_percent > 50 OR l.controls)
    )
    SELECT start, member FROM reach
    """
)


async def linked_enterprises(
    session: AsyncSession, actor_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    """Each actor's single undertaking: itself and every enterprise linked to it through
    a majority share or control, followed both ways and transitively."""
    if not actor_ids:
        return {}
    groups: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    rows = await session.execute(_LINKED, {"ids": list(actor_ids)})
    for start, member in rows:
        groups[start].add(member)
    return {actor: frozenset(groups.get(actor, {actor})) for actor in actor_ids}


# The actors among :ids that parked entries wait for, with the projects of those entries,
# in one statement (no entry is decoded: what waits is read again, locked, to decide it).
_AWAITED = text(
    "SELECT DISTINCT a AS actor, CAST(entry->>'project_id' AS uuid) AS project "
    "FROM parked_entries, unnest(waiting_for) AS a "
    "WHERE state = 'waiting' AND waiting_for && CAST(:ids AS uuid[]) "
    "AND a = ANY(CAST(:ids AS uuid[]))"
)


async def awaited_among(
    session: AsyncSession, actor_ids: Collection[uuid.UUID]
) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """The actors among these whose arrival parked entries wait for (only theirs need
    deciding: ``service.beneficiaries_arrived``), and the projects of those entries."""
    if not actor_ids:
        return set(), set()
    rows = list(await session.execute(_AWAITED, {"ids": list(actor_ids)}))
    return {row.actor for row in rows}, {row.project for row in rows if row.project is not None}


# One array parameter: an IN list would be a new statement for every batch size.
_KNOWN = text("SELECT actor_id FROM beneficiaries WHERE actor_id = ANY(CAST(:ids AS uuid[]))")


async def known_beneficiaries(
    session: AsyncSession, actor_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """The actors among these whose registration has reached funding (projected)."""
    if not actor_ids:
        return set()
    rows = await session.execute(_KNOWN, {"ids": list(actor_ids)})
    return set(rows.scalars())


async def smes_among(session: AsyncSession, actor_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    if not actor_ids:
        return set()
    rows = await session.execute(
        _SMES, {"ids": list(actor_ids), "categories": sorted(SME_CATEGORIES)}
    )
    return set(rows.scalars())


_SMES = text(
    "SELECT actor_id FROM beneficiaries WHERE actor_id = ANY(CAST(:ids AS uuid[])) "
    "AND sme_category = ANY(CAST(:categories AS text[]))"
)


# --- Entries -----------------------------------------------------------------------------

# Reads and writes of a batch take its ids as one array parameter each: one statement
# whatever the batch's size, compiled once (an IN list is compiled anew for every size,
# and a multi-row VALUES too). The SQL is built from the column names (constants).
_COLUMNS = ", ".join(codec.ENTRY_FIELDS)
_STORED = text(
    f"SELECT {_COLUMNS}, flags FROM ledger_entries "  # noqa: S608
    "WHERE entry_id = ANY(CAST(:ids AS uuid[]))"
)
_IN_SCOPE = text(
    f"SELECT {_COLUMNS} FROM ledger_entries "  # noqa: S608
    "WHERE beneficiary_id = ANY(CAST(:beneficiaries AS uuid[])) "
    "OR project_id = ANY(CAST(:projects AS uuid[])) "
    "OR entry_id = ANY(CAST(:ids AS uuid[]))"
)


async def stored_entries(
    session: AsyncSession, entry_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, tuple[Entry, list[dict[str, Any]]]]:
    """Entries already recorded under these ids, with the flags raised when they were."""
    if not entry_ids:
        return {}
    rows = await session.execute(_STORED, {"ids": list(entry_ids)})
    return {row.entry_id: (codec.from_row(row._mapping), list(row.flags)) for row in rows}


async def entries_in_scope(
    session: AsyncSession,
    *,
    beneficiaries: Collection[uuid.UUID],
    projects: Collection[uuid.UUID],
    entry_ids: Collection[uuid.UUID],
) -> list[Entry]:
    """Every entry a rule may need to decide on new entries of these beneficiaries (their
    whole single undertakings) and projects, and the entries they refer to."""
    if not (beneficiaries or projects or entry_ids):
        return []
    rows = await session.execute(
        _IN_SCOPE,
        {
            "beneficiaries": list(beneficiaries),
            "projects": list(projects),
            "ids": list(entry_ids),
        },
    )
    return [codec.from_row(row._mapping) for row in rows]


class LostRace(Exception):
    """Another writer recorded or parked, under an id this batch was about to take, an
    entry this batch did not see when it decided: decide again with it in view."""


async def insert_entries(
    session: AsyncSession, recorded: Sequence[tuple[Entry, list[dict[str, Any]]]]
) -> None:
    """Record entries with one COPY (a quarter of an INSERT's client work per row). Their
    ids are this batch's (claimed, or their parked rows held), so none can be taken: a
    broken invariant fails the batch with ``IntegrityError``, it never overwrites."""
    if recorded:
        await copy_records(
            session,
            ledger_entries.name,
            _COPIED_COLUMNS,
            ((*codec.to_record(entry), _flags_json(flags)) for entry, flags in recorded),
        )


_COPIED_COLUMNS = (*codec.ENTRY_FIELDS, "flags")


def _flags_json(flags: list[dict[str, Any]]) -> str:
    return json.dumps(flags) if flags else "[]"


# --- Claims: where two writers of one entry id meet --------------------------------------

_CLAIM = text(
    "INSERT INTO ledger_entry_ids (entry_id) "
    "SELECT id FROM unnest(CAST(:ids AS uuid[])) AS id ORDER BY id "
    "ON CONFLICT DO NOTHING RETURNING entry_id"
)
_UNCLAIM = text("DELETE FROM ledger_entry_ids WHERE entry_id = ANY(CAST(:ids AS uuid[]))")
# Within a consumer's batch a claim waits this long at most for another writer's
# uncommitted claim of the same id: the batch then fails and is applied again one event
# at a time (as for a busy ledger lock), rather than waiting while holding its locks.
BATCH_CLAIM_WAIT = "200ms"
_LOCK_NOT_AVAILABLE = "55P03"
_LOCK_TIMEOUT = text("SELECT set_config('lock_timeout', :value, true)")


async def claim_ids(session: AsyncSession, entry_ids: Collection[uuid.UUID]) -> None:
    """Claim the ids of entries this batch newly records or parks, all or none.

    Replaces a lock per entry id: the unique key does the meeting. An id another
    writer claimed first (committed, or committing while this insert waited for it)
    is not returned; the claims taken are then given back and :class:`LostRace` is
    raised, for the caller to decide the batch again, now seeing that writer's entry
    (a replay or a conflict, exactly as if the two batches had come one after the
    other). Ids are claimed in ascending order, so two batches never wait for each
    other both ways."""
    if not entry_ids:
        return
    ids = list(entry_ids)
    if not in_batch(session):
        claimed = set((await session.execute(_CLAIM, {"ids": ids})).scalars())
    else:
        before = await session.scalar(text("SELECT current_setting('lock_timeout')"))
        await session.execute(_LOCK_TIMEOUT, {"value": BATCH_CLAIM_WAIT})
        try:
            claimed = set((await session.execute(_CLAIM, {"ids": ids})).scalars())
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                raise LedgerBusy("an entry id of the batch is claimed by another writer") from exc
            raise
        await session.execute(_LOCK_TIMEOUT, {"value": before})
    if len(claimed) != len(set(ids)):
        if claimed:
            await session.execute(_UNCLAIM, {"ids": list(claimed)})
        raise LostRace("an entry id of the batch was taken by another writer meanwhile")


# --- Parked entries ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParkedRow:
    """A parked entry as stored: waiting (for ``waiting_for``) or rejected (``problem``),
    with the sender's names of the entries it refers to (``refers_to``: id -> name)."""

    entry: Entry
    state: str
    problem: dict[str, Any] | None
    waiting_for: list[uuid.UUID]
    refers_to: dict[str, str]


def _parked_row(row: Any) -> ParkedRow:
    return ParkedRow(
        entry=codec.from_row(row.entry),
        state=row.state,
        problem=row.problem,
        waiting_for=list(row.waiting_for),
        refers_to=dict(row.refers_to),
    )


async def parked(
    session: AsyncSession, entry_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, ParkedRow]:
    """Parked entries under these ids."""
    if not entry_ids:
        return {}
    rows = await session.execute(
        select(parked_entries).where(parked_entries.c.entry_id.in_(list(entry_ids)))
    )
    return {row.entry_id: _parked_row(row) for row in rows}


_PARKED_FOR_BATCH = text(
    "SELECT entry_id, entry, state, problem, waiting_for, refers_to FROM parked_entries "
    "WHERE entry_id = ANY(CAST(:ids AS uuid[])) "
    "OR (state = 'waiting' AND waiting_for && CAST(:ids AS uuid[])) "
    "ORDER BY entry_id FOR UPDATE"
)


async def lock_parked(
    session: AsyncSession, entry_ids: Collection[uuid.UUID]
) -> tuple[dict[uuid.UUID, ParkedRow], list[Entry]]:
    """The parked entries a batch of these ids may change, locked until commit in one
    statement (in id order, so two batches cannot wait for each other both ways): those
    under these ids (any state), and those waiting for any of them. A writer that comes
    second waits here, then reads what the first one left.

    Within a consumer's batch a row another writer holds fails the batch at once
    (:class:`LedgerBusy`), as a busy ledger lock does."""
    if not entry_ids:
        return {}, []
    ids = list(entry_ids)
    statement = _PARKED_FOR_BATCH
    if in_batch(session):
        statement = text(str(_PARKED_FOR_BATCH) + " NOWAIT")
    try:
        rows = list(await session.execute(statement, {"ids": ids}))
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise LedgerBusy("a parked entry of the batch is held by another writer") from exc
        raise
    wanted = set(ids)
    own: dict[uuid.UUID, ParkedRow] = {}
    waiting: list[Entry] = []
    for row in rows:
        stored = _parked_row(row)
        if row.entry_id in wanted:
            own[row.entry_id] = stored
        if row.state == "waiting" and wanted.intersection(row.waiting_for):
            waiting.append(stored.entry)
    return own, waiting


async def park(
    session: AsyncSession,
    waiting: Sequence[tuple[Entry, list[uuid.UUID], str]],
    names: Mapping[uuid.UUID, str],
) -> None:
    """Park entries (or update what a parked one waits for), with the sender's ids of
    what they wait for where ``names`` knows them."""
    if not waiting:
        return
    rows = [
        {
            "entry_id": entry.entry_id,
            "external_system": entry.external_system,
            "external_id": entry.external_id,
            "entry": codec.to_json(entry),
            "waiting_for": missing,
            "refers_to": {str(m): names[m] for m in missing if m in names},
            "reason": reason,
            "state": "waiting",
            "problem": None,
        }
        for entry, missing, reason in waiting
    ]
    await session.execute(_PARK, rows)


_UNPARK = text("DELETE FROM parked_entries WHERE entry_id = ANY(CAST(:ids AS uuid[]))")
_REJECT_PARKED = text(
    """
    UPDATE parked_entries AS p
    SET state = 'rejected', problem = CAST(r.problem AS jsonb), waiting_for = '{}'
    FROM unnest(CAST(:ids AS uuid[]), CAST(:problems AS text[])) AS r(entry_id, problem)
    WHERE p.entry_id = r.entry_id
    """
)


async def unpark(session: AsyncSession, entry_ids: Collection[uuid.UUID]) -> None:
    """Forget parked entries that are now recorded."""
    if entry_ids:
        await session.execute(_UNPARK, {"ids": list(entry_ids)})


async def reject_parked(
    session: AsyncSession, rejected: Sequence[tuple[uuid.UUID, dict[str, Any]]]
) -> None:
    """Keep parked entries that broke a rule once applicable, with the reason."""
    if rejected:
        await session.execute(
            _REJECT_PARKED,
            {
                "ids": [entry_id for entry_id, _ in rejected],
                "problems": [json.dumps(problem) for _, problem in rejected],
            },
        )


_WAITING_COLUMNS = (
    parked_entries.c.entry_id,
    parked_entries.c.external_system,
    parked_entries.c.external_id,
    parked_entries.c.entry["kind"].astext.label("kind"),
    parked_entries.c.waiting_for,
    parked_entries.c.refers_to,
    parked_entries.c.parked_at,
)
# Oldest first; the key of keyset pagination and of the expiry sweep (migration 0007).
_WAITING_ORDER = (parked_entries.c.parked_at, parked_entries.c.entry_id)


async def waiting_page(
    session: AsyncSession,
    *,
    sender: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Any]:
    """Entries still waiting, oldest first: one sender's (``None``: everyone's), after
    the (parked_at, entry_id) key ``after``."""
    query = select(*_WAITING_COLUMNS).where(parked_entries.c.state == "waiting")
    if sender is not None:
        query = query.where(parked_entries.c.external_system == sender)
    if after is not None:
        query = query.where(tuple_(*_WAITING_ORDER) > tuple_(*after))
    rows = await session.execute(query.order_by(*_WAITING_ORDER).limit(limit))
    return list(rows)


async def claim_expired(session: AsyncSession, parked_before: datetime, limit: int) -> list[Any]:
    """Up to ``limit`` entries waiting since before ``parked_before``, oldest first, locked
    until commit. Rows another transaction holds are skipped: another replica's sweep has
    them, or a writer is releasing them (it applies or refuses them itself; a writer that
    comes second waits, and then no longer finds them waiting)."""
    rows = await session.execute(
        select(*_WAITING_COLUMNS)
        .where(parked_entries.c.state == "waiting", parked_entries.c.parked_at < parked_before)
        .order_by(*_WAITING_ORDER)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


# --- Net amounts per original (the reports' read model) -----------------------------------


# A projection of the fold, whose one definition is ``ledger.balances.resolve``: the
# writer stores the nets that fold computes (``set_nets``); this statement recomputes them
# over the whole table after a load that wrote entries directly. For every original: its
# amount plus its live adjustments (adjusting it directly, not reversed), or 0 once
# reversed. tests/integration/test_funding_report_sql.py checks that it gives the fold's
# net and reversed for every original of ledgers holding every kind of correction.
# Migration 0005 runs a copy of it.
REBUILD_NETS = text(
    """
    INSERT INTO ledger_nets (entry_id, kind, beneficiary_id, project_id, source, fund,
        private_timing, instrument_id, region_nuts, amount, net, reversed)
    SELECT o.entry_id, o.kind, o.beneficiary_id, o.project_id, o.source, o.fund,
        o.private_timing, o.instrument_id, o.region_nuts, o.amount,
        CASE WHEN r.entry_id IS NOT NULL THEN 0 ELSE o.amount + COALESCE(d.delta, 0) END,
        r.entry_id IS NOT NULL
    FROM ledger_entries AS o
    LEFT JOIN (
        SELECT DISTINCT reverses AS entry_id FROM ledger_entries WHERE reverses IS NOT NULL
    ) AS r ON r.entry_id = o.entry_id
    LEFT JOIN (
        SELECT a.adjusts AS entry_id, sum(a.amount) AS delta
        FROM ledger_entries AS a
        WHERE a.adjusts IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM ledger_entries AS ra WHERE ra.reverses = a.entry_id)
        GROUP BY a.adjusts
    ) AS d ON d.entry_id = o.entry_id
    WHERE o.reverses IS NULL AND o.adjusts IS NULL
    ON CONFLICT (entry_id) DO UPDATE SET net = excluded.net, reversed = excluded.reversed
    """
)


_SET_NETS = text(
    """
    INSERT INTO ledger_nets (entry_id, kind, beneficiary_id, project_id, source, fund,
        private_timing, instrument_id, region_nuts, amount, net, reversed)
    SELECT * FROM unnest(CAST(:entry_id AS uuid[]), CAST(:kind AS text[]),
        CAST(:beneficiary_id AS uuid[]), CAST(:project_id AS uuid[]),
        CAST(:source AS text[]), CAST(:fund AS text[]), CAST(:private_timing AS text[]),
        CAST(:instrument_id AS text[]), CAST(:region_nuts AS text[]),
        CAST(:amount AS numeric[]), CAST(:net AS numeric[]), CAST(:reversed AS boolean[]))
    ON CONFLICT (entry_id) DO UPDATE SET net = excluded.net, reversed = excluded.reversed
    """
)


_NET_FIELDS: tuple[str, ...] = (
    "entry_id",
    "kind",
    "beneficiary_id",
    "project_id",
    "source",
    "fund",
    "private_timing",
    "instrument_id",
    "region_nuts",
    "amount",
)


async def set_nets(
    session: AsyncSession,
    nets: Sequence[tuple[Entry, Decimal, bool]],
    recorded_now: Collection[uuid.UUID] = frozenset(),
) -> None:
    """Store the net amount of these originals: those ``recorded_now`` (in this
    transaction: no row yet) with one COPY, the others with one upsert."""
    new = [n for n in nets if n[0].entry_id in recorded_now]
    if new:
        await copy_records(
            session,
            ledger_nets.name,
            (*_NET_FIELDS, "net", "reversed"),
            ((*_net_record(original), net, gone) for original, net, gone in new),
        )
    changed = [n for n in nets if n[0].entry_id not in recorded_now]
    if not changed:
        return
    columns: dict[str, list[Any]] = {name: [] for name in (*_NET_FIELDS, "net", "reversed")}
    for original, net, gone in changed:
        for name, value in zip(_NET_FIELDS, _net_record(original), strict=True):
            columns[name].append(value)
        columns["net"].append(net)
        columns["reversed"].append(gone)
    await session.execute(_SET_NETS, columns)


def _net_record(original: Entry) -> tuple[Any, ...]:
    fund, timing = original.fund, original.private_timing
    return (
        original.entry_id,
        original.kind.value,
        original.beneficiary_id,
        original.project_id,
        original.source.value,
        None if fund is None else fund.value,
        None if timing is None else timing.value,
        original.instrument_id,
        original.region_nuts,
        original.amount,
    )


async def rebuild_nets(session: AsyncSession | AsyncConnection) -> None:
    """Recompute every original's net amount from the entries (after a load that wrote
    entries directly, or to check the writer's)."""
    await session.execute(REBUILD_NETS)


async def project_entries(
    session: AsyncSession, project_id: uuid.UUID, after_seq: int, limit: int
) -> list[Any]:
    """A project's entries in recording order, after ``after_seq``."""
    rows = await session.execute(
        select(ledger_entries)
        .where(ledger_entries.c.project_id == project_id, ledger_entries.c.seq > after_seq)
        .order_by(ledger_entries.c.seq)
        .limit(limit)
    )
    return list(rows)


# --- Re-homing a sender (authority.rehoming, a one-shot maintenance job) ------------------


async def lock_for_rehoming(session: AsyncSession) -> None:
    """Keep writers out (readers may go on) until the re-homing commits."""
    await session.execute(
        text(
            "LOCK TABLE ledger_entries, parked_entries, ledger_nets, ledger_entry_ids "
            "IN EXCLUSIVE MODE"
        )
    )


async def ids_of_sender(session: AsyncSession, sender: str) -> dict[str, uuid.UUID]:
    """The external ids a sender's recorded and parked entries have, with their entry ids."""
    found: dict[str, uuid.UUID] = {}
    for table in (ledger_entries, parked_entries):
        rows = await session.execute(
            select(table.c.external_id, table.c.entry_id).where(table.c.external_system == sender)
        )
        found.update({row.external_id: row.entry_id for row in rows})
    return found


_MOVE_ENTRIES = text(
    """
    UPDATE ledger_entries SET entry_id = m.new, external_system = :sender
    FROM unnest(CAST(:old AS uuid[]), CAST(:new AS uuid[])) AS m(old, new)
    WHERE entry_id = m.old
    """
)
_MOVE_CLAIMS = text(
    """
    UPDATE ledger_entry_ids SET entry_id = m.new
    FROM unnest(CAST(:old AS uuid[]), CAST(:new AS uuid[])) AS m(old, new)
    WHERE entry_id = m.old
    """
)
_MOVE_REFERENCES = text(
    """
    WITH m AS (SELECT * FROM unnest(CAST(:old AS uuid[]), CAST(:new AS uuid[])) AS m(old, new))
    UPDATE ledger_entries SET
        commitment_ref = coalesce((SELECT new FROM m WHERE old = commitment_ref), commitment_ref),
        reverses = coalesce((SELECT new FROM m WHERE old = reverses), reverses),
        adjusts = coalesce((SELECT new FROM m WHERE old = adjusts), adjusts)
    WHERE commitment_ref = ANY(CAST(:old AS uuid[])) OR reverses = ANY(CAST(:old AS uuid[]))
        OR adjusts = ANY(CAST(:old AS uuid[]))
    """
)


async def move_entries(
    session: AsyncSession, moves: Mapping[uuid.UUID, uuid.UUID], sender: str
) -> None:
    """Give recorded entries new ids and a new sender, and their references the new ids.

    The nets are derived: dropped and rebuilt around it (their key is the entry id)."""
    if not moves:
        return
    params = {"old": list(moves), "new": list(moves.values()), "sender": sender}
    await session.execute(delete(ledger_nets))
    await session.execute(_MOVE_ENTRIES, params)
    await session.execute(_MOVE_CLAIMS, params)
    await session.execute(_MOVE_REFERENCES, params)
    await session.execute(REBUILD_NETS)


async def flags_mentioning(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> list[tuple[uuid.UUID, str]]:
    """Recorded entries whose flags name any of these ids: (entry id, flags as JSON text)."""
    if not ids:
        return []
    rows = await session.execute(
        text(
            "SELECT entry_id, flags::text AS flags FROM ledger_entries "
            "WHERE flags::text LIKE ANY(CAST(:patterns AS text[]))"
        ),
        {"patterns": [f"%{i}%" for i in ids]},
    )
    return [(row.entry_id, row.flags) for row in rows]


async def set_flags(session: AsyncSession, entry_id: uuid.UUID, flags_json: str) -> None:
    await session.execute(
        text("UPDATE ledger_entries SET flags = CAST(:flags AS jsonb) WHERE entry_id = :id"),
        {"flags": flags_json, "id": entry_id},
    )


async def parked_of_sender(session: AsyncSession, sender: str) -> list[Any]:
    rows = await session.execute(
        select(parked_entries).where(parked_entries.c.external_system == sender)
    )
    return list(rows)


async def replace_parked(
    session: AsyncSession, entry_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await session.execute(
        update(parked_entries).where(parked_entries.c.entry_id == entry_id).values(**values)
    )
