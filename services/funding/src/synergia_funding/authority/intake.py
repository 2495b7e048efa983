"""Authority items in, per-item results out: the one path of every channel (HTTP batch,
CSV upload, Kafka).

Each item is validated on its own, checked against the authority's region, turned into a
ledger entry whose id derives from (authority, external id), and recorded with the rest
of the batch in one transaction. An invalid item is refused with its own problem while
the valid ones go in; a resent item is answered with its first result.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.http.item_batches import UnreadableItem
from synergia_shared.http.problems import TYPE_BASE, errors_detail, field_errors
from synergia_shared.http.reports import shown_id
from synergia_shared.http.storable_text import is_storable, unstorable_text

from synergia_funding.authority.schemas import (
    SPREADSHEET_CELLS,
    AuthorityEventIn,
    AuthorityItemProblem,
    BatchResult,
    ItemResult,
    RuleFlagOut,
)
from synergia_funding.ledger import repository as ledger_repository
from synergia_funding.ledger import service as ledger
from synergia_funding.ledger.codec import entry_id_for
from synergia_funding.ledger.decide import Decision
from synergia_funding.ledger.entries import Entry, InvalidEntry, Source

_ITEM = TypeAdapter(AuthorityEventIn)


@dataclass(frozen=True)
class Authority:
    """Who writes: the system's name (its entries' ``external_system``: the sender whose
    external ids must be unique, so an organisation, not a person), the NUTS region it may
    write in (``None``: anywhere), for a value chain's cluster managers the one value chain
    they record money for (items without a project are that chain's), and the sources it
    may record (``None``: any)."""

    system: str
    region: str | None
    project: uuid.UUID | None = None
    sources: frozenset[Source] | None = None

    def may_write(self, nuts: str) -> bool:
        return self.region is None or nuts.startswith(self.region)


def _problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> AuthorityItemProblem:
    return AuthorityItemProblem(
        type=f"{TYPE_BASE}{slug}", title=title, status=status, detail=detail, **extra
    )


def _validation(
    index: int, exc: ValidationError, loc_root: Sequence[str | int]
) -> AuthorityItemProblem:
    errors = field_errors(exc.errors(), [*loc_root, index])
    return _problem(422, "validation-error", "Invalid item", errors_detail(errors), errors=errors)


_JSON_TYPES = ((bool, "a boolean"), (int | float, "a number"), (str, "a string"), (list, "a list"))


def _invalid(errors: list[dict[str, Any]]) -> AuthorityItemProblem:
    return _problem(422, "validation-error", "Invalid item", errors_detail(errors), errors=errors)


def _unreadable(raw: Any) -> str:
    if isinstance(raw, UnreadableItem):
        return raw.reason
    what = "null" if raw is None else next((n for t, n in _JSON_TYPES if isinstance(raw, t)), "")
    return f"an item is an object of the item fields, not {what or type(raw).__name__}"


def _refused(index: int, external_id: str | None, problem: AuthorityItemProblem) -> ItemResult:
    return ItemResult(index=index, external_id=external_id, status="rejected", problem=problem)


def _whole_item_invalid(
    index: int, msg: str, loc_root: Sequence[str | int]
) -> AuthorityItemProblem:
    errors = [{"loc": [*loc_root, index], "msg": msg}]
    return _problem(422, "validation-error", "Invalid item", errors_detail(errors), errors=errors)


def _may_hold_unstorable_text(raw: dict[Any, Any]) -> bool:
    """Whether an item needs :func:`unstorable_text`'s walk, which names where the bad
    text is: one search over the item's keys and texts rules out most items at a tenth
    of the walk's cost (joining strings makes no NUL or surrogate that was not there)."""
    texts: list[str] = []
    for key, value in raw.items():
        if not isinstance(key, str) or isinstance(value, dict | list | tuple):
            return True
        texts.append(key)
        if isinstance(value, str):
            texts.append(value)
    return not is_storable("".join(texts))


def to_entry(authority: Authority, item: AuthorityEventIn) -> Entry:
    def ref(external_id: str | None) -> uuid.UUID | None:
        return None if external_id is None else entry_id_for(authority.system, external_id)

    assert item.member_state is not None  # filled from the region by the model
    return Entry(
        entry_id=entry_id_for(authority.system, item.external_id),
        kind=item.kind,
        beneficiary_id=item.beneficiary_id,
        project_id=item.project_id,
        source=item.source,
        fund=item.fund,
        instrument_id=item.instrument_id,
        amount=item.amount,
        finance_type=item.finance_type,
        entry_date=item.date,
        member_state=item.member_state,
        external_system=authority.system,
        external_id=item.external_id,
        cost_item_ref=item.cost_item_ref,
        commitment_ref=ref(item.commitment_external_id),
        region_nuts=item.region_nuts,
        is_de_minimis=item.is_de_minimis,
        aid_equivalent=item.aid_equivalent,
        private_timing=item.private_timing,
        reverses=ref(item.reverses_external_id),
        adjusts=ref(item.adjusts_external_id),
    )


def _refs(authority: Authority, item: AuthorityEventIn) -> dict[uuid.UUID, str]:
    names = (item.commitment_external_id, item.reverses_external_id, item.adjusts_external_id)
    return {entry_id_for(authority.system, n): n for n in names if n is not None}


def _result(
    index: int,
    decision: Decision,
    names: dict[uuid.UUID, str],
    loc_root: Sequence[str | int] = ("body", "items"),
) -> ItemResult:
    entry = decision.entry
    result = ItemResult(
        index=index,
        external_id=entry.external_id,
        status=decision.status,
        replayed=decision.replayed,
        entry_id=entry.entry_id if decision.status != "rejected" else None,
        waiting_for=[names.get(w, str(w)) for w in decision.waiting_for],
        flags=[RuleFlagOut.model_validate(f) for f in decision.flags],
    )
    if decision.conflict:
        result.problem = _problem(
            409,
            "external-id-conflict",
            "External id already used",
            f"{entry.external_id} was received before with different content; a correction "
            "is a new item that reverses or adjusts it",
        )
    elif decision.stored_problem is not None:
        type_, title = (
            ("prerequisite-expired", "Prerequisite never arrived")
            if ledger.expired(decision.stored_problem)
            else ("rule-violation", "Rule violation")
        )
        result.problem = _problem(422, type_, title, str(decision.stored_problem["reason"]))
    elif decision.errors:
        result.problem = _problem(
            422,
            "rule-violation",
            "Rule violation",
            "; ".join(e["message"] for e in decision.errors),
            errors=[{"loc": [*loc_root, index], "msg": e["message"]} for e in decision.errors],
        )
    return result


def _read(
    raw: Any, index: int, loc_root: Sequence[str | int], context: dict[str, Any]
) -> AuthorityEventIn | ItemResult:
    """An item read from its raw form, or its refusal: not an object (a CSV row too wide,
    a string or number on Kafka), text PostgreSQL cannot store, or invalid fields."""
    if not isinstance(raw, dict):
        return _refused(index, None, _whole_item_invalid(index, _unreadable(raw), loc_root))
    if _may_hold_unstorable_text(raw) and (unstorable := unstorable_text(raw, [*loc_root, index])):
        return _refused(index, shown_id(raw), _invalid(unstorable))
    try:
        return _ITEM.validate_python(raw, context=context)
    except ValidationError as exc:
        return _refused(index, shown_id(raw), _validation(index, exc, loc_root))


def outside_region(authority: Authority, item: AuthorityEventIn) -> AuthorityItemProblem | None:
    """An authority writes in its own NUTS region only."""
    if authority.may_write(item.region_nuts):
        return None
    return _problem(
        403,
        "forbidden-region",
        "Outside the authority's region",
        f"region {item.region_nuts} is outside {authority.region}, the region "
        f"{authority.system} may write in; nothing was recorded for this item",
    )


def source_not_recorded(
    authority: Authority, item: AuthorityEventIn
) -> AuthorityItemProblem | None:
    """A sender limited to some sources records money of those only."""
    if authority.sources is None or item.source in authority.sources:
        return None
    return _problem(
        403,
        "forbidden-source",
        "Source not recorded by this sender",
        f"{item.source.value} money is not recorded by {authority.system}; it "
        "records " + ", ".join(sorted(s.value for s in authority.sources)),
    )


def other_value_chain(authority: Authority, item: AuthorityEventIn) -> AuthorityItemProblem | None:
    """A value chain's cluster managers record money for that value chain only."""
    if authority.project is None or item.project_id in (None, authority.project):
        return None
    return _problem(
        403,
        "forbidden-value-chain",
        "Outside the value chain",
        f"project_id {item.project_id} is not value chain "
        f"{authority.project}, the one this batch records money for; "
        "nothing was recorded for this item",
    )


def _admit(
    authority: Authority, item: AuthorityEventIn, index: int
) -> tuple[AuthorityEventIn, Entry] | ItemResult:
    """The item as this authority records it, and its ledger entry; or its refusal: outside
    what the authority may write, or an entry invalid on its own."""
    for check in (outside_region, source_not_recorded, other_value_chain):
        if (problem := check(authority, item)) is not None:
            return _refused(index, item.external_id, problem)
    if authority.project is not None and item.project_id is None:
        item = item.model_copy(update={"project_id": authority.project})
    try:
        return item, to_entry(authority, item)
    except InvalidEntry as exc:
        return _refused(
            index, item.external_id, _problem(422, "invalid-entry", "Invalid item", str(exc))
        )


def _batch_result(authority: Authority, results: dict[int, ItemResult]) -> BatchResult:
    items = [results[i] for i in sorted(results)]
    return BatchResult(
        authority=authority.system,
        applied=sum(r.status == "applied" for r in items),
        parked=sum(r.status == "parked" for r in items),
        rejected=sum(r.status == "rejected" for r in items),
        items=items,
    )


async def submit(
    session: AsyncSession,
    authority: Authority,
    raw_items: Sequence[Any],
    *,
    loc_root: Sequence[str | int] = ("body", "items"),
    first_index: int = 0,
    spreadsheet_cells: bool = False,
) -> BatchResult:
    """Validate, check and record a batch in the caller's transaction.

    ``spreadsheet_cells``: the items are CSV rows, whose amounts are read as spreadsheets
    write them (:data:`~.schemas.SPREADSHEET_CELLS`)."""
    submission = Submission(authority, raw_items, loc_root, first_index, spreadsheet_cells)
    return (await submit_all(session, [submission]))[0]


@dataclass(frozen=True)
class Submission:
    """One sender's items as one channel received them (a request, a Kafka message)."""

    authority: Authority
    raw_items: Sequence[Any]
    loc_root: Sequence[str | int] = ("body", "items")
    first_index: int = 0
    spreadsheet_cells: bool = False
    # What brought the items (a Kafka message): their events are caused by it.
    cause: CloudEvent | None = None


@dataclass
class _Admitted:
    """A submission's items read and checked: the refused ones' results, and the
    entries of the others by their index."""

    submission: Submission
    results: dict[int, ItemResult]
    accepted: list[tuple[int, Entry]]


def _admit_all(submission: Submission, names: dict[uuid.UUID, str]) -> _Admitted:
    authority, loc_root = submission.authority, submission.loc_root
    admitted = _Admitted(submission, {}, [])
    context = {SPREADSHEET_CELLS: submission.spreadsheet_cells}
    for offset, raw in enumerate(submission.raw_items):
        index = submission.first_index + offset
        read = _read(raw, index, loc_root, context)
        checked = read if isinstance(read, ItemResult) else _admit(authority, read, index)
        if isinstance(checked, ItemResult):
            admitted.results[index] = checked
            continue
        item, entry = checked
        names[entry.entry_id] = item.external_id
        names.update(_refs(authority, item))
        # Named so in the answer and the listing if the actor is not known here yet.
        names.setdefault(entry.beneficiary_id, ledger.registration_name(entry.beneficiary_id))
        admitted.accepted.append((index, entry))
    return admitted


async def submit_all(session: AsyncSession, submissions: Sequence[Submission]) -> list[BatchResult]:
    """Validate, check and record several submissions in the caller's transaction, with
    ONE recording of all their entries (a few statements, whatever their number): the
    same results as recording them one after the other, each submission's own."""
    names: dict[uuid.UUID, str] = {}
    admitted = [_admit_all(submission, names) for submission in submissions]
    entries = [entry for a in admitted for _, entry in a.accepted]
    causes: dict[uuid.UUID, CloudEvent] = {}
    for a in admitted:
        if a.submission.cause is not None:
            for _, entry in a.accepted:  # an id sent twice is recorded by its first
                causes.setdefault(entry.entry_id, a.submission.cause)
    decisions = iter(await ledger.record(session, entries, names, causes=causes))
    for a in admitted:
        for index, _ in a.accepted:
            a.results[index] = _result(index, next(decisions), names, a.submission.loc_root)
    return [_batch_result(a.submission.authority, a.results) for a in admitted]


async def status(session: AsyncSession, sender: str, external_id: str) -> ItemResult | None:
    """An item of this sender as it stands, or ``None`` if it was never kept."""
    entry_id = entry_id_for(sender, external_id)
    stored = await ledger_repository.stored_entries(session, [entry_id])
    if entry_id in stored:
        entry, flags = stored[entry_id]
        return _result(0, Decision(entry, "applied", replayed=True, flags=flags), {})
    parked = await ledger_repository.parked(session, [entry_id])
    if entry_id not in parked:
        return None
    row = parked[entry_id]
    names = {uuid.UUID(i): n for i, n in row.refers_to.items()}
    if row.state == "rejected":
        decision = Decision(row.entry, "rejected", replayed=True, stored_problem=row.problem)
    else:
        decision = Decision(row.entry, "parked", replayed=True, waiting_for=row.waiting_for)
    return _result(0, decision, names)
