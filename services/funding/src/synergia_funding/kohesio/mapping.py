"""Kohesio records as beneficiaries and commitments (pure): what each line means.

Decisions, each reported on the line it concerns (:attr:`KohesioRow.notes`, or a
:class:`~.parser.LineProblem` when the line is refused):

- **Country** is read as Kohesio writes it, a name ("Bulgaria") or a code ("BG", "EL").
- **Region** is a name, resolved to one NUTS region of the chosen version within the
  row's country (:func:`~synergia_shared.reference.nuts_names.resolve_region_name`); an
  ambiguous or unknown name refuses the line, naming the candidates. A commitment needs
  its region, so an empty Region refuses the line too.
- **The same beneficiary in another region** (same country, same name once case,
  spacing and quotes are ignored) is one organisation: registered once, under its first
  line's region, with one commitment per line, each in its own line's region. Listed
  twice in the same region, the later line is refused as a repeat.
- **EU contribution** is the ESIF commitment, of the request's fund. No EU contribution,
  or no amounts at all: the beneficiary is registered and nothing is committed. An EU
  contribution above the total budget by one cent is the source's rounding: accepted,
  flagged, and the co-financing is taken as zero; by more, the line is refused.
- **Co-financing** (total budget minus EU contribution) is committed only when the
  request names its source; without a total budget it is unknown and not committed.
- **Names**: the legal name is the Beneficiary Name as written (stray quotes included:
  they are the file's); a Cyrillic or Greek name takes the file's Transliterated Name as
  its Latin name, and without one it is registered in its own script only, flagged.
- **Ids are deterministic**, so loading the same file again changes nothing: the
  organisation's external id from its country and normalised name, a commitment's from
  the fund, programme, region and organisation. Re-run with the same fund, programme
  and NUTS version, or the ids (and so the commitments) differ.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from synergia_shared.reference.countries import UnknownCountry
from synergia_shared.reference.country_names import lookup_country_by_name_or_code
from synergia_shared.reference.nuts import NutsRegion
from synergia_shared.reference.nuts_names import RegionFilter, RegionNameError, resolve_region_name

from synergia_funding.kohesio.params import KohesioImportParams
from synergia_funding.kohesio.parser import KohesioFile, KohesioRecord, LineProblem
from synergia_funding.ledger.entries import EsifFund, Source

ROUNDING_TOLERANCE = Decimal("0.01")
# Straight, curly and low quotes, guillemets, and the backtick some exports use.
_QUOTES = frozenset("\"'`\u201c\u201d\u201e\u00ab\u00bb\u2018\u2019\u201a")


@dataclass(frozen=True)
class KohesioBeneficiary:
    """An organisation of the file, once however many lines list it."""

    external_id: str
    legal_name: str
    latin_name: str | None
    country: str  # EU form
    region: str  # NUTS code of the first line listing it
    line: int  # that first line


@dataclass(frozen=True)
class KohesioCommitment:
    external_id: str
    beneficiary_external_id: str
    source: Source
    fund: EsifFund | None  # ESIF only
    instrument: str | None
    amount: Decimal
    region: str


@dataclass(frozen=True)
class KohesioRow:
    """One accepted line: who, where, and what it commits (maybe nothing)."""

    line: int
    beneficiary_name: str  # as written in the file
    beneficiary_external_id: str
    country: str
    region: NutsRegion
    total_budget: Decimal | None
    eu_contribution: Decimal | None
    projects: int | None
    commitments: tuple[KohesioCommitment, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class KohesioPlan:
    """The file as beneficiaries to register and commitments to record."""

    beneficiaries: tuple[KohesioBeneficiary, ...]
    rows: tuple[KohesioRow, ...]
    problems: tuple[LineProblem, ...]  # lines refused, reading or mapping, in file order

    @property
    def commitments(self) -> tuple[KohesioCommitment, ...]:
        return tuple(c for row in self.rows for c in row.commitments)


class _Refused(ValueError):
    pass


def normalise_beneficiary_name(name: str) -> str:
    """What makes two lines name the same organisation: case, spacing and quotes aside."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return " ".join("".join(" " if c in _QUOTES else c for c in text).split())


def beneficiary_external_id(country: str, name: str) -> str:
    """``kohesio:BG:<digest>``: the organisation's id, from its country and name."""
    digest = hashlib.sha256(normalise_beneficiary_name(name).encode()).hexdigest()[:24]
    return f"kohesio:{country}:{digest}"


def map_kohesio(file: KohesioFile, params: KohesioImportParams) -> KohesioPlan:
    """Every readable record as beneficiary and commitments, or as a refused line."""
    beneficiaries: dict[str, KohesioBeneficiary] = {}
    seen: dict[tuple[str, str], int] = {}  # (organisation, region) -> line
    rows: list[KohesioRow] = []
    problems = list(file.problems)
    for record in file.records:
        try:
            row = _row(record, params, beneficiaries, seen)
        except _Refused as exc:
            problems.append(LineProblem(record.line, record.name, str(exc)))
            continue
        rows.append(row)
    problems.sort(key=lambda problem: problem.line)
    return KohesioPlan(tuple(beneficiaries.values()), tuple(rows), tuple(problems))


def _row(
    record: KohesioRecord,
    params: KohesioImportParams,
    beneficiaries: dict[str, KohesioBeneficiary],
    seen: dict[tuple[str, str], int],
) -> KohesioRow:
    country = _country(record.country)
    region = _region(record, country, params)
    notes: list[str] = []
    eu, cofinancing = _amounts(record, notes)
    organisation = beneficiary_external_id(country, record.name)
    repeated = seen.get((organisation, region.code))
    if repeated is not None:
        raise _Refused(f"repeats line {repeated}: the same beneficiary in region {region.code}")
    first = beneficiaries.get(organisation)
    if first is None:
        first = KohesioBeneficiary(
            organisation,
            record.name,
            _latin_name(record, notes),
            country,
            region.code,
            record.line,
        )
        beneficiaries[organisation] = first
    else:
        notes.append(
            f"also listed on line {first.line} (region {first.region}): one organisation, "
            f"registered once; this line commits in region {region.code}"
        )
    seen[(organisation, region.code)] = record.line
    if record.name.count('"') % 2:
        notes.append('the name has an unbalanced " (kept as written)')
    return KohesioRow(
        line=record.line,
        beneficiary_name=record.name,
        beneficiary_external_id=organisation,
        country=country,
        region=region,
        total_budget=record.total_budget,
        eu_contribution=record.eu_contribution,
        projects=record.projects,
        commitments=_commitments(organisation, region.code, eu, cofinancing, params),
        notes=tuple(notes),
    )


def _country(text: str) -> str:
    if not text:
        raise _Refused("Country is empty")
    try:
        return lookup_country_by_name_or_code(text).code
    except UnknownCountry as exc:
        raise _Refused(f"Country: {exc}") from None


def _region(record: KohesioRecord, country: str, params: KohesioImportParams) -> NutsRegion:
    if not record.region:
        raise _Refused("Region is empty: a commitment needs the region of its operation")
    try:
        return _resolved(record.region, country, params.region_level, params.nuts_version)
    except RegionNameError as exc:
        raise _Refused(f"Region: {exc}") from None


@functools.lru_cache(maxsize=4096)
def _resolved(name: str, country: str, level: int | None, version: str) -> NutsRegion:
    # A file names a few hundred regions over thousands of lines.
    return resolve_region_name(name, RegionFilter(country=country, level=level, version=version))


def _amounts(record: KohesioRecord, notes: list[str]) -> tuple[Decimal | None, Decimal | None]:
    """The EU commitment and the co-financing, ``None`` where there is none."""
    total, eu = record.total_budget, record.eu_contribution
    if eu is None or eu == 0:
        notes.append(
            "no amounts: registered, nothing committed"
            if total is None
            else "no EU contribution: registered, nothing committed"
        )
        return None, None
    if total is None:
        notes.append("no total budget: the EU contribution is committed, co-financing unknown")
        return eu, None
    if eu > total + ROUNDING_TOLERANCE:
        raise _Refused(
            f"EU Contribution {eu} is above the Total Budget {total} by {eu - total}: "
            f"more than the {ROUNDING_TOLERANCE} accepted as rounding"
        )
    if eu > total:
        notes.append(
            f"EU Contribution {eu} is above the Total Budget {total} by {eu - total}: "
            "accepted as rounding, co-financing taken as 0"
        )
        return eu, None
    return eu, total - eu or None


def _latin_name(record: KohesioRecord, notes: list[str]) -> str | None:
    latin = record.transliterated_name
    if latin and normalise_beneficiary_name(latin) != normalise_beneficiary_name(record.name):
        return latin
    if _non_latin(record.name):
        notes.append("no Transliterated Name: registered in its own script only")
    return None


def _non_latin(name: str) -> bool:
    # Latin letters, accented ones included, lie below U+0370, where Greek begins.
    return any(
        unicodedata.name(char, "").startswith(("CYRILLIC", "GREEK"))
        for char in name
        if char >= "\u0370"
    )


def _commitments(
    organisation: str,
    region: str,
    eu: Decimal | None,
    cofinancing: Decimal | None,
    params: KohesioImportParams,
) -> tuple[KohesioCommitment, ...]:
    if eu is None:
        return ()
    digest = organisation.rsplit(":", 1)[1]
    stem = f"kohesio:{params.fund.value}:{params.programme_cci or '-'}:{region}:{digest}"
    out = [
        KohesioCommitment(
            stem, organisation, Source.ESIF, params.fund, params.programme_cci, eu, region
        )
    ]
    if cofinancing is not None and params.cofinancing_source is not None:
        out.append(
            KohesioCommitment(
                f"{stem}:cofinancing",
                organisation,
                params.cofinancing_source,
                None,
                params.programme_cci,
                cofinancing,
                region,
            )
        )
    return tuple(out)
