"""Beneficiaries in, per-item results out: the one path of the JSON batch and the CSV upload.

Each item is validated on its own and normalised by the actor rules (the stored country,
compact identifiers, checked NUTS). Then the whole batch is matched with a few queries
(the sender's external ids, every identifier, every name key), decided item by item in
memory (:mod:`.rules`), and the new actors, their ``registered`` events and the
external ids are written with one COPY each, all in the caller's transaction. An invalid
item is refused with its own problem while the valid ones go in.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.collector import collector_paused
from synergia_shared.http.item_batches import UnreadableItem
from synergia_shared.http.problems import (
    TYPE_BASE,
    ProblemException,
    errors_detail,
    field_errors,
)
from synergia_shared.http.reports import shown_id
from synergia_shared.http.storable_text import unstorable_text
from synergia_shared.reference.identifiers import BusinessId
from synergia_shared.reference.nuts_names import (
    AmbiguousRegionName,
    RegionFilter,
    RegionNameError,
    resolve_region_name,
)

from synergia_registry.actors import service as actor_service
from synergia_registry.actors.names import name_key
from synergia_registry.actors.rules import normalise_identity
from synergia_registry.beneficiaries import repository
from synergia_registry.beneficiaries.rules import (
    Conflict,
    Create,
    Item,
    Known,
    Matched,
    OutsideRegion,
    PossibleDuplicate,
    Sender,
    decide,
    lookup_keys,
)
from synergia_registry.beneficiaries.schemas import (
    BatchRegistrationResult,
    BeneficiaryIn,
    BeneficiaryResult,
    Candidate,
    ItemProblem,
)
from synergia_registry.regions.schemas import NutsRegionView

_ITEM = TypeAdapter(BeneficiaryIn)
_IDENTITY = ("country", "pic", "vat_number", "national_id", "national_id_scheme", "nuts_code")


@dataclass(frozen=True)
class _Prepared:
    index: int
    item: Item
    columns: dict[str, Any]


def _problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> ItemProblem:
    return ItemProblem(
        type=f"{TYPE_BASE}{slug}", title=title, status=status, detail=detail, **extra
    )


def _invalid(errors: list[dict[str, Any]]) -> ItemProblem:
    return _problem(422, "validation-error", "Invalid item", errors_detail(errors), errors=errors)


def _rejected(index: int, external_id: str | None, problem: ItemProblem) -> BeneficiaryResult:
    return BeneficiaryResult(
        index=index, external_id=external_id, status="rejected", problem=problem
    )


def _region_problem(exc: RegionNameError, loc: list[str | int]) -> ItemProblem:
    ambiguous = isinstance(exc, AmbiguousRegionName)
    return _problem(
        422,
        "ambiguous-region-name" if ambiguous else "unknown-region-name",
        "Ambiguous region name" if ambiguous else "Unknown region name",
        str(exc),
        errors=[{"loc": loc, "msg": str(exc)}],
        candidates=[NutsRegionView.of(region) for region in exc.candidates],
    )


def _region_code(item: BeneficiaryIn, loc: list[str | int]) -> str | ItemProblem | None:
    """The item's NUTS code: ``nuts_code`` as given, or the region its ``region`` names
    (in the item's country and NUTS version). Given both, the name must be the code's
    region or one containing it (a list naming the NUTS 2 region of a NUTS 3 code
    agrees with it); an ambiguous name agrees when one of its regions does."""
    if item.region is None:
        return item.nuts_code
    try:
        found = [resolve_region_name(item.region, _filter(item)).code]
    except AmbiguousRegionName as exc:
        if item.nuts_code is None:
            return _region_problem(exc, loc)
        found = [region.code for region in exc.candidates]
    except RegionNameError as exc:
        return _region_problem(exc, loc)
    except ValueError:  # an unknown country or version: their own checks say so
        return item.nuts_code
    if item.nuts_code is None:
        return found[0]
    code = item.nuts_code.upper()
    if any(code.startswith(region) for region in found):
        return item.nuts_code
    detail = (
        f"region {item.region!r} is {' or '.join(found)}, which does not contain nuts_code "
        f"{item.nuts_code}; send one of the two, or both agreeing"
    )
    return _problem(
        422,
        "region-mismatch",
        "Region and NUTS code disagree",
        detail,
        errors=[{"loc": loc, "msg": detail}],
    )


def _filter(item: BeneficiaryIn) -> RegionFilter:
    return RegionFilter(country=item.country, version=item.nuts_version)


def _validated(index: int, raw: Any, loc: Sequence[str | int]) -> BeneficiaryIn | BeneficiaryResult:
    """One raw item as the item model (one pydantic pass) with its region resolved to a
    NUTS code (:func:`_region_code`), or the item's rejection."""
    if not isinstance(raw, Mapping):
        reason = raw.reason if isinstance(raw, UnreadableItem) else "an item is an object"
        return _rejected(index, None, _invalid([{"loc": [*loc, index], "msg": reason}]))
    if unstorable := unstorable_text(raw, [*loc, index]):
        return _rejected(index, shown_id(raw), _invalid(unstorable))
    try:
        item = _ITEM.validate_python(raw)
    except ValidationError as exc:
        return _rejected(
            index,
            shown_id(raw),
            _invalid(field_errors(exc.errors(), [*loc, index])),
        )
    nuts_code = _region_code(item, [*loc, index, "region"])
    if isinstance(nuts_code, ItemProblem):
        return _rejected(index, item.external_id, nuts_code)
    if nuts_code != item.nuts_code:
        item = item.model_copy(update={"nuts_code": nuts_code})
    return item


def _prepared(index: int, item: BeneficiaryIn, stored: Mapping[str, Any]) -> _Prepared:
    """What matching and registering read of a valid item: ``stored`` holds the stored
    form of the identity fields (:data:`_IDENTITY`), the rest is as the item has it."""
    national = (
        BusinessId(stored["national_id_scheme"], stored["national_id"])
        if stored["national_id"]
        else None
    )
    key = name_key(item.legal_name)
    return _Prepared(
        index,
        Item(
            external_id=item.external_id,
            legal_name=item.legal_name,
            country=stored["country"],
            nuts_code=stored["nuts_code"],
            pic=stored["pic"],
            vat_number=stored["vat_number"],
            national_id=national,
            name_key=key,
            allow_similar_name=item.allow_similar_name,
        ),
        actor_service.identity_columns(
            legal_name=item.legal_name,
            short_name=item.short_name,
            kind=item.kind.value,
            country=stored["country"],
            pic=stored["pic"],
            vat_number=stored["vat_number"],
            national_id_scheme=stored["national_id_scheme"],
            national_id=stored["national_id"],
            website=item.website,
            nuts_code=stored["nuts_code"],
            nuts_version=item.nuts_version,
            key=key,
        ),
    )


def _prepare(index: int, raw: Any, loc: Sequence[str | int]) -> _Prepared | BeneficiaryResult:
    """Validate and normalise one item: the item model (one pydantic pass), then the
    actor rules on its country, identifiers and region (:func:`normalise_identity`),
    and nothing else: a beneficiary has no profile beyond them to check."""
    item = _validated(index, raw, loc)
    if isinstance(item, BeneficiaryResult):
        return item
    normalised, errors = normalise_identity(item)
    if errors:
        problems = [{"loc": [*loc, index, *e.loc], "msg": e.msg} for e in errors]
        return _rejected(index, item.external_id, _invalid(problems))
    # The stored form of what normalise_identity checked; the rest as the item has it.
    return _prepared(
        index, item, {name: normalised.get(name, getattr(item, name)) for name in _IDENTITY}
    )


async def _known(session: AsyncSession, sender: Sender, items: Sequence[Item]) -> Known:
    """What the batch can match, in three statements."""
    known = Known()
    known.external = await repository.external_ids(
        session, sender.name, {item.external_id for item in items}
    )
    pics, vats, national_ids = lookup_keys(items)
    for actor in await repository.actors_by_identifiers(session, pics, vats, national_ids):
        known.add(actor)
    names = {(item.country, item.name_key) for item in items if item.name_key}
    for actor in await repository.active_actors_named(session, names):
        known.add(actor)
    return known


def _result(prepared: _Prepared, decision: object, actor_id: uuid.UUID | None) -> BeneficiaryResult:
    index, external_id = prepared.index, prepared.item.external_id
    match decision:
        case Matched(matched_by=matched_by, replayed=replayed):
            return BeneficiaryResult(
                index=index,
                external_id=external_id,
                status="matched",
                actor_id=actor_id,
                matched_by=matched_by,
                replayed=replayed,
            )
        case Create():
            return BeneficiaryResult(
                index=index, external_id=external_id, status="registered", actor_id=actor_id
            )
        case PossibleDuplicate(candidates=candidates):
            return BeneficiaryResult(
                index=index,
                external_id=external_id,
                status="possible_duplicate",
                candidates=[
                    Candidate(actor_id=c.id, legal_name=c.legal_name, nuts_code=c.nuts_code)
                    for c in candidates
                ],
            )
        case OutsideRegion(detail=detail, status=status):
            slug, title = (
                ("forbidden-region", "Outside the sender's region")
                if status == 403
                else ("region-required", "Region required")
            )
            return _rejected(index, external_id, _problem(status, slug, title, detail))
        case Conflict(detail=detail):
            return _rejected(
                index,
                external_id,
                _problem(409, "identifier-conflict", "Identifiers name other actors", detail),
            )
    raise AssertionError(f"unknown decision {decision!r}")


async def _apply(
    session: AsyncSession, sender: Sender, batch: Sequence[_Prepared]
) -> list[BeneficiaryResult]:
    known = await _known(session, sender, [p.item for p in batch])
    decided: list[tuple[_Prepared, object, uuid.UUID | None]] = []
    new: list[actor_service.NewActor] = []
    remembered: list[tuple[str, uuid.UUID]] = []
    for prepared in batch:
        item = prepared.item
        decision = decide(item, known, sender)
        actor_id: uuid.UUID | None = None
        if isinstance(decision, Matched):
            actor_id = decision.actor_id
        elif isinstance(decision, Create):
            actor_id = uuid.uuid4()
            new.append(actor_service.NewActor(actor_id, prepared.columns))
            known.add(item.as_actor(actor_id))  # later items of the batch match it
        if actor_id is not None and item.external_id not in known.external:
            known.external[item.external_id] = actor_id
            remembered.append((item.external_id, actor_id))
        decided.append((prepared, decision, actor_id))
    await actor_service.register_many(session, new)
    await repository.record_external_ids(session, sender.name, remembered)
    return [_result(*entry) for entry in decided]


RACED = (
    "another request registered some of the same organisations or external ids at the same "
    "time; nothing of this batch was registered: send it again, its items will be matched"
)


async def register_beneficiaries(
    session: AsyncSession,
    sender: Sender,
    raw_items: Sequence[Any],
    *,
    loc_root: Sequence[str | int] = ("body", "items"),
    first_index: int = 0,
) -> BatchRegistrationResult:
    """Validate, match and register a batch in the caller's transaction.

    A concurrent writer committing one of the same identifiers or external ids first
    makes the inserts fail: the batch is then matched again against what is now
    committed, once; a second collision refuses the whole batch (409), nothing written.
    """
    # The batch's objects (thousands of items, rows, results) all live until its end:
    # the garbage collector would walk them over and over (see synergia_shared.collector).
    with collector_paused():
        return await _register(session, sender, raw_items, loc_root, first_index)


async def _register(
    session: AsyncSession,
    sender: Sender,
    raw_items: Sequence[Any],
    loc_root: Sequence[str | int],
    first_index: int,
) -> BatchRegistrationResult:
    results: dict[int, BeneficiaryResult] = {}
    batch: list[_Prepared] = []
    for offset, raw in enumerate(raw_items):
        outcome = _prepare(first_index + offset, raw, loc_root)
        if isinstance(outcome, BeneficiaryResult):
            results[outcome.index] = outcome
        else:
            batch.append(outcome)
    for attempt in (1, 2):
        try:
            async with session.begin_nested():
                applied = await _apply(session, sender, batch)
            break
        except IntegrityError:
            if attempt == 2:
                raise ProblemException(409, "concurrent-registration", "Conflict", RACED) from None
    for result in applied:
        results[result.index] = result
    items = [results[i] for i in sorted(results)]
    return BatchRegistrationResult(
        sender=sender.name,
        registered=sum(r.status == "registered" for r in items),
        matched=sum(r.status == "matched" for r in items),
        possible_duplicates=sum(r.status == "possible_duplicate" for r in items),
        rejected=sum(r.status == "rejected" for r in items),
        items=items,
    )
