"""The CORDIS import use case: read the whole file, then apply it in batches.

Reading comes first and writes nothing: every row is parsed and mapped, and the rows of
each organisation merged (an organisation's rows are spread over the file, one per
project), so a file that cannot be read at all fails before anything changed. Memory
holds one entry per organisation, never the file.

Then the organisations are applied ``batch_size`` per transaction: one query finds the
actors already linked to them (by CORDIS organisation id or PIC); the new ones are
registered together through the actor service (``register_imported_many``: a few
statements per batch), an existing one is updated through it only when an imported field
changed (see :func:`mapping.changed_fields`), so every actor event goes through the
outbox with the change it belongs to, and an organisation the registry already holds as
the file says causes no write and no event. Writes run in savepoints: an organisation
that cannot be applied is rejected with the reason and the rest of its batch goes on. If
the process stops half-way, the batches committed stay and running the import again
finishes the job (what was applied is then unchanged).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.db import SessionFactory, unit_of_work
from synergia_shared.events.registry import ActorKind
from synergia_shared.http.problems import MESSAGE_LIMIT, ProblemException, errors_detail
from synergia_shared.http.reports import ReasonCounts, echo, echo_or_none

from synergia_registry.actors import repository as actor_repository
from synergia_registry.actors import service as actor_service
from synergia_registry.actors.schemas import ActorCreate, ActorPatch
from synergia_registry.actors.service import ImportedProfile
from synergia_registry.imports import mapping
from synergia_registry.imports.mapping import ImportedOrganisation, Issue, OrganisationDraft
from synergia_registry.imports.parser import read_records
from synergia_registry.imports.schemas import CordisImportReport, ImportRejection, ImportWarning

BATCH_SIZE = 500
LISTING_LIMIT = 1000
RACED = "another writer registered this PIC at the same time; import the file again"


@dataclass
class Tally:
    """What the import did, and the first ``limit`` rejections and warnings."""

    limit: int
    rows_read: int = 0
    rows_rejected: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    organisations_rejected: int = 0
    rejections_total: int = 0
    warnings_total: int = 0
    rejections: list[ImportRejection] = field(default_factory=list)
    warnings: list[ImportWarning] = field(default_factory=list)
    reasons: ReasonCounts = field(default_factory=ReasonCounts)

    def reject(self, issue: Issue, rows: int = 1) -> None:
        self.rows_rejected += rows
        self.rejections_total += 1
        self.reasons.add(issue.message)
        if len(self.rejections) < self.limit:
            self.rejections.append(
                ImportRejection(
                    line=issue.line,
                    organisation_id=echo_or_none(issue.organisation_id),
                    reason=echo(issue.message, MESSAGE_LIMIT),
                )
            )

    def reject_organisation(self, org: ImportedOrganisation, reason: str) -> None:
        self.organisations_rejected += 1
        rows = len(org.lines)
        where = f" (all {rows} rows of this organisation)" if rows > 1 else ""
        self.reject(Issue(org.first_line, org.organisation_id, reason + where), rows)

    def warn(self, issue: Issue) -> None:
        self.warnings_total += 1
        if len(self.warnings) < self.limit:
            self.warnings.append(
                ImportWarning(
                    line=issue.line,
                    organisation_id=echo(issue.organisation_id or ""),
                    field=echo(issue.field or ""),
                    message=echo(issue.message, MESSAGE_LIMIT),
                )
            )

    def report(self, organisations: int) -> CordisImportReport:
        return CordisImportReport(
            rows_read=self.rows_read,
            rows_accepted=self.rows_read - self.rows_rejected,
            rows_rejected=self.rows_rejected,
            organisations=organisations,
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
            organisations_rejected=self.organisations_rejected,
            rejections_total=self.rejections_total,
            rejections=self.rejections,
            rejections_by_reason=self.reasons.as_dict(),
            warnings_total=self.warnings_total,
            warnings=self.warnings,
            listing_limit=self.limit,
        )


async def import_cordis(
    sessions: SessionFactory,
    chunks: AsyncIterable[bytes],
    *,
    batch_size: int = BATCH_SIZE,
    listing_limit: int = LISTING_LIMIT,
) -> CordisImportReport:
    """Import a CORDIS organization.csv; raises ``CsvFormatError`` (nothing written) if
    the stream is not one."""
    tally = Tally(listing_limit)
    drafts = await read_organisations(chunks, tally)
    organisations = [mapping.finish(draft) for draft in drafts]
    for org in organisations:
        for warning in org.warnings:
            tally.warn(warning)
    for batch in _batches(organisations, batch_size):
        async with unit_of_work(sessions) as session:
            await apply_batch(session, batch, tally)
    return tally.report(len(organisations))


async def read_organisations(chunks: AsyncIterable[bytes], tally: Tally) -> list[OrganisationDraft]:
    """Every organisation of the file, its rows merged, in order of first appearance."""
    columns: mapping.Columns | None = None
    drafts: dict[str, OrganisationDraft] = {}
    async for record in read_records(chunks, mapping.COLUMNS):
        if columns is None:
            columns = mapping.Columns.from_header(record.values)
            continue
        tally.rows_read += 1
        row = mapping.read_row(record, columns)
        if isinstance(row, Issue):
            tally.reject(row)
            continue
        draft = drafts.get(row.organisation_id)
        if draft is None:
            draft = drafts[row.organisation_id] = OrganisationDraft(row.organisation_id)
        draft.add(row)
    return list(drafts.values())


async def apply_batch(
    session: AsyncSession,
    batch: Sequence[ImportedOrganisation],
    tally: Tally,
    *,
    retry: bool = True,
) -> None:
    found = await actor_repository.find_imported(session, [o.organisation_id for o in batch])
    by_link = {row.cordis_organisation_id: row for row in found if row.cordis_organisation_id}
    by_pic = {row.pic: row for row in found if row.pic}
    new: list[tuple[ImportedOrganisation, ImportedProfile]] = []
    for org in batch:
        linked, holder = by_link.get(org.organisation_id), by_pic.get(org.organisation_id)
        if linked is not None and holder is not None and linked.id != holder.id:
            tally.reject_organisation(
                org,
                f"actor {linked.id} is linked to this CORDIS organisation but actor "
                f"{holder.id} holds its PIC; merge them first",
            )
            continue
        current = linked or holder
        if current is None:
            try:
                new.append((org, registration_command(org)))
            except ValidationError as exc:
                tally.reject_organisation(org, _reasons(exc))
            continue
        if current.cordis_organisation_id not in (None, org.organisation_id):
            tally.reject_organisation(
                org,
                f"actor {current.id} holds PIC {org.organisation_id} but is linked to CORDIS "
                f"organisation {current.cordis_organisation_id}",
            )
            continue
        if not current.active:
            tally.unchanged += 1
            tally.warn(
                Issue(
                    org.first_line,
                    org.organisation_id,
                    f"actor {current.id} is deactivated: the import leaves it as it is",
                    "organisationID",
                )
            )
            continue
        changes = mapping.changed_fields(current._mapping, org)
        if not changes and current.cordis_organisation_id is not None:
            tally.unchanged += 1
            continue
        if await _write(session, tally, org, _update(session, current, changes, org)):
            tally.updated += 1
    await _register(session, new, tally, retry=retry)


class _Profile(NamedTuple):
    """An organisation's :class:`ActorCreate`, for one that model accepts as it is."""

    legal_name: str
    short_name: str | None
    kind: ActorKind
    country: str
    pic: str
    vat_number: str | None
    website: str | None
    nuts_code: str | None
    nuts_version: str
    national_id: str | None = None
    national_id_scheme: str | None = None


_DEFAULT_NUTS_VERSION: str = ActorCreate.model_fields["nuts_version"].default


def registration_command(org: ImportedOrganisation) -> ImportedProfile:
    """What the organisation is registered with. :func:`mapping.finish` already holds its
    fields to what ``ActorCreate`` checks (names stripped, 1-300 characters; a kind; an
    http(s) address of at most 500), except the scheme's case: ``ActorCreate`` wants it
    lower-case where the import takes ``HTTP://`` too. Only such an organisation is
    validated as an ``ActorCreate``, whose reasons are then reported; a model for each of
    the others cost as much as the rest of its registration in Python."""
    profile = _Profile(
        legal_name=org.legal_name,
        short_name=org.short_name,
        kind=org.kind,
        country=org.country,
        pic=org.organisation_id,
        vat_number=org.vat_number,
        website=org.website,
        nuts_code=org.nuts_code,
        nuts_version=org.nuts_version or _DEFAULT_NUTS_VERSION,
    )
    if org.website is not None and not org.website.startswith(("http://", "https://")):
        return ActorCreate(**profile._asdict())
    return profile


async def _register(
    session: AsyncSession,
    new: list[tuple[ImportedOrganisation, ImportedProfile]],
    tally: Tally,
    *,
    retry: bool,
) -> None:
    """Register the batch's new organisations together.

    If a concurrent writer (another import, a POST /v1/actors) committed one of their
    PICs meanwhile, the insert fails on the unique constraint; each organisation is then
    applied again on its own, against what is now committed, so the one concerned is
    found and compared rather than rejected. A second failure rejects it.
    """
    if not new:
        return
    commands = [(command, org.organisation_id) for org, command in new]
    try:
        async with session.begin_nested():
            outcomes = await actor_service.register_imported_many(session, commands)
    except IntegrityError:
        for org, _ in new:
            if retry:
                await apply_batch(session, [org], tally, retry=False)
            else:
                tally.reject_organisation(org, RACED)
        return
    for (org, _), outcome in zip(new, outcomes, strict=True):
        if isinstance(outcome, str):
            tally.reject_organisation(org, outcome)
        else:
            tally.created += 1


async def _update(
    session: AsyncSession, current: Row[Any], changes: dict[str, Any], org: ImportedOrganisation
) -> None:
    await actor_service.update_imported(
        session,
        current.id,
        current.version,
        ActorPatch(**changes),
        cordis_organisation_id=org.organisation_id,
    )


def _reasons(exc: ValidationError) -> str:
    return errors_detail(exc.errors())


async def _write(
    session: AsyncSession,
    tally: Tally,
    org: ImportedOrganisation,
    write: Coroutine[Any, Any, object],
) -> bool:
    """Run ``write`` (a coroutine) in a savepoint; reject the organisation if it fails."""
    try:
        async with session.begin_nested():
            await write
    except ProblemException as exc:
        tally.reject_organisation(org, exc.detail or exc.title)
        return False
    except ValidationError as exc:
        tally.reject_organisation(org, _reasons(exc))
        return False
    except IntegrityError:
        tally.reject_organisation(org, RACED)
        return False
    return True


def _batches(
    items: Iterable[ImportedOrganisation], size: int
) -> Iterable[list[ImportedOrganisation]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
