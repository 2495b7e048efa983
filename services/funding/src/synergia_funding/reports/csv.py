"""The reports as CSV, and the choice between JSON and CSV from the Accept header.

Every report has the same long format, one row per figure, so a spreadsheet can pivot it
and one parser reads all three: ``section,line,measure,value,unit``. Amounts are EUR
with two decimals, ratios four, percentages two; dates ISO 8601; ``unit`` says which.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from synergia_shared.http.problems import ProblemException

from synergia_funding.reports.schemas import (
    Amounts,
    BeneficiaryFunding,
    LeverageOut,
    LineTotals,
    RegionCoFunding,
    SmeShareOut,
    ValueChainCoFunding,
)

CSV_MEDIA_TYPE = "text/csv"
JSON_MEDIA_TYPE = "application/json"
HEADER = ("section", "line", "measure", "value", "unit")
CENT = Decimal("0.01")

Representation = Literal["json", "csv"]
Row = tuple[str, str, str, str, str]


# --- Content negotiation ------------------------------------------------------------------


@dataclass(frozen=True)
class _Range:
    type: str
    subtype: str
    q: float

    def matches(self, media_type: str) -> int:
        """How specifically this range matches (2 exact, 1 type/*, 0 */*), -1 not at all."""
        kind, sub = media_type.split("/")
        if self.type == "*":
            return 0 if self.subtype == "*" else -1
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def _ranges(accept: str) -> list[_Range]:
    out = []
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        kind, _, sub = media.partition("/")
        out.append(_Range(kind, sub, q))
    return out


def representation(accept: str | None) -> Representation:
    """JSON (the default) or CSV, by RFC 9110: each type takes the quality of the most
    specific range that matches it; the higher quality wins, then the more specifically
    asked for, then JSON. Nothing acceptable: a 406 problem."""
    if accept is None or not accept.strip():
        return "json"
    ranges = _ranges(accept)
    if not ranges:
        return "json"
    best: tuple[float, int, int, Representation] | None = None
    offers: tuple[tuple[Representation, str], ...] = (
        ("json", JSON_MEDIA_TYPE),
        ("csv", CSV_MEDIA_TYPE),
    )
    for preference, (name, media) in enumerate(offers):
        matching = [(r.matches(media), r.q) for r in ranges if r.matches(media) >= 0]
        if not matching:
            continue
        specificity, q = max(matching)
        if q <= 0:
            continue
        candidate = (q, specificity, -preference, name)
        if best is None or candidate[:3] > best[:3]:
            best = candidate
    if best is None:
        raise ProblemException(
            406,
            "not-acceptable",
            "Not Acceptable",
            f"this report is available as {JSON_MEDIA_TYPE} (the default) or "
            f"{CSV_MEDIA_TYPE}; Accept asked for {accept.strip()!r}",
        )
    return best[3]


# --- Rendering ----------------------------------------------------------------------------


def money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def _amounts(section: str, line: str, a: Amounts) -> Iterator[Row]:
    yield section, line, "committed", money(a.committed), "EUR"
    yield section, line, "cost_claimed", money(a.cost_claimed), "EUR"
    yield section, line, "disbursed", money(a.disbursed), "EUR"


def _lines(section: str, lines: Iterable[LineTotals]) -> Iterator[Row]:
    for line in lines:
        yield from _amounts(section, line.line, line)


def _leverage(section: str, lev: LeverageOut) -> Iterator[Row]:
    yield section, "base", "committed", money(lev.base), "EUR"
    yield section, "other", "committed", money(lev.other), "EUR"
    yield section, "", "ratio", "" if lev.ratio is None else str(lev.ratio), "ratio"
    for item in lev.other_by_line:
        yield section, item.line, "committed", money(item.committed), "EUR"


def _sme(share: SmeShareOut) -> Iterator[Row]:
    yield "sme_share", "sme", "committed", money(share.sme_budget), "EUR"
    yield "sme_share", "not_sme", "committed", money(share.not_sme_budget), "EUR"
    yield "sme_share", "unknown", "committed", money(share.unknown_budget), "EUR"
    yield "sme_share", "total", "committed", money(share.total_budget), "EUR"
    percent = "" if share.percent is None else str(share.percent)
    yield "sme_share", "", "percent", percent, "percent"
    yield "sme_share", "", "threshold", str(share.threshold_percent), "percent"
    for actor in share.unknown_beneficiaries:
        yield "sme_share", str(actor), "category", "unknown", "text"


def _write(rows: Iterable[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def _iso(day: date) -> str:
    return day.isoformat()


def beneficiary_csv(funding: BeneficiaryFunding) -> str:
    def rows() -> Iterator[Row]:
        yield from _amounts("total", "", funding.total)
        for item in funding.by_instrument:
            yield from _amounts("by_instrument", f"{item.line}|{item.instrument_id or ''}", item)
        dm = funding.de_minimis
        yield "de_minimis", "", "on", _iso(dm.on), "date"
        for state in dm.member_states:
            ms = state.member_state
            yield "de_minimis", ms, "ceiling", money(state.ceiling), "EUR"
            yield "de_minimis", ms, "used", money(state.used), "EUR"
            yield "de_minimis", ms, "remaining", money(state.remaining), "EUR"
            for aid in state.aids:
                line = f"{ms}|{aid.entry_id}"
                yield "de_minimis_aid", line, "amount", money(aid.amount), "EUR"
                yield "de_minimis_aid", line, "granted", _iso(aid.granted), "date"
                yield "de_minimis_aid", line, "drops_out_on", _iso(aid.drops_out_on), "date"

    return _write(rows())


def value_chain_csv(report: ValueChainCoFunding) -> str:
    def rows() -> Iterator[Row]:
        yield from _amounts("total", "", report.total)
        yield from _lines("by_source", report.lines)
        yield from _sme(report.sme_share)
        yield from _leverage("leverage", report.leverage)
        for flag in report.flags:
            yield "flags", flag.rule, flag.severity, flag.message, "text"

    return _write(rows())


def region_csv(report: RegionCoFunding) -> str:
    def rows() -> Iterator[Row]:
        yield from _amounts("esif", "", report.esif)
        yield from _lines("esif_by_fund", report.esif_by_fund)
        yield from _lines("by_source", report.lines)
        yield from _leverage("leverage_in_region", report.leverage_in_region)
        yield "leverage_in_projects", "", "projects", str(report.projects_with_esif), "count"
        yield from _leverage("leverage_in_projects", report.leverage_in_projects)

    return _write(rows())
