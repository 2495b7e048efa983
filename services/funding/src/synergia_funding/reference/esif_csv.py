"""The ESIF 2014-2020 planned finances open data, read row by row (pure: no I/O).

The file is the cohesion open-data portal's "ESIF 2014-2020 Finance Implementation
Details: planned" (dataset ``e4v6-qrrq``, CSV export ``/api/views/e4v6-qrrq/rows.csv``),
about 7,500 rows: one per programme (CCI) version, fund, priority axis, thematic
objective and category of region and, for the EAFRD, measure and focus area. Its header:
``MS, MS Name, CCI, Ver, Programme Title, Fund, Priority, TO_code, To short, TO long,
Category of region, EAFRD Measure code, Measure short description, EAFRD Focus Area code,
Focus area short description, EU Amount, National Amount, Total Amount, EU co-financing``.
Header names are matched ignoring case, spaces and punctuation, so the API's field names
(``eu_co_financing``, ``to_code``...) and older spellings (``TO``, ``Title``, ``EAFRD FA``,
``EU Co-financing rate``...) are read too (:data:`COLUMN_NAMES`); descriptions
(``MS Name``, ``To short``, ``Measure short description``...) are ignored.

What is normal in the real file and read as such:

- **EAFRD lines broken down by measure and focus area**: the same programme, priority
  and thematic objective appear with different ``EAFRD Measure code`` / ``EAFRD Focus
  Area code``; both are part of the line's identity (``VOID`` or empty: none).
- **An empty** ``Priority`` (every EMFF row; EAFRD technical assistance, measure M20, and
  discontinued measures): the line has no priority axis.
- **Interreg (TC) programmes** have no single Member State: ``MS`` is ``TC`` or empty.
  For any other programme an empty ``MS`` is the CCI's country.
- ``Ver``: the programme's version in SFC2014 (a whole number, ``3`` or ``3.0``); empty
  when not stated. What a newer or older version does is :mod:`.csv_import`'s decision.

Reading:

- **Streamed.** :class:`PlannedFinancesParser` is fed text in chunks of any size and
  answers each record as soon as it is complete; memory holds one record, never the
  file. A quoted field that does not close within ``max_record_chars`` stops the read.
  :func:`parse_planned_finances` and :func:`aparse_planned_finances` drive it from
  (async) chunks of bytes or text; UTF-8, a byte-order mark is dropped.
- **Quote-aware.** Physical lines are gathered until their double quotes balance, so a
  quoted title holding the delimiter, a doubled quote or a line break stays one field;
  the record then goes through :mod:`csv` (strict). The delimiter is the one of ``,``
  (what the portal writes), ``;``, tab or ``|`` that splits the header into the most
  known column names (:func:`~synergia_funding.csv_dialect.detect_delimiter`, shared
  with the authority items' CSV).
- **Line numbers** are physical lines, the header being line 1; a record spanning lines
  has the number of its first line. Blank lines are skipped.

Each data row comes out as a :class:`PlannedFinanceLine` or a :class:`RowRejection`
``{line, reason}`` that gives every problem of the row at once:

- the CCI must be a valid 2014-2020 programme code (:mod:`.cci`) and ``MS``, when given,
  its country (GR/EL and GB/UK alike; TC for Interreg);
- the fund must be ERDF, ESF, CF, EAFRD, EMFF or YEI (``EARDF``, the portal's own
  misspelling in its column description, is read as EAFRD); other instruments (IPA,
  ENI, FEAD) are not ESIF and are rejected, saying so;
- the category of region is ``Less developed``, ``Transition``, ``More developed``,
  ``Outermost or Northern Sparsely Populated``, or empty / ``VOID`` / ``Not applicable``
  for none;
- the three amounts must be present, non-negative and in euro and cent, read by
  :func:`~synergia_funding.csv_dialect.parse_amount` (the authority items' CSV reads its
  amounts the same way). Decimal points and commas are both read (``1234.5``,
  ``1234,5``), as are thousands separators when unambiguous (``1,234,567.89``,
  ``1.234.567,89``, ``1 234 567``); one separator before exactly three digits
  (``100.000``, ``1,234``) could be either and is rejected, as are more than two
  non-zero decimals;
- **EU + national must equal the total** to the cent, and **the stated rate must be
  EU / total** within :data:`~.rules.RATE_TOLERANCE` (0.01 point). The rate may be a
  percentage (``85``, ``85.00``, ``85 %``, what the portal writes) or a fraction
  (``0.85``): a number above 1 or followed by ``%`` is a percentage, so 1 means 100 %.
  An empty rate is not checked (the line says so in its flags).

An accepted line may carry *flags*, never reasons to reject it: a rate above the ceiling
for its fund and category (:func:`.rules.check_rate_ceiling`), a fund the CCI's fund
code does not foresee, an empty rate. :class:`ProgrammeAggregator` adds accepted lines up
per CCI into :class:`ProgrammePlan` s; it holds one entry per programme, not the lines.
"""

from __future__ import annotations

import codecs
import csv
import functools
import re
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple, TypeVar

from synergia_shared.http.item_batches import csv_error_words
from synergia_shared.http.storable_text import UNSTORABLE_MSG, is_storable
from synergia_shared.reference.countries import UnknownCountry, lookup_country

from synergia_funding.csv_dialect import (
    InvalidValue,
    detect_delimiter,
    parse_amount,
    split_header,
)
from synergia_funding.reference.cci import (
    TERRITORIAL_COOPERATION,
    Cci,
    InvalidCci,
    fund_fits_cci,
    parse_cci,
)
from synergia_funding.reference.rules import (
    RATE_TOLERANCE,
    EsifFund,
    RegionCategory,
    amounts_mismatch,
    ceiling_amount,
    ceiling_for,
    check_rate_ceiling,
    co_financing_rate,
    rate_mismatch,
)

MAX_RECORD_CHARS = 100_000

# Each column this reader uses, with the header spellings it accepts (normalised by
# :func:`normalise_header`). The first is the portal's CSV header.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "ms": ("MS", "Member State"),
    "cci": ("CCI",),
    "version": ("Ver", "Version"),
    "title": ("Programme Title", "Title", "OP Title"),
    "fund": ("Fund",),
    "priority": ("Priority", "Priority Axis"),
    "to": ("TO_code", "TO", "Thematic Objective"),
    "category_of_region": ("Category of region", "Region Category"),
    "eafrd_measure": ("EAFRD Measure code", "EAFRD Measure"),
    "eafrd_focus_area": ("EAFRD Focus Area code", "EAFRD FA", "EAFRD Focus Area"),
    "eu_amount": ("EU Amount", "EU Amount planned", "Planned EU Amount"),
    "national_amount": ("National Amount", "National Amount planned"),
    "total_amount": ("Total Amount", "Total Amount planned", "Planned Total Amount"),
    "rate": ("EU co-financing", "EU Co-financing rate", "EU cofinancing rate"),
}
REQUIRED_COLUMNS = (
    "ms",
    "cci",
    "fund",
    "priority",
    "category_of_region",
    "eu_amount",
    "national_amount",
    "total_amount",
    "rate",
)
AMOUNT_COLUMNS = ("eu_amount", "national_amount", "total_amount")

_FUNDS = {fund.value: fund for fund in EsifFund} | {"EARDF": EsifFund.EAFRD}
_CATEGORIES: dict[str, RegionCategory | None] = {
    "less developed": RegionCategory.LESS_DEVELOPED,
    "transition": RegionCategory.TRANSITION,
    "more developed": RegionCategory.MORE_DEVELOPED,
    "outermost or northern sparsely populated": (RegionCategory.OUTERMOST_OR_SPARSELY_POPULATED),
    # No category: the portal's VOID, and the spellings of "does not apply" seen in its
    # other exports (the Cohesion Fund, the EMFF and Interreg have no category of region).
    "void": None,
    "not applicable": None,
    "n/a": None,
    "": None,
}
# Funds of other instruments the portal's files carry, said by name when refused.
_NOT_ESIF = re.compile(r"IPA|ENI|FEAD|AMIF|ISF|NDICI", re.IGNORECASE)
_VERSION = re.compile(r"(?P<number>[0-9]{1,4})(?:\.0+)?")
_ABSENT = frozenset({"", "VOID"})
_RATE = re.compile(r"(?P<number>[0-9]+(?:[.,][0-9]+)?)\s*(?P<percent>%?)")
_Fields = Mapping[str, str]  # column -> the row's value, stripped
_HUNDRED = Decimal(100)


class EsifCsvFormatError(ValueError):
    """The stream is not a planned-finances CSV that can be read."""


# --- values ------------------------------------------------------------------------------


def normalise_header(name: str) -> str:
    """``EU Co-financing`` and ``eu_co_financing`` both become ``eu_co_financing``."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().casefold()).strip("_")


_COLUMN_OF = {
    normalise_header(spelling): column
    for column, spellings in COLUMN_NAMES.items()
    for spelling in spellings
}


def parse_rate(text: str) -> Decimal | None:
    """A co-financing rate as a fraction, from a percentage or a fraction; None if empty."""
    value = text.strip()
    if not value:
        return None
    match = _RATE.fullmatch(value)
    if match is None:
        raise InvalidValue(f"{value!r} is not a rate (a percentage such as 85.00 or 0.85)")
    number = Decimal(match["number"].replace(",", "."))
    rate = number / _HUNDRED if match["percent"] or number > 1 else number
    if rate > 1:
        raise InvalidValue(f"{value!r} is above 100 %")
    return rate


@functools.lru_cache(maxsize=256)  # a handful of spellings, on every row
def parse_category(text: str) -> RegionCategory | None:
    key = " ".join(re.split(r"[\s_-]+", text.strip().casefold())).strip()
    if key in _CATEGORIES:
        return _CATEGORIES[key]
    try:
        return RegionCategory(key.replace(" ", "_"))
    except ValueError:
        raise InvalidValue(
            f"{text.strip()!r} is not a category of region (Less developed, Transition, "
            "More developed, Outermost or Northern Sparsely Populated, or empty)"
        ) from None


@functools.lru_cache(maxsize=256)
def parse_fund(text: str) -> EsifFund:
    value = text.strip().upper()
    if value in _FUNDS:
        return _FUNDS[value]
    if _NOT_ESIF.match(value):
        raise InvalidValue(
            f"{text.strip()!r} is not an ESI fund but another instrument: its money is not "
            "part of the ESIF planned finances"
        )
    raise InvalidValue(
        f"{text.strip()!r} is not an ESI fund ({', '.join(f.value for f in EsifFund)})"
    )


def parse_version(text: str) -> int | None:
    """The programme version ``Ver``: a whole number from 1; None when empty."""
    value = text.strip()
    if not value:
        return None
    match = _VERSION.fullmatch(value)
    if match is None or int(match["number"]) < 1:
        raise InvalidValue(f"{value!r} is not a programme version (a whole number from 1)")
    return int(match["number"])


def optional_code(text: str) -> str | None:
    """A code the portal writes as empty or ``VOID`` when it does not apply."""
    value = text.strip()
    return None if value.upper() in _ABSENT else value


# --- results -----------------------------------------------------------------------------


class PlannedFinanceLine(NamedTuple):
    """An accepted row (a named tuple: the reader makes one per row, and a tuple is made
    in a fraction of the time a frozen dataclass takes)."""

    line: int
    ms: str  # EU form (EL, UK), or TC
    cci: str
    title: str
    fund: EsifFund
    priority: str | None  # None when empty (EMFF, EAFRD M20, discontinued measures)
    thematic_objective: str | None  # None for an empty or VOID TO
    category_of_region: RegionCategory | None
    eu_amount: Decimal
    national_amount: Decimal
    total_amount: Decimal
    stated_rate: Decimal | None  # as a fraction
    flags: tuple[str, ...] = ()
    version: int | None = None  # the programme's version (Ver), when stated
    eafrd_measure: str | None = None
    eafrd_focus_area: str | None = None

    @property
    def rate(self) -> Decimal | None:
        """EU / total (None with a zero total)."""
        return co_financing_rate(self.eu_amount, self.total_amount)


@dataclass(frozen=True)
class RowRejection:
    line: int
    reason: str
    cci: str | None = None  # as written, when the row had one


ParsedRow = PlannedFinanceLine | RowRejection


@dataclass
class ProgrammePlan:
    """The accepted lines of one CCI, added up."""

    cci: str
    ms: str
    title: str
    first_line: int
    lines: int = 0
    eu_amount: Decimal = Decimal("0.00")
    national_amount: Decimal = Decimal("0.00")
    total_amount: Decimal = Decimal("0.00")
    eu_by_fund: dict[EsifFund, Decimal] = field(default_factory=dict)
    categories: set[RegionCategory] = field(default_factory=set)
    priorities: set[str | None] = field(default_factory=set)
    flagged_lines: int = 0

    @property
    def co_financing_rate(self) -> Decimal | None:
        return co_financing_rate(self.eu_amount, self.total_amount)


class ProgrammeAggregator:
    """Adds accepted lines up per CCI, in the order programmes are first seen."""

    def __init__(self) -> None:
        self._programmes: dict[str, ProgrammePlan] = {}

    def add(self, line: PlannedFinanceLine) -> None:
        plan = self._programmes.get(line.cci)
        if plan is None:
            plan = ProgrammePlan(line.cci, line.ms, line.title, line.line)
            self._programmes[line.cci] = plan
        plan.lines += 1
        plan.eu_amount += line.eu_amount
        plan.national_amount += line.national_amount
        plan.total_amount += line.total_amount
        plan.eu_by_fund[line.fund] = plan.eu_by_fund.get(line.fund, Decimal("0.00")) + (
            line.eu_amount
        )
        if line.category_of_region is not None:
            plan.categories.add(line.category_of_region)
        plan.priorities.add(line.priority)
        plan.flagged_lines += bool(line.flags)

    def programmes(self) -> list[ProgrammePlan]:
        return list(self._programmes.values())


def aggregate_programmes(rows: Iterable[ParsedRow]) -> list[ProgrammePlan]:
    """The programmes of the accepted lines among ``rows`` (rejections are skipped)."""
    aggregator = ProgrammeAggregator()
    for row in rows:
        if isinstance(row, PlannedFinanceLine):
            aggregator.add(row)
    return aggregator.programmes()


# --- the reader ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Header:
    delimiter: str
    width: int
    index: dict[str, int]  # column -> position

    @functools.cached_property
    def at(self) -> _Positions:
        # The required columns are there (_read_header says so), the optional may not be.
        required, optional = self.index.__getitem__, self.index.get
        return _Positions(
            ms=required("ms"),
            cci=required("cci"),
            version=optional("version"),
            title=optional("title"),
            fund=required("fund"),
            priority=required("priority"),
            to=optional("to"),
            category_of_region=required("category_of_region"),
            eafrd_measure=optional("eafrd_measure"),
            eafrd_focus_area=optional("eafrd_focus_area"),
            eu_amount=required("eu_amount"),
            national_amount=required("national_amount"),
            total_amount=required("total_amount"),
            rate=required("rate"),
        )


class PlannedFinancesParser:
    """Push parser: :meth:`feed` text, then :meth:`close`; each returns the rows completed."""

    def __init__(
        self,
        *,
        rate_tolerance: Decimal = RATE_TOLERANCE,
        max_record_chars: int = MAX_RECORD_CHARS,
    ) -> None:
        self._tolerance = rate_tolerance
        self._max_record_chars = max_record_chars
        self._header: _Header | None = None
        # What the programme and fund columns of a row say, by their text (a file holds a
        # few thousand combinations): each checked once, on the first row holding it.
        self._kinds: dict[tuple[str, ...], _Kind | None] = {}
        self._tail = ""  # text after the last newline
        self._pending: list[str] = []  # lines of an unfinished record
        self._pending_chars = 0
        self._quotes = 0
        self._line_no = 0
        self._start = 1
        self._closed = False

    def feed(self, text: str) -> list[ParsedRow]:
        if self._closed:
            raise RuntimeError("the parser is closed")
        rows: list[ParsedRow] = []
        pieces = (self._tail + text).split("\n")
        self._tail = pieces.pop()
        if len(self._tail) > self._max_record_chars:
            raise EsifCsvFormatError(
                f"line {self._line_no + 1} is longer than {self._max_record_chars:,} characters"
            )
        # Lines that are whole records by themselves (balanced quotes, nothing pending) are
        # gathered and read by one csv.reader: almost every line of a real file is one.
        whole: list[str] = []
        for piece in pieces:
            self._line_no += 1
            if not self._pending and self._header is not None and not piece.count('"') % 2:
                if not whole:
                    first = self._line_no
                whole.append(piece + "\n")
                continue
            if whole:
                rows.extend(self._records(first, whole))
                whole = []
            rows.extend(self._take_line(piece + "\n"))
        if whole:
            rows.extend(self._records(first, whole))
        return rows

    def close(self) -> list[ParsedRow]:
        """The last record; raises :class:`EsifCsvFormatError` if there was no header."""
        rows: list[ParsedRow] = []
        if not self._closed:
            self._closed = True
            if self._tail:
                self._line_no += 1
                tail, self._tail = self._tail, ""
                rows.extend(self._take_line(tail))
            if self._pending:  # a quote never closed: the csv module says so
                rows.extend(self._record(self._start, self._pending))
                self._pending = []
        if self._header is None:
            raise EsifCsvFormatError("the file is empty: there is no header line")
        return rows

    def _take_line(self, line: str) -> list[ParsedRow]:
        if not self._pending:
            self._start = self._line_no
        self._pending.append(line)
        self._quotes += line.count('"')
        if self._quotes % 2:
            self._pending_chars += len(line)
            if self._pending_chars > self._max_record_chars:
                raise EsifCsvFormatError(
                    f"the quoted field opened on line {self._start} is not closed within "
                    f"{self._max_record_chars:,} characters"
                )
            return []
        lines, self._pending, self._pending_chars, self._quotes = self._pending, [], 0, 0
        return self._record(self._start, lines)

    def _record(self, line: int, lines: list[str]) -> list[ParsedRow]:
        text = "".join(lines)
        if not text.strip():
            return []
        if self._header is None:
            self._header = _read_header(text)
            return []
        reader = csv.reader(lines, delimiter=self._header.delimiter, strict=True)
        try:
            records = [values for values in reader if any(v.strip() for v in values)]
        except csv.Error as exc:
            return [RowRejection(line, f"malformed CSV: {csv_error_words(exc)}")]
        return [self._row(line, values) for values in records]

    def _records(self, first: int, lines: list[str]) -> list[ParsedRow]:
        """The rows of ``lines``, each a whole record, the first on line ``first``."""
        header = self._header
        assert header is not None
        try:
            records = list(csv.reader(lines, delimiter=header.delimiter, strict=True))
        except csv.Error:
            records = []
        if len(records) != len(lines):
            # A malformed record (or a lone carriage return, which the csv module takes
            # for a line end): read each line on its own, as a record spanning lines is.
            return [row for n, text in enumerate(lines) for row in self._record(first + n, [text])]
        rows: list[ParsedRow] = []
        for line, values in enumerate(records, first):
            if not is_storable("".join(values)):
                rows.append(_unstorable(line, values, header))
                continue
            fast = _fast_row(line, values, header, self._kinds, self._tolerance)
            if fast is not None:
                rows.append(fast)
            elif any(v.strip() for v in values):  # else a blank line
                rows.append(self._row(line, values))
        return rows

    def _row(self, line: int, values: list[str]) -> ParsedRow:
        header = self._header
        assert header is not None
        if len(values) != header.width:
            return RowRejection(
                line, f"the row has {len(values)} fields where the header has {header.width}"
            )

        if not is_storable("".join(values)):
            return _unstorable(line, values, header)
        fields = {column: values[position].strip() for column, position in header.index.items()}
        return _check_row(line, fields, self._tolerance)


def _unstorable(line: int, values: list[str], header: _Header) -> RowRejection:
    """A row with text no column can hold (a NUL), refused alone, naming where."""
    name_at = {position: COLUMN_NAMES[column][0] for column, position in header.index.items()}
    where = [
        name_at.get(position, f"column {position + 1}")
        for position, value in enumerate(values)
        if not is_storable(value)
    ]
    return RowRejection(line, f"{', '.join(where)}: {UNSTORABLE_MSG}")


def _read_header(text: str) -> _Header:
    delimiter = detect_delimiter(text, lambda name: normalise_header(name) in _COLUMN_OF)
    try:
        header = split_header(text, delimiter)
    except csv.Error as exc:
        raise EsifCsvFormatError(f"the header has {csv_error_words(exc)}") from None
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        column = _COLUMN_OF.get(normalise_header(name))
        if column is None:
            continue
        if column in index:
            raise EsifCsvFormatError(
                f"the header names {COLUMN_NAMES[column][0]!r} twice "
                f"(columns {index[column] + 1} and {position + 1})"
            )
        index[column] = position
    missing = [COLUMN_NAMES[c][0] for c in REQUIRED_COLUMNS if c not in index]
    if missing:
        raise EsifCsvFormatError(
            "the header is not that of the ESIF 2014-2020 planned finances: "
            f"missing {', '.join(missing)}"
        )
    return _Header(delimiter, len(header), index)


# --- the common row, fast ---------------------------------------------------------------------

# Whole euros, or euros and cents with a decimal point: what the portal writes, and what
# parse_amount reads as Decimal(text) to the cent without any other check.
_PLAIN_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")
# A rate as the portal writes it (85.00, 0.85): no "%", no decimal comma.
_PLAIN_RATE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_NO_STATED_RATE = "no stated co-financing rate: EU / total is used"
_CENT = Decimal("0.01")


class _Positions(NamedTuple):
    """Where each column :func:`_fast_row` reads is (None: an optional column is absent)."""

    ms: int
    cci: int
    version: int | None
    title: int | None
    fund: int
    priority: int
    to: int | None
    category_of_region: int
    eafrd_measure: int | None
    eafrd_focus_area: int | None
    eu_amount: int
    national_amount: int
    total_amount: int
    rate: int


class _Kind(NamedTuple):
    """What a valid combination of MS, CCI, Ver, fund and category of region says."""

    ms: str
    cci: str
    version: int | None
    fund: EsifFund
    category: RegionCategory | None
    misfit: str | None  # the flag of a fund the CCI does not foresee
    ceiling: Decimal | None  # the fund's ceiling in the category, if any


def _kind_of(ms: str, cci_text: str, version: str, fund: str, category: str) -> _Kind | None:
    """The :class:`_Kind` of these (stripped) cells, or None if one of them is wrong (the
    row is then checked by :func:`_check_row`, which says why)."""
    try:
        cci = parse_cci(cci_text)
        problems: list[str] = []
        country = _member_state(ms, cci, problems)
        parsed = (parse_version(version), parse_fund(fund), parse_category(category))
    except (InvalidCci, InvalidValue):
        return None
    if problems or country is None:
        return None
    number, found, where = parsed
    ceiling = ceiling_for(found, where)
    return _Kind(
        country,
        cci.code,
        number,
        found,
        where,
        fund_fits_cci(cci, found),
        ceiling.rate if ceiling else None,
    )


def _row_kind(
    values: list[str], at: _Positions, kinds: dict[tuple[str, ...], _Kind | None]
) -> _Kind | None:
    """The row's :class:`_Kind`, read once per combination of its cells (a few hundred in
    a file of thousands of rows)."""
    key = (
        values[at.ms].strip(),
        values[at.cci].strip(),
        values[at.version].strip() if at.version is not None else "",
        values[at.fund].strip(),
        values[at.category_of_region].strip(),
    )
    if key in kinds:
        return kinds[key]
    kind = kinds[key] = _kind_of(*key)
    return kind


def _plain_amounts(values: list[str], at: _Positions) -> tuple[Decimal, Decimal, Decimal] | None:
    """EU, national and total amounts written plainly that add up, or None."""
    eu_text = values[at.eu_amount].strip()
    national_text = values[at.national_amount].strip()
    total_text = values[at.total_amount].strip()
    plain = _PLAIN_AMOUNT.fullmatch
    if not (plain(eu_text) and plain(national_text) and plain(total_text)):
        return None
    eu = Decimal(eu_text).quantize(_CENT)
    national = Decimal(national_text).quantize(_CENT)
    total = Decimal(total_text).quantize(_CENT)
    if eu + national != total:
        return None
    return eu, national, total


def _plain_rate(text: str, eu: Decimal, total: Decimal, tolerance: Decimal) -> Decimal | None:
    """A stated rate (``text`` not empty) written plainly that matches EU / total, as a
    fraction; None for any other."""
    if not _PLAIN_RATE.fullmatch(text):
        return None
    # As parse_rate reads a number without "%": above 1 a percentage, else a fraction.
    stated = Decimal(text)
    if stated > 1:
        stated /= _HUNDRED
        if stated > 1:
            return None
    if total and abs(eu / total - stated) > tolerance:
        return None
    return stated


def _fast_flags(
    kind: _Kind, eu: Decimal, total: Decimal, stated: Decimal | None
) -> tuple[str, ...]:
    """The flags of a row read fast: the same as :func:`_check_row` raises."""
    # Within total x ceiling is within it rounded up to the cent: only a line above the
    # exact product is compared in cents.
    over = (
        kind.ceiling is not None
        and total
        and eu > total * kind.ceiling
        and eu > ceiling_amount(total, kind.ceiling)
    )
    if stated is not None and not kind.misfit and not over:
        return ()
    found = [_NO_STATED_RATE] if stated is None else []
    if kind.misfit:
        found.append(kind.misfit)
    if over and (flag := check_rate_ceiling(eu, total, kind.fund, kind.category)):
        found.append(flag.message)
    return tuple(found)


def _fast_row(
    line: int,
    values: list[str],
    header: _Header,
    kinds: dict[tuple[str, ...], _Kind | None],
    tolerance: Decimal,
) -> PlannedFinanceLine | None:
    """The line of a row as the portal writes it (known programme and fund cells, plain
    amounts that add up, a rate that matches), with as little work as such a row needs;
    None for any other row, which :func:`_check_row` reads and explains. Both give the
    same line for the rows this one reads."""
    if len(values) != header.width:
        return None
    at = header.at
    kind = _row_kind(values, at, kinds)
    if kind is None:
        return None
    amounts = _plain_amounts(values, at)
    if amounts is None:
        return None
    eu, national, total = amounts
    rate_text = values[at.rate].strip()
    stated: Decimal | None = None
    if rate_text:
        stated = _plain_rate(rate_text, eu, total, tolerance)
        if stated is None:
            return None
    return PlannedFinanceLine(
        line,
        kind.ms,
        kind.cci,
        values[at.title].strip() if at.title is not None else "",
        kind.fund,
        _code(values[at.priority]),
        _optional_cell(values, at.to),
        kind.category,
        eu,
        national,
        total,
        stated,
        _fast_flags(kind, eu, total, stated),
        kind.version,
        _optional_cell(values, at.eafrd_measure),
        _optional_cell(values, at.eafrd_focus_area),
    )


def _optional_cell(values: list[str], position: int | None) -> str | None:
    return None if position is None else _code(values[position])


@functools.lru_cache(maxsize=1024)  # a few dozen codes, each on many rows
def _code(cell: str) -> str | None:
    return optional_code(cell)


_T = TypeVar("_T")


def _cell(problems: list[str], prefix: str, parse: Callable[[str], _T], text: str) -> _T | None:
    """``parse(text)``, or None with why not (after ``prefix``) added to ``problems``."""
    try:
        return parse(text)
    except InvalidValue as exc:
        problems.append(f"{prefix}{exc}")
        return None


def _cci(text: str, problems: list[str]) -> Cci | None:
    try:
        return parse_cci(text)
    except InvalidCci as exc:
        problems.append(f"CCI: {exc}" if text else "CCI is empty")
        return None


def _amounts(fields: _Fields, problems: list[str]) -> tuple[Decimal, Decimal, Decimal] | None:
    """The EU, national and total amounts, or None if one cannot be read (said why)."""
    eu, national, total = (
        _cell(problems, f"{COLUMN_NAMES[c][0]} ", parse_amount, fields.get(c, ""))
        for c in AMOUNT_COLUMNS
    )
    if eu is None or national is None or total is None:
        return None
    return eu, national, total


def _amounts_problem(
    amounts: tuple[Decimal, Decimal, Decimal], stated: Decimal | None, tolerance: Decimal
) -> str | None:
    """EU + national is the total, and a stated rate is EU / total within ``tolerance``."""
    eu, national, total = amounts
    if mismatch := amounts_mismatch(eu, national, total):
        return mismatch
    if stated is not None:
        return rate_mismatch(eu, total, stated, tolerance)
    return None


def _check_flags(
    cci: Cci,
    fund: EsifFund,
    category: RegionCategory | None,
    amounts: tuple[Decimal, Decimal, Decimal],
    stated: Decimal | None,
) -> tuple[str, ...]:
    eu, _, total = amounts
    flags: list[str] = []
    if stated is None:
        flags.append(_NO_STATED_RATE)
    if misfit := fund_fits_cci(cci, fund):
        flags.append(misfit)
    if flag := check_rate_ceiling(eu, total, fund, category):
        flags.append(flag.message)
    return tuple(flags)


def _check_row(line: int, fields: _Fields, tolerance: Decimal) -> PlannedFinanceLine | RowRejection:
    def get(column: str) -> str:
        return fields.get(column, "")

    problems: list[str] = []
    cci_text = get("cci")
    cci = _cci(cci_text, problems)
    ms = _member_state(get("ms"), cci, problems)
    version = _cell(problems, "Ver: ", parse_version, get("version"))
    fund = _cell(problems, "Fund: ", parse_fund, get("fund"))
    category = _cell(problems, "Category of region: ", parse_category, get("category_of_region"))
    amounts = _amounts(fields, problems)
    stated = _cell(problems, "EU co-financing: ", parse_rate, get("rate"))
    if amounts is not None and (wrong := _amounts_problem(amounts, stated, tolerance)):
        problems.append(wrong)

    # Each None adds a problem.
    if problems or cci is None or ms is None or fund is None or amounts is None:
        return RowRejection(line, "; ".join(problems), cci_text or None)
    eu, national, total = amounts
    return PlannedFinanceLine(
        line=line,
        ms=ms,
        cci=cci.code,
        title=get("title"),
        fund=fund,
        priority=optional_code(get("priority")),
        thematic_objective=optional_code(get("to")),
        category_of_region=category,
        eu_amount=eu,
        national_amount=national,
        total_amount=total,
        stated_rate=stated,
        flags=_check_flags(cci, fund, category, amounts, stated),
        version=version,
        eafrd_measure=optional_code(get("eafrd_measure")),
        eafrd_focus_area=optional_code(get("eafrd_focus_area")),
    )


def _member_state(text: str, cci: Cci | None, problems: list[str]) -> str | None:
    """The row's country in EU form, or TC: the CCI's, which ``MS`` must agree with when
    given. An Interreg programme has no single Member State (``MS`` is TC or empty)."""
    stated = None
    if text.upper() == TERRITORIAL_COOPERATION:
        stated = TERRITORIAL_COOPERATION
    elif text:
        try:
            stated = lookup_country(text).code
        except UnknownCountry:
            problems.append(f"MS {text!r} is not a country code")
            return None
    if cci is None:
        if stated is None and not text:
            problems.append("MS is empty")
        return stated
    if stated is not None and stated != cci.country:
        if cci.is_territorial_cooperation:
            problems.append(
                f"MS {text!r}: {cci.code} is an Interreg programme, with no single Member "
                "State (MS is TC or empty)"
            )
        else:
            problems.append(f"MS {text!r} is not the country of CCI {cci.code} ({cci.country})")
        return None
    return cci.country


# --- drivers ---------------------------------------------------------------------------------


class _Decoder:
    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
        self._offset = 0

    def decode(self, data: bytes, final: bool = False) -> str:
        try:
            text = self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            raise EsifCsvFormatError(
                f"the file is not UTF-8 text (invalid byte at offset {self._offset + exc.start})"
            ) from None
        self._offset += len(data)
        return text


def parse_planned_finances(
    chunks: Iterable[bytes] | Iterable[str],
    *,
    rate_tolerance: Decimal = RATE_TOLERANCE,
    max_record_chars: int = MAX_RECORD_CHARS,
) -> Iterator[ParsedRow]:
    """Every data row of the file, in order: a file opened in text mode, its lines, or
    chunks of bytes (``iter(lambda: f.read(65536), b"")``)."""
    parser = PlannedFinancesParser(rate_tolerance=rate_tolerance, max_record_chars=max_record_chars)
    decoder = _Decoder()
    for chunk in chunks:
        text = decoder.decode(chunk) if isinstance(chunk, bytes) else chunk
        yield from parser.feed(text)
    yield from parser.feed(decoder.decode(b"", final=True))
    yield from parser.close()


async def aparse_planned_finance_batches(
    chunks: AsyncIterable[bytes],
    *,
    rate_tolerance: Decimal = RATE_TOLERANCE,
    max_record_chars: int = MAX_RECORD_CHARS,
) -> AsyncIterator[list[ParsedRow]]:
    """The data rows of an uploaded file as its bytes arrive: the rows each chunk
    completes, in order (none: no list)."""
    parser = PlannedFinancesParser(rate_tolerance=rate_tolerance, max_record_chars=max_record_chars)
    decoder = _Decoder()
    async for chunk in chunks:
        if rows := parser.feed(decoder.decode(chunk)):
            yield rows
    if rows := parser.feed(decoder.decode(b"", final=True)) + parser.close():
        yield rows


async def aparse_planned_finances(
    chunks: AsyncIterable[bytes],
    *,
    rate_tolerance: Decimal = RATE_TOLERANCE,
    max_record_chars: int = MAX_RECORD_CHARS,
) -> AsyncIterator[ParsedRow]:
    """Every data row of an uploaded file, as its bytes arrive."""
    async for rows in aparse_planned_finance_batches(
        chunks, rate_tolerance=rate_tolerance, max_record_chars=max_record_chars
    ):
        for row in rows:
            yield row
