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
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

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


@dataclass(frozen=True)
class PlannedFinanceLine:
    """An accepted row."""

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
        for piece in pieces:
            self._line_no += 1
            rows.extend(self._take_line(piece + "\n"))
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
            return [RowRejection(line, f"malformed CSV: {exc}")]
        return [self._row(line, values) for values in records]

    def _row(self, line: int, values: list[str]) -> ParsedRow:
        header = self._header
        assert header is not None
        if len(values) != header.width:
            return RowRejection(
                line, f"the row has {len(values)} fields where the header has {header.width}"
            )

        fields = {column: values[position].strip() for column, position in header.index.items()}
        return _check_row(line, fields, self._tolerance)


def _read_header(text: str) -> _Header:
    delimiter = detect_delimiter(text, lambda name: normalise_header(name) in _COLUMN_OF)
    header = split_header(text, delimiter)
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


def _check_row(line: int, fields: _Fields, tolerance: Decimal) -> PlannedFinanceLine | RowRejection:
    def get(column: str) -> str:
        return fields.get(column, "")

    problems: list[str] = []
    flags: list[str] = []
    cci_text = get("cci")
    cci = None
    try:
        cci = parse_cci(cci_text)
    except InvalidCci as exc:
        problems.append(f"CCI: {exc}" if cci_text else "CCI is empty")
    ms = _member_state(get("ms"), cci, problems)
    version = None
    try:
        version = parse_version(get("version"))
    except InvalidValue as exc:
        problems.append(f"Ver: {exc}")

    fund = category = None
    try:
        fund = parse_fund(get("fund"))
    except InvalidValue as exc:
        problems.append(f"Fund: {exc}")
    try:
        category = parse_category(get("category_of_region"))
    except InvalidValue as exc:
        problems.append(f"Category of region: {exc}")

    amounts: dict[str, Decimal] = {}
    for column in AMOUNT_COLUMNS:
        try:
            amounts[column] = parse_amount(get(column))
        except InvalidValue as exc:
            problems.append(f"{COLUMN_NAMES[column][0]} {exc}")
    stated: Decimal | None = None
    try:
        stated = parse_rate(get("rate"))
    except InvalidValue as exc:
        problems.append(f"EU co-financing: {exc}")

    if len(amounts) == len(AMOUNT_COLUMNS):
        eu, national, total = (amounts[c] for c in AMOUNT_COLUMNS)
        if mismatch := amounts_mismatch(eu, national, total):
            problems.append(mismatch)
        elif stated is not None and (wrong := rate_mismatch(eu, total, stated, tolerance)):
            problems.append(wrong)

    if problems or cci is None or ms is None or fund is None:  # each None adds a problem
        return RowRejection(line, "; ".join(problems), cci_text or None)
    eu, national, total = (amounts[c] for c in AMOUNT_COLUMNS)
    if stated is None:
        flags.append("no stated co-financing rate: EU / total is used")
    if misfit := fund_fits_cci(cci, fund):
        flags.append(misfit)
    if flag := check_rate_ceiling(eu, total, fund, category):
        flags.append(flag.message)
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
        flags=tuple(flags),
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


async def aparse_planned_finances(
    chunks: AsyncIterable[bytes],
    *,
    rate_tolerance: Decimal = RATE_TOLERANCE,
    max_record_chars: int = MAX_RECORD_CHARS,
) -> AsyncIterator[ParsedRow]:
    """Every data row of an uploaded file, as its bytes arrive."""
    parser = PlannedFinancesParser(rate_tolerance=rate_tolerance, max_record_chars=max_record_chars)
    decoder = _Decoder()
    async for chunk in chunks:
        for row in parser.feed(decoder.decode(chunk)):
            yield row
    for row in parser.feed(decoder.decode(b"", final=True)) + parser.close():
        yield row
