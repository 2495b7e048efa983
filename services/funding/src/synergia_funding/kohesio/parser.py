"""Read a Kohesio beneficiary export (pure: text in, records and line problems out).

The export ("Beneficiaries" on kohesio.ec.europa.eu) has the columns ``Country,
Region, Beneficiary Name, Total Budget, EU Contribution, Number of Projects,
Transliterated Name``, separated by tabs. What the real files do, and how it is read:

- **Tabs, no quoting.** A cell never contains a tab, and names carry stray, unbalanced
  ``"`` (``"Община Бургас``). A quote-aware reader would run such a
  name into the next lines, so a line is split at tabs and nothing else: a quote is
  part of the name.
- **Amounts** are plain decimals (``123456.78``) or, where the exporter wrote a float,
  scientific notation (``4.729375062E7``). Scientific notation is accepted here, and
  only here, because the file's own format uses it (the rule for amounts anywhere else
  is :func:`synergia_funding.csv_dialect.parse_amount`'s). The text is converted
  exactly with :class:`~decimal.Decimal`, then rounded to the cent, half up: a float
  printed with ten significant digits can carry a fraction of a cent.
- **Empty cells** are absent values (``None``): a row may lack its EU contribution or
  every amount. What that means for the row is the mapping's to decide
  (:mod:`.mapping`), not a reason to stop reading.
- The header names the columns in any order and case; an unknown or missing column
  refuses the file. Blank lines are skipped; a line with another number of cells than
  the header is a problem of that line only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

COUNTRY = "Country"
REGION = "Region"
NAME = "Beneficiary Name"
TOTAL = "Total Budget"
EU = "EU Contribution"
PROJECTS = "Number of Projects"
TRANSLITERATED = "Transliterated Name"
COLUMNS = (COUNTRY, REGION, NAME, TOTAL, EU, PROJECTS, TRANSLITERATED)

_CENT = Decimal("0.01")
_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_COUNT = re.compile(r"[0-9]+(?:\.0+)?")  # "3.0": a count the exporter wrote as a float
_MAX_AMOUNT = Decimal("999999999999.99")  # what the ledger stores (14 digits, 2 decimals)


class KohesioFormatError(ValueError):
    """The text is not a Kohesio beneficiary export (the header says why)."""


@dataclass(frozen=True)
class KohesioRecord:
    """One line of the file, its cells read but not yet interpreted."""

    line: int  # 1-based, in the file (the header is line 1)
    country: str
    region: str
    name: str
    total_budget: Decimal | None
    eu_contribution: Decimal | None
    projects: int | None
    transliterated_name: str | None


@dataclass(frozen=True)
class LineProblem:
    """Why a line cannot be read, in the file's terms."""

    line: int
    beneficiary: str | None  # the name on the line, when there is one
    reason: str

    def __str__(self) -> str:
        who = f" ({self.beneficiary})" if self.beneficiary else ""
        return f"line {self.line}{who}: {self.reason}"


@dataclass(frozen=True)
class KohesioFile:
    records: tuple[KohesioRecord, ...]
    problems: tuple[LineProblem, ...]


class _CellError(ValueError):
    pass


def parse_kohesio(text: str) -> KohesioFile:
    """The records of a Kohesio export and the problems of the lines that cannot be read.

    Raises :class:`KohesioFormatError` when the header is not the export's.
    """
    lines = text.removeprefix("\ufeff").splitlines()
    if not lines or not lines[0].strip():
        raise KohesioFormatError("empty: expected the header " + "\\t".join(COLUMNS))
    positions = _header(lines[0])
    records: list[KohesioRecord] = []
    problems: list[LineProblem] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        name = cells[positions[NAME]].strip() if len(cells) > positions[NAME] else None
        if len(cells) != len(positions):
            problems.append(
                LineProblem(
                    number,
                    name or None,
                    f"{len(cells)} tab-separated cells where the header has {len(positions)}",
                )
            )
            continue
        try:
            records.append(_record(number, {col: cells[i] for col, i in positions.items()}))
        except _CellError as exc:
            problems.append(LineProblem(number, name or None, str(exc)))
    return KohesioFile(tuple(records), tuple(problems))


def _header(line: str) -> dict[str, int]:
    names = [cell.strip() for cell in line.split("\t")]
    by_key = {column.casefold(): column for column in COLUMNS}
    positions: dict[str, int] = {}
    unknown = []
    for index, cell in enumerate(names):
        column = by_key.get(cell.casefold())
        if column is None:
            unknown.append(cell)
        elif column in positions:
            raise KohesioFormatError(f"the header names column {column!r} twice")
        else:
            positions[column] = index
    missing = [column for column in COLUMNS if column not in positions]
    if len(names) == 1 and missing:
        raise KohesioFormatError(
            "the header has no tab: a Kohesio export separates its columns by tabs ("
            + ", ".join(COLUMNS)
            + ")"
        )
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(f"unknown column(s) {', '.join(map(repr, unknown))}")
        if missing:
            parts.append(f"missing column(s) {', '.join(map(repr, missing))}")
        raise KohesioFormatError(
            "; ".join(parts) + "; the export's columns are " + ", ".join(COLUMNS)
        )
    return positions


def _record(line: int, cells: dict[str, str]) -> KohesioRecord:
    name = cells[NAME].strip()
    if not name:
        raise _CellError(f"{NAME} is empty")
    transliterated = cells[TRANSLITERATED].strip()
    return KohesioRecord(
        line=line,
        country=cells[COUNTRY].strip(),
        region=cells[REGION].strip(),
        name=name,
        total_budget=_amount(TOTAL, cells[TOTAL]),
        eu_contribution=_amount(EU, cells[EU]),
        projects=_count(cells[PROJECTS]),
        transliterated_name=transliterated or None,
    )


def parse_kohesio_amount(text: str) -> Decimal | None:
    """An amount as Kohesio writes it (``123456.78``, ``4.729375062E7``), exact, rounded
    to the cent half up; ``None`` for an empty cell. Raises :class:`ValueError`."""
    value = text.strip()
    if not value:
        return None
    if not _AMOUNT.fullmatch(value):
        raise ValueError(f"{value!r} is not an amount (digits, a decimal point, maybe E±n)")
    try:
        amount = Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # an exponent too large to quantize
        raise ValueError(f"{value!r} is too large an amount") from None
    if amount > _MAX_AMOUNT:
        raise ValueError(f"{value!r} is too large an amount")
    return amount


def _amount(column: str, text: str) -> Decimal | None:
    try:
        return parse_kohesio_amount(text)
    except ValueError as exc:
        raise _CellError(f"{column} {exc}") from None


def _count(text: str) -> int | None:
    value = text.strip()
    if not value:
        return None
    if not _COUNT.fullmatch(value):
        raise _CellError(f"{PROJECTS} {value!r} is not a count")
    return int(Decimal(value))
