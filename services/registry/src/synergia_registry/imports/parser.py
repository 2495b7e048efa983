"""Quote-aware CSV over an async stream of bytes, one record at a time (pure: no I/O).

The stream is decoded incrementally as UTF-8 (a byte-order mark is dropped) and cut into
*blocks*: runs of whole lines in which the double quotes balance, so that a quoted field
holding the delimiter, a doubled quote or a line break is never cut in two. Each block
goes through :mod:`csv` (``strict``) with the delimiter found in the header, so quoting
follows RFC 4180. Memory holds one block, never the file: a quoted field that does not
close within ``max_record_chars`` stops the read.

The first line that is not blank is the header. Its delimiter is the one of ``;`` (what
CORDIS writes), ``,``, tab or ``|`` that splits it into the most of the expected column
names; a first line naming none of them is not the file we expect.

What cannot be read at all (not UTF-8, no header, a record that never ends) raises
:class:`CsvFormatError`; a record whose quoting is malformed comes out as a
:class:`Record` with ``error`` set, and the records after it are read on.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import AsyncIterable, AsyncIterator, Collection, Iterator
from dataclasses import dataclass
from typing import Any

from synergia_shared.http.item_batches import csv_error_words

DELIMITERS = (";", ",", "\t", "|")
MAX_RECORD_CHARS = 1_000_000


class CsvFormatError(ValueError):
    """The stream is not a CSV file that can be read."""


@dataclass(frozen=True)
class Record:
    line: int  # the physical line (1-based) on which the record starts
    values: list[str]
    error: str | None = None  # malformed quoting: ``values`` is empty


def detect_delimiter(header_line: str, known_columns: Collection[str]) -> str:
    """The delimiter that splits ``header_line`` into the most of ``known_columns``."""
    known = {name.casefold() for name in known_columns}

    def score(delimiter: str) -> int:
        try:
            names = next(csv.reader([header_line], delimiter=delimiter), [])
        except csv.Error:  # split so, a cell would be over csv's size limit: not this one
            return 0
        return sum(1 for name in names if name.strip().casefold() in known)

    scores = {delimiter: score(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: scores[d])  # ties: the earlier (CORDIS ";") wins
    if scores[best] == 0:
        raise CsvFormatError(
            "the first line is not a header naming the expected columns "
            f"(such as {', '.join(list(known_columns)[:4])})"
        )
    return best


async def read_records(
    chunks: AsyncIterable[bytes],
    known_columns: Collection[str],
    *,
    max_record_chars: int = MAX_RECORD_CHARS,
) -> AsyncIterator[Record]:
    """Every record of the stream; the first one is the header.

    Blank lines are skipped; line numbers count physical lines, header included.
    """
    delimiter: str | None = None
    async for runs in _blocks(chunks, max_record_chars):
        if delimiter is None:
            while runs and not "".join(runs[0][1]).strip():
                runs = runs[1:]
            if not runs:
                continue
            delimiter = detect_delimiter(runs[0][1][0], known_columns)
        for record in _parse_runs(runs, delimiter):
            yield record
    if delimiter is None:
        raise CsvFormatError("the file is empty: there is no header line")


def _parse_runs(runs: list[tuple[int, list[str]]], delimiter: str) -> list[Record]:
    """The records of consecutive runs, read by one :mod:`csv` reader (a reader per
    record costs more than the reading). A well-formed run is one record; when the reader
    disagrees (malformed quoting, which would stop it there or carry it into the next
    run) the runs are read one by one, as alone, so that only that record is lost."""
    lines = [line for _, run in runs for line in run]
    reader = _reader(lines, delimiter)
    starts, rows, consumed = [], [], 0
    try:
        for values in reader:
            starts.append(runs[0][0] + consumed)
            rows.append(values)
            consumed = reader.line_num
    except csv.Error:
        starts = []
    if starts != [start for start, _ in runs]:
        return [record for start, run in runs for record in _parse(start, run, delimiter)]
    return [
        Record(line, values)
        for line, values in zip(starts, rows, strict=True)
        if any(value.strip() for value in values)
    ]


def _reader(lines: list[str], delimiter: str) -> Any:
    return csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)


def _parse(start: int, lines: list[str], delimiter: str) -> Iterator[Record]:
    reader = _reader(lines, delimiter)
    consumed = 0
    try:
        for values in reader:
            line, consumed = start + consumed, reader.line_num
            if any(value.strip() for value in values):
                yield Record(line, values)
    except csv.Error as exc:
        yield Record(start + consumed, [], error=f"malformed CSV: {csv_error_words(exc)}")


async def _blocks(
    chunks: AsyncIterable[bytes], max_record_chars: int
) -> AsyncIterator[list[tuple[int, list[str]]]]:
    """Runs of whole lines (each ending in its newline) in which the quotes balance, with
    the line each starts on: those that end in one chunk of the stream together."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    tail = ""  # text after the last newline seen
    pending: list[str] = []
    pending_chars = quotes = line_no = offset = 0
    start = 1

    def decode(data: bytes, final: bool = False) -> str:
        try:
            return decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            raise CsvFormatError(
                f"the file is not UTF-8 text (invalid byte at offset {offset + exc.start})"
            ) from None

    async for chunk in chunks:
        text = decode(chunk)
        offset += len(chunk)
        if not text:
            continue
        pieces = (tail + text).split("\n")
        tail = pieces.pop()
        runs: list[tuple[int, list[str]]] = []
        if len(tail) > max_record_chars:
            raise CsvFormatError(
                f"line {line_no + 1} is longer than {max_record_chars:,} characters"
            )
        for piece in pieces:
            line_no += 1
            if not pending:
                start = line_no
            pending.append(piece + "\n")
            quotes += piece.count('"')
            if quotes % 2 == 0:
                runs.append((start, pending))
                pending, pending_chars, quotes = [], 0, 0
                continue
            pending_chars += len(piece)
            if pending_chars > max_record_chars:
                raise CsvFormatError(
                    f"the quoted field opened on line {start} is not closed within "
                    f"{max_record_chars:,} characters"
                )
        if runs:
            yield runs
    tail += decode(b"", final=True)
    if tail:
        if not pending:
            start = line_no + 1
        pending.append(tail)
    if pending:
        yield [(start, pending)]
