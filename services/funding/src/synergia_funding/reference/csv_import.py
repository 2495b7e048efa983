"""Import of the ESIF 2014-2020 planned finances CSV: programmes and their plan lines.

The upload is parsed as it streams (:mod:`.esif_csv`) and written in batches, all in the
caller's one transaction: a file that turns out not to be readable halfway (a quote that
never closes, bytes that are not UTF-8) raises :class:`EsifCsvFormatError` and nothing of
it is kept. A row that is wrong is reported with its line and reasons, and the good rows
load anyway.

A line is identified by its programme, fund, priority axis, thematic objective,
category of region and, for the EAFRD, measure and focus area; a row repeating an earlier
row's identity is rejected. Lines are upserted: created, updated when their amounts,
stated rate or flags differ, or left alone when equal, so importing the same file twice
changes nothing (no write, no version bump).

Programme versions (``Ver``), per CCI:

- **newer than held** (or none held): the file states the programme's plan. Its lines
  are upserted and, at the end, the programme's stored lines the file does not hold are
  retired (deleted from the plan; the programme's ETag version moves on). A row of it the
  file refuses is not held either: the plan held is the new version's valid lines.
- **the version held**: upsert only. The portal exports filtered extracts (one Member
  State, one fund); two extracts of the same version add up, and nothing is retired.
- **older than held**: every row of the programme is refused, saying which version is
  held. A file mixing versions of one CCI keeps the first and refuses the others.
- **no version stated** (an export without ``Ver``): upsert only.

A new CCI creates its programme with the CSV's title, its Member State (none for
Interreg), the version, no managing authority and no regions (the open data does not
name them; a PUT adds them). An existing programme keeps what a PUT gave it; only a
different non-empty title replaces its name. Each programme changed by the import moves
to its next ETag version once.

Who may import: an admin anything; an authority the programmes within its region. A
stored programme's declared regions must lie in the authority's region; a programme
with no declared regions is located only by its Member State, so only the authority of
that whole country may load it, and an Interreg programme, which has none, only an admin
until a PUT declares its regions. Rows of other programmes are rejected, saying so.

Set-based: rows are written in batches of :data:`BATCH_ROWS`, each batch after one
lookup (and at most one insert) of its programmes: one plain insert of the lines of
programmes this import created and one upsert of the others (which leaves out the lines
stored exactly so), written while the next batch is read; the retirements and version
changes are two statements at the end, whatever the number of programmes.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from synergia_shared.http.auth import Principal
from synergia_shared.http.problems import MESSAGE_LIMIT
from synergia_shared.http.reports import LISTING_LIMIT, ReasonCounts, echo, echo_or_none

from synergia_funding.reference import repository
from synergia_funding.reference.cci import TERRITORIAL_COOPERATION
from synergia_funding.reference.esif_csv import (
    ParsedRow,
    PlannedFinanceLine,
    RowRejection,
    aparse_planned_finance_batches,
)
from synergia_funding.reference.repository import LineKey
from synergia_funding.reference.schemas import (
    EsifImportReport,
    FlaggedRow,
    RejectedRow,
    SourceKind,
)
from synergia_funding.reference.service import may_write

BATCH_ROWS = 2_000
# Reading yields to the write in flight this often, so its statements follow each other.
YIELD_ROWS = 100


def _line_key(line: PlannedFinanceLine) -> LineKey:
    """The line's identity within its programme, as :data:`~.tables.LINE_KEY` orders it."""
    # str() of a StrEnum member is its value (and costs less than .value, on every row).
    category = line.category_of_region
    return (
        str(line.fund),
        line.priority,
        line.thematic_objective,
        None if category is None else str(category),
        line.eafrd_measure,
        line.eafrd_focus_area,
    )


def _new_programme(line: PlannedFinanceLine, by: str) -> dict[str, Any]:
    country = None if line.ms == TERRITORIAL_COOPERATION else line.ms
    title = line.title or line.cci
    return {
        "id": uuid.uuid4(),
        "kind": SourceKind.ESIF_PROGRAMME.value,
        "code": line.cci,
        "name": title,
        "regions": [],
        "nuts_closure": repository.nuts_closure([], country),
        "country": country,
        "definition": {
            "kind": SourceKind.ESIF_PROGRAMME.value,
            "cci": line.cci,
            "title": title,
            "managing_authority": None,
            "regions": [],
        },
        "programme_version": line.version,
        "updated_by": by,
    }


def _where(cci: str, country: str | None, regions: list[str]) -> str:
    """Where a programme is, for a refusal: its regions, its Member State, or neither."""
    if regions:
        return ", ".join(regions)
    if country:
        return f"Member State {country}"
    if cci[4:6] == TERRITORIAL_COOPERATION:
        return "an Interreg programme: no single Member State and no declared regions"
    return "no declared regions"


_Keyed = tuple[PlannedFinanceLine, LineKey]  # an accepted line and its key


@dataclass(frozen=True)
class _Version:
    number: int | None
    line: int  # the first row that stated it


@dataclass
class _Import:
    session: AsyncSession
    principal: Principal
    rows: int = 0
    # The first LISTING_LIMIT by line; all counted (by reason for the rejections).
    rejections: list[RejectedRow] = field(default_factory=list)
    rejected: int = 0
    reasons: ReasonCounts = field(default_factory=ReasonCounts)
    flagged: list[FlaggedRow] = field(default_factory=list)
    flagged_total: int = 0
    first_line_of: dict[tuple[str, LineKey], int] = field(default_factory=dict)
    version_of: dict[str, _Version] = field(default_factory=dict)  # CCI -> as the file says
    batch: list[_Keyed] = field(default_factory=list)
    programme_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    # CCI -> why its rows are refused: outside the caller's region, or an older version.
    refused_programmes: dict[str, str] = field(default_factory=dict)
    # Programmes taking a newer version: the keys of the lines the file holds for them.
    replacing: dict[uuid.UUID, set[LineKey]] = field(default_factory=dict)
    new_versions: dict[uuid.UUID, int] = field(default_factory=dict)
    created: set[uuid.UUID] = field(default_factory=set)
    changed: set[uuid.UUID] = field(default_factory=set)
    loaded: int = 0
    lines_created: int = 0
    lines_updated: int = 0
    lines_retired: int = 0
    writing: asyncio.Task[None] | None = None

    def reject(self, line: int, cci: str | None, reason: str) -> None:
        self.rejected += 1
        self.reasons.add(reason)
        self.rejections.append(
            RejectedRow(line=line, cci=echo_or_none(cci), reason=echo(reason, MESSAGE_LIMIT))
        )
        if len(self.rejections) >= 2 * LISTING_LIMIT:  # rows rejected late come earlier
            self.rejections.sort(key=lambda r: r.line)
            del self.rejections[LISTING_LIMIT:]

    async def take(self, rows: list[ParsedRow]) -> None:
        """The rows one chunk of the file completed."""
        for row in rows:
            self._take(row)
            if len(self.batch) >= BATCH_ROWS:
                await self.write_behind()
            elif self.writing is not None and self.rows % YIELD_ROWS == 0:
                await asyncio.sleep(0)  # the write in flight sends its next statement

    def _take(self, row: ParsedRow) -> None:
        self.rows += 1
        if isinstance(row, RowRejection):
            self.reject(row.line, row.cci, row.reason)
            return
        stated = self.version_of.get(row.cci)
        if stated is None:
            self.version_of[row.cci] = _Version(row.version, row.line)
        elif stated.number != row.version:
            self.reject(
                row.line,
                row.cci,
                f"Ver {_version_text(row.version)} of {row.cci}, where line {stated.line} "
                f"states {_version_text(stated.number)}: a file holds one version of a "
                "programme",
            )
            return
        key = _line_key(row)
        first = self.first_line_of.setdefault((row.cci, key), row.line)
        if first != row.line:
            self.reject(
                row.line,
                row.cci,
                f"repeats line {first} (same CCI, fund, priority, thematic objective, "
                "category of region, EAFRD measure and focus area)",
            )
            return
        self.batch.append((row, key))

    async def write_behind(self) -> None:
        """Write the batch while the next one is read: the database works on the lines
        while this process parses and checks the following rows. One write at a time (the
        session runs one statement at a time), in file order."""
        await self.written()
        lines, self.batch = self.batch, []
        self.writing = asyncio.create_task(self.write(lines))
        await asyncio.sleep(0)  # let it send its first statement before parsing on

    async def written(self) -> None:
        """Wait for the write in flight, if any (raising what it raised)."""
        writing, self.writing = self.writing, None
        if writing is not None:
            await writing

    async def _programmes(self, lines: list[_Keyed]) -> None:
        """Know (or create) the programme of every CCI in ``lines``, and whether the
        caller may write it."""
        firsts: dict[str, PlannedFinanceLine] = {}
        for line, _ in lines:
            if line.cci not in self.programme_ids and line.cci not in self.refused_programmes:
                firsts.setdefault(line.cci, line)
        if not firsts:
            return
        stored = await repository.programmes(self.session, list(firsts))
        new: list[dict[str, Any]] = []
        for cci, line in firsts.items():
            row = stored.get(cci)
            if row is None:
                values = _new_programme(line, self.principal.subject)
                regions = [values["country"]] if values["country"] else []
                if not may_write(self.principal, SourceKind.ESIF_PROGRAMME, regions):
                    self.refused_programmes[cci] = self._outside(
                        cci, _where(cci, values["country"], [])
                    )
                else:
                    new.append(values)
                continue
            regions = list(row.regions) or ([row.country] if row.country else [])
            if not may_write(self.principal, SourceKind.ESIF_PROGRAMME, regions):
                self.refused_programmes[cci] = self._outside(
                    cci, _where(cci, row.country, list(row.regions))
                )
                continue
            version = self.version_of[cci].number
            held: int | None = row.programme_version
            if version is not None and held is not None and version < held:
                self.refused_programmes[cci] = (
                    f"Ver {version} of {cci} is older than version {held}, which is already "
                    "held: an older version is not loaded (import the current one)"
                )
                continue
            if version is not None and (held is None or version > held):
                self.replacing[row.id] = set()
                self.new_versions[row.id] = version
            self.programme_ids[cci] = row.id
            if line.title and line.title != row.name:
                await repository.retitle(self.session, row.id, line.title)
                self.changed.add(row.id)
        inserted = await repository.insert_programmes(self.session, new)
        self.created.update(inserted.values())
        self.programme_ids.update(inserted)
        # A concurrent import inserted the others first: take them as stored.
        missed = [v["code"] for v in new if v["code"] not in inserted]
        for cci, row in (await repository.programmes(self.session, missed)).items():
            self.programme_ids[cci] = row.id

    def _outside(self, cci: str, where: str) -> str:
        return (
            f"programme {cci} ({where}) is not within your region "
            f"{self.principal.region or 'none'}: an authority loads only its own region's "
            "programmes"
        )

    async def write(self, lines: list[_Keyed]) -> None:
        if not lines:
            return
        await self._programmes(lines)
        fresh: list[tuple[Any, ...]] = []  # lines of programmes this import created
        known: list[tuple[Any, ...]] = []
        for line, key in lines:
            refused = self.refused_programmes.get(line.cci)
            if refused is not None:
                self.reject(line.line, line.cci, refused)
                continue
            source_id = self.programme_ids[line.cci]
            # The parser's flags (no stated rate, a fund the CCI does not foresee, a rate
            # above its ceiling) are the ones a programme line carries whatever its origin.
            (fresh if source_id in self.created else known).append(
                (
                    source_id,
                    *key,
                    line.eu_amount,
                    line.national_amount,
                    line.total_amount,
                    line.stated_rate,
                    line.flags,
                )
            )
            kept = self.replacing.get(source_id)
            if kept is not None:
                kept.add(key)
            if line.flags:
                self.flagged_total += 1
                if len(self.flagged) < LISTING_LIMIT:
                    self.flagged.append(
                        FlaggedRow(line=line.line, cci=line.cci, flags=[*line.flags])
                    )
        self.loaded += len(fresh) + len(known)
        self.lines_created += await repository.insert_lines(self.session, fresh)
        for written in await repository.upsert_lines(self.session, known):
            self.changed.add(written.source_id)
            self.lines_created += written.created
            self.lines_updated += written.updated

    async def finish(self) -> EsifImportReport:
        await self.written()
        lines, self.batch = self.batch, []
        await self.write(lines)
        # Only programmes the file loaded lines for move on; one whose every row was
        # refused keeps its version and plan.
        replaced = {k: v for k, v in self.replacing.items() if v}
        self.lines_retired = await repository.retire_lines(self.session, replaced)
        versions = {k: v for k, v in self.new_versions.items() if k in replaced}
        self.changed.update(versions)
        updated = self.changed - self.created
        await repository.next_versions(
            self.session, {k: versions.get(k) for k in updated}, self.principal.subject
        )
        programmes = set(self.programme_ids.values())
        self.rejections.sort(key=lambda r: r.line)
        del self.rejections[LISTING_LIMIT:]
        return EsifImportReport(
            rows=self.rows,
            lines_loaded=self.loaded,
            lines_created=self.lines_created,
            lines_updated=self.lines_updated,
            lines_unchanged=self.loaded - self.lines_created - self.lines_updated,
            lines_retired=self.lines_retired,
            programmes_created=len(self.created),
            programmes_updated=len(updated),
            programmes_new_version=len(versions),
            programmes_unchanged=len(programmes - self.created - updated),
            rejected=self.rejected,
            rejections=self.rejections,
            rejections_by_reason=self.reasons.as_dict(),
            flagged=self.flagged,
            flagged_total=self.flagged_total,
            listing_limit=LISTING_LIMIT,
        )


def _version_text(version: int | None) -> str:
    return "(none)" if version is None else str(version)


async def import_esif_programmes(
    session: AsyncSession, chunks: AsyncIterable[bytes], principal: Principal
) -> EsifImportReport:
    """Load the planned finances in ``chunks`` into ``session``'s transaction; raises
    :class:`~.esif_csv.EsifCsvFormatError` if the stream is not such a file."""
    run = _Import(session, principal)
    try:
        async for rows in aparse_planned_finance_batches(chunks):
            await run.take(rows)
    except BaseException:
        # The file broke off: let the write in flight end before the transaction is
        # rolled back (its own error, if any, is the lesser news).
        with contextlib.suppress(Exception):
            await run.written()
        raise
    return await run.finish()
