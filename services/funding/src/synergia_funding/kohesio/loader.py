"""Load a Kohesio plan: register or match its beneficiaries, then record their commitments.

The order is the authority's journey: (1) every organisation of the file is sent to the
registry's bulk registration, which creates it or matches one the registry knows, and
answers with its actor id; (2) every commitment of a line whose organisation has an
actor id is sent to funding's authority batch (``POST /v1/authority-events:batch``),
as a ``commitment`` of the request's fund and date. Both calls are idempotent by the
plan's deterministic external ids, so loading the same file again registers nothing
and records nothing new (funding answers ``replayed``).

The two services are reached through :class:`RegistryPort` and :class:`FundingPort`:
:class:`AuthorityEventsOverHttp` and :class:`BulkRegistrationOverHttp` speak their HTTP
APIs through any :data:`PostJson` (an authenticated client's ``post``), so the same plan
runs from a command, a request handler or a test.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from synergia_funding.authority.schemas import MAX_BATCH_ITEMS
from synergia_funding.kohesio.mapping import KohesioBeneficiary, KohesioCommitment, KohesioPlan
from synergia_funding.kohesio.params import KohesioImportParams
from synergia_funding.ledger.model import EntryKind, FinanceType

PostJson = Callable[[str, Mapping[str, Any]], Awaitable[tuple[int, Any]]]
"""POST a JSON body to a path of the service; answers (status, decoded JSON body)."""

_T = TypeVar("_T")


@dataclass(frozen=True)
class RegistrationItem:
    """One organisation for the registry's bulk registration."""

    external_id: str
    legal_name: str
    latin_name: str | None
    country: str
    nuts_code: str
    nuts_version: str


@dataclass(frozen=True)
class RegistrationResult:
    external_id: str
    # created | matched: the actor exists now; anything else (possible_duplicate,
    # rejected) leaves the organisation without an actor id and its lines uncommitted.
    status: str
    actor_id: uuid.UUID | None
    problem: str | None = None


@dataclass(frozen=True)
class CommitmentResult:
    external_id: str
    status: str  # applied | parked | rejected, as funding answers
    replayed: bool = False
    problem: str | None = None


class RegistryPort(Protocol):
    async def register(self, items: Sequence[RegistrationItem]) -> list[RegistrationResult]:
        """One result per item, in the items' order."""
        ...


class FundingPort(Protocol):
    async def commit(self, items: Sequence[Mapping[str, Any]]) -> list[CommitmentResult]:
        """One result per authority item, in the items' order."""
        ...


@dataclass
class LineReport:
    """What became of one line of the file, in the file's terms."""

    line: int
    beneficiary: str
    registration: str | None = None  # the organisation's status; None for a refused line
    commitments: list[CommitmentResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problem: str | None = None  # why the line, or its commitments, were not loaded


@dataclass
class KohesioLoadReport:
    lines: list[LineReport]

    @property
    def refused(self) -> list[LineReport]:
        return [line for line in self.lines if line.problem is not None]


def registration_items(plan: KohesioPlan, params: KohesioImportParams) -> list[RegistrationItem]:
    return [_registration(b, params) for b in plan.beneficiaries]


def _registration(beneficiary: KohesioBeneficiary, params: KohesioImportParams) -> RegistrationItem:
    return RegistrationItem(
        external_id=beneficiary.external_id,
        legal_name=beneficiary.legal_name,
        latin_name=beneficiary.latin_name,
        country=beneficiary.country,
        nuts_code=beneficiary.region,
        nuts_version=params.nuts_version,
    )


def commitment_item(
    commitment: KohesioCommitment, actor_id: uuid.UUID, params: KohesioImportParams
) -> dict[str, Any]:
    """The commitment as an authority item (``AuthorityEventIn``'s fields, as JSON)."""
    item: dict[str, Any] = {
        "external_id": commitment.external_id,
        "kind": EntryKind.COMMITMENT.value,
        "beneficiary_id": str(actor_id),
        "source": commitment.source.value,
        "amount": str(commitment.amount),
        "finance_type": FinanceType.GRANT.value,
        "date": params.committed_on.isoformat(),
        "region_nuts": commitment.region,
    }
    if commitment.fund is not None:
        item["fund"] = commitment.fund.value
    if commitment.instrument is not None:
        item["instrument_id"] = commitment.instrument
    return item


async def load_kohesio(
    plan: KohesioPlan,
    params: KohesioImportParams,
    registry: RegistryPort,
    funding: FundingPort,
    *,
    batch_size: int = MAX_BATCH_ITEMS,
) -> KohesioLoadReport:
    """Register the plan's organisations, then record the commitments of those that
    have an actor id; a report line per line of the file, refused lines included."""
    actors: dict[str, uuid.UUID] = {}
    registrations: dict[str, RegistrationResult] = {}
    for chunk in _chunks(registration_items(plan, params), batch_size):
        results = await registry.register(chunk)
        _same_length(chunk, results, "registry")
        for result in results:
            registrations[result.external_id] = result
            if result.actor_id is not None:
                actors[result.external_id] = result.actor_id

    reports = [LineReport(p.line, p.beneficiary or "", problem=p.reason) for p in plan.problems]
    pending: list[tuple[LineReport, dict[str, Any]]] = []
    for row in plan.rows:
        registered = registrations.get(row.beneficiary_external_id)
        report = LineReport(
            row.line,
            row.beneficiary_name,
            registration=registered.status if registered else "not sent",
            notes=list(row.notes),
        )
        reports.append(report)
        actor = actors.get(row.beneficiary_external_id)
        if actor is None:
            if row.commitments:
                why = registered.problem if registered and registered.problem else "no actor id"
                report.problem = f"not committed: the beneficiary is not registered ({why})"
            continue
        pending += [(report, commitment_item(c, actor, params)) for c in row.commitments]

    for batch in _chunks(pending, batch_size):
        outcomes = await funding.commit([item for _, item in batch])
        _same_length(batch, outcomes, "funding")
        for (report, _), outcome in zip(batch, outcomes, strict=True):
            report.commitments.append(outcome)
            if outcome.status == "rejected" and report.problem is None:
                report.problem = f"commitment {outcome.external_id} refused: {outcome.problem}"
    reports.sort(key=lambda report: report.line)
    return KohesioLoadReport(reports)


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _same_length(sent: Sequence[Any], answered: Sequence[Any], service: str) -> None:
    if len(sent) != len(answered):
        raise RuntimeError(f"{service} answered {len(answered)} results for {len(sent)} items")


class AuthorityEventsOverHttp:
    """:class:`FundingPort` over ``POST /v1/authority-events:batch``."""

    PATH = "/v1/authority-events:batch"

    def __init__(self, post: PostJson) -> None:
        self._post = post

    async def commit(self, items: Sequence[Mapping[str, Any]]) -> list[CommitmentResult]:
        status, body = await self._post(self.PATH, {"items": list(items)})
        if status != 200:
            raise RuntimeError(f"funding refused the batch ({status}): {_detail(body)}")
        results = sorted(body["items"], key=lambda result: result["index"])
        return [
            CommitmentResult(
                external_id=result["external_id"],
                status=result["status"],
                replayed=bool(result.get("replayed")),
                problem=_detail(result["problem"]) if result.get("problem") else None,
            )
            for result in results
        ]


class BulkRegistrationOverHttp:
    """:class:`RegistryPort` over the registry's bulk registration.

    The endpoint is being built alongside; the path and the shape assumed here (items
    with ``external_id, legal_name, country, nuts_code``; results in order with
    ``external_id, status, actor_id, problem``) are to be aligned with it when wired.
    """

    def __init__(self, post: PostJson, path: str = "/v1/actors:bulk-register") -> None:
        self._post = post
        self._path = path

    async def register(self, items: Sequence[RegistrationItem]) -> list[RegistrationResult]:
        body = {"items": [_registration_json(item) for item in items]}
        status, answer = await self._post(self._path, body)
        if status not in (200, 207):
            raise RuntimeError(f"the registry refused the batch ({status}): {_detail(answer)}")
        return [
            RegistrationResult(
                external_id=result["external_id"],
                status=result["status"],
                actor_id=uuid.UUID(result["actor_id"]) if result.get("actor_id") else None,
                problem=_detail(result["problem"]) if result.get("problem") else None,
            )
            for result in answer["items"]
        ]


def _registration_json(item: RegistrationItem) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": item.external_id,
        "legal_name": item.legal_name,
        "country": item.country,
        "nuts_code": item.nuts_code,
        "nuts_version": item.nuts_version,
    }
    if item.latin_name is not None:
        body["latin_name"] = item.latin_name
    return body


def _detail(problem: Any) -> str:
    if isinstance(problem, Mapping):
        return str(problem.get("detail") or problem.get("title") or problem)
    return str(problem)
