"""Load a Kohesio plan: register or match its beneficiaries, then record their commitments.

The order is the authority's journey: (1) every organisation of the file is sent to the
registry's bulk registration (``POST /v1/actors:batch-register``, up to 5,000 a
request), which registers it or matches one the registry knows, and answers with its
actor id; (2) every commitment of a line whose organisation has an actor id is sent to
funding's authority batch (``POST /v1/authority-events:batch``, up to 1,000 a request),
as a ``commitment`` of the request's fund and date. The commitments of one chunk of
organisations are sent while the next chunk registers: the two services work at once.

Both calls are idempotent by the plan's deterministic external ids, so loading the same
file again registers nothing (the registry answers ``matched``, ``replayed``) and
records nothing new (funding answers ``replayed``). An organisation the registry reports
as a ``possible_duplicate`` (with its candidates) or ``rejected`` gets no actor id: its
lines are reported, with the registry's reason, and nothing is committed for them.

Funding may answer a commitment ``parked`` rather than ``applied``: it waits there for
the beneficiary's registration to reach funding through the registry's event, and is
applied then, with nothing more to send.

The two services are reached through :class:`RegistryPort` and :class:`FundingPort`:
:class:`BulkRegistrationOverHttp` and :class:`AuthorityEventsOverHttp` speak their HTTP
APIs through any :data:`PostJson` (an authenticated client's ``post``), so the same plan
runs from the command (:mod:`.cli`), a request handler or a test.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from synergia_funding.authority.schemas import MAX_BATCH_ITEMS
from synergia_funding.kohesio.mapping import KohesioBeneficiary, KohesioCommitment, KohesioPlan
from synergia_funding.kohesio.params import KohesioImportParams
from synergia_funding.ledger.entries import EntryKind, FinanceType

PostJson = Callable[[str, Mapping[str, Any]], Awaitable[tuple[int, Any]]]
"""POST a JSON body to a path of the service; answers (status, decoded JSON body)."""

MAX_REGISTRATIONS = 5000  # the registry's batch limit
MAX_COMMITMENTS = MAX_BATCH_ITEMS  # funding's batch limit

_T = TypeVar("_T")


class ServiceRefused(RuntimeError):
    """A service refused a whole request (not one item of it): nothing of that request
    was recorded, and the load stops there."""


@dataclass(frozen=True)
class RegistrationItem:
    """One organisation for the registry's bulk registration (``BeneficiaryIn``)."""

    external_id: str
    legal_name: str
    country: str
    nuts_code: str
    nuts_version: str


@dataclass(frozen=True)
class Candidate:
    """An actor of the registry whose name is close to the organisation's."""

    actor_id: uuid.UUID
    legal_name: str
    nuts_code: str | None

    def __str__(self) -> str:
        where = f", {self.nuts_code}" if self.nuts_code else ""
        return f"{self.legal_name} ({self.actor_id}{where})"


@dataclass(frozen=True)
class RegistrationResult:
    external_id: str
    # registered | matched: the actor exists now. possible_duplicate | rejected: no
    # actor id, so the organisation's lines are not committed.
    status: str
    actor_id: uuid.UUID | None
    problem: str | None = None
    candidates: tuple[Candidate, ...] = ()
    replayed: bool = False  # matched by the external id this sender sent before


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
    candidates: tuple[Candidate, ...] = ()  # a possible duplicate's similar actors


@dataclass
class KohesioLoadReport:
    lines: list[LineReport]
    registrations: list[RegistrationResult]  # one per organisation of the file

    @property
    def refused(self) -> list[LineReport]:
        return [line for line in self.lines if line.problem is not None]

    def beneficiaries(self, status: str) -> int:
        return sum(result.status == status for result in self.registrations)

    @property
    def commitments(self) -> list[CommitmentResult]:
        return [c for line in self.lines for c in line.commitments]

    def recorded(self, status: str) -> int:
        """Commitments funding answered with ``status`` for the first time."""
        return sum(c.status == status and not c.replayed for c in self.commitments)

    @property
    def replayed(self) -> int:
        return sum(c.replayed for c in self.commitments)


def registration_items(plan: KohesioPlan, params: KohesioImportParams) -> list[RegistrationItem]:
    return [_registration(b, params) for b in plan.beneficiaries]


def _registration(beneficiary: KohesioBeneficiary, params: KohesioImportParams) -> RegistrationItem:
    # The registry keeps no Latin form of a name beside the legal one; its name key
    # transliterates Cyrillic and Greek, so the Latin spelling still finds the actor.
    return RegistrationItem(
        external_id=beneficiary.external_id,
        legal_name=beneficiary.legal_name,
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


def _not_registered(result: RegistrationResult) -> str:
    if result.status == "possible_duplicate":
        similar = "; ".join(str(c) for c in result.candidates) or "none listed"
        return (
            "not registered, nothing committed: the registry holds a similar name in the "
            f"same country (possible duplicate of: {similar}); if it is another "
            "organisation, register it with allow_similar_name under external id "
            f"{result.external_id}, then load the file again"
        )
    return f"not registered, nothing committed: the registry refused it ({result.problem})"


async def load_kohesio(
    plan: KohesioPlan,
    params: KohesioImportParams,
    registry: RegistryPort,
    funding: FundingPort,
    *,
    registration_batch: int = MAX_REGISTRATIONS,
    commitment_batch: int = MAX_COMMITMENTS,
) -> KohesioLoadReport:
    """Register the plan's organisations, chunk by chunk, and record the commitments of
    each chunk's registered ones while the next chunk registers; a report line per line
    of the file, refused lines included.

    Raises :class:`ServiceRefused` when a service refuses a whole request: what was sent
    before stays (and is matched or replayed when the file is loaded again)."""
    reports = [LineReport(p.line, p.beneficiary or "", problem=p.reason) for p in plan.problems]
    rows_of: defaultdict[str, list[LineReport]] = defaultdict(list)
    commitments_of: defaultdict[str, list[tuple[LineReport, KohesioCommitment]]] = defaultdict(list)
    for row in plan.rows:
        report = LineReport(row.line, row.beneficiary_name, notes=list(row.notes))
        reports.append(report)
        rows_of[row.beneficiary_external_id].append(report)
        commitments_of[row.beneficiary_external_id] += [(report, c) for c in row.commitments]

    registrations: list[RegistrationResult] = []
    sending: asyncio.Task[None] | None = None
    try:
        for chunk in _chunks(registration_items(plan, params), registration_batch):
            results = await registry.register(chunk)
            _same_length(chunk, results, "the registry")
            registrations += results
            pending: list[tuple[LineReport, dict[str, Any]]] = []
            for result in results:
                for report in rows_of[result.external_id]:
                    report.registration = result.status
                    if result.actor_id is None:
                        report.problem = _not_registered(result)
                        report.candidates = result.candidates
                if result.actor_id is not None:
                    pending += [
                        (report, commitment_item(c, result.actor_id, params))
                        for report, c in commitments_of[result.external_id]
                    ]
            if sending is not None:
                await sending
            sending = asyncio.create_task(_commit_all(funding, pending, commitment_batch))
        if sending is not None:
            await sending
    finally:
        if sending is not None and not sending.done():
            sending.cancel()
    reports.sort(key=lambda report: report.line)
    return KohesioLoadReport(reports, registrations)


async def _commit_all(
    funding: FundingPort, pending: Sequence[tuple[LineReport, dict[str, Any]]], size: int
) -> None:
    for batch in _chunks(pending, size):
        outcomes = await funding.commit([item for _, item in batch])
        _same_length(batch, outcomes, "funding")
        for (report, _), outcome in zip(batch, outcomes, strict=True):
            report.commitments.append(outcome)
            if outcome.status == "rejected" and report.problem is None:
                report.problem = f"commitment {outcome.external_id} refused: {outcome.problem}"


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _same_length(sent: Sequence[Any], answered: Sequence[Any], service: str) -> None:
    if len(sent) != len(answered):
        raise ServiceRefused(f"{service} answered {len(answered)} results for {len(sent)} items")


class AuthorityEventsOverHttp:
    """:class:`FundingPort` over ``POST /v1/authority-events:batch``."""

    PATH = "/v1/authority-events:batch"

    def __init__(self, post: PostJson) -> None:
        self._post = post

    async def commit(self, items: Sequence[Mapping[str, Any]]) -> list[CommitmentResult]:
        status, body = await self._post(self.PATH, {"items": list(items)})
        if status != 200:
            raise ServiceRefused(
                f"funding refused a batch of commitments ({status}): {_detail(body)}"
            )
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
    """:class:`RegistryPort` over ``POST /v1/actors:batch-register``.

    A 409 means another request registered some of the same organisations at the same
    moment and nothing of this batch was written; the registry asks to send it again,
    which is done ``retries`` times (its items are then matched)."""

    PATH = "/v1/actors:batch-register"

    def __init__(self, post: PostJson, *, retries: int = 2) -> None:
        self._post = post
        self._retries = retries

    async def register(self, items: Sequence[RegistrationItem]) -> list[RegistrationResult]:
        body = {"items": [_registration_json(item) for item in items]}
        for _ in range(self._retries):
            status, answer = await self._post(self.PATH, body)
            if status != 409:
                break
        else:
            status, answer = await self._post(self.PATH, body)
        if status != 200:
            raise ServiceRefused(
                f"the registry refused a batch of beneficiaries ({status}): {_detail(answer)}"
            )
        results = sorted(answer["items"], key=lambda result: result["index"])
        _same_length(items, results, "the registry")
        return [
            _registration_result(item, result) for item, result in zip(items, results, strict=True)
        ]


def _registration_result(item: RegistrationItem, result: Mapping[str, Any]) -> RegistrationResult:
    return RegistrationResult(
        # An item refused before its fields were read answers without its external id.
        external_id=result.get("external_id") or item.external_id,
        status=result["status"],
        actor_id=uuid.UUID(result["actor_id"]) if result.get("actor_id") else None,
        problem=_detail(result["problem"]) if result.get("problem") else None,
        candidates=tuple(
            Candidate(uuid.UUID(c["actor_id"]), c["legal_name"], c.get("nuts_code"))
            for c in result.get("candidates") or ()
        ),
        replayed=bool(result.get("replayed")),
    )


def _registration_json(item: RegistrationItem) -> dict[str, Any]:
    return {
        "external_id": item.external_id,
        "legal_name": item.legal_name,
        "country": item.country,
        "nuts_code": item.nuts_code,
        "nuts_version": item.nuts_version,
    }


def _detail(problem: Any) -> str:
    if isinstance(problem, Mapping):
        return str(problem.get("detail") or problem.get("title") or problem)
    return str(problem)
