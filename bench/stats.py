"""Percentiles and the tables the benchmarks print."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), nearest-rank on the sorted values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(values_s: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max of durations given in seconds, in milliseconds."""
    return {
        "p50_ms": percentile(values_s, 50) * 1000,
        "p95_ms": percentile(values_s, 95) * 1000,
        "p99_ms": percentile(values_s, 99) * 1000,
        "max_ms": max(values_s) * 1000 if values_s else math.nan,
    }


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[_cell(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    line = "  ".join("-" * w for w in widths)

    def fmt(row: Sequence[str]) -> str:
        pairs = enumerate(zip(row, widths, strict=True))
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs)

    return "\n".join([f"\n== {title}", fmt(list(header)), line, *(fmt(r) for r in cells)])


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def copy_table(
    title: str,
    copy: Mapping[str, Any],
    paths: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    baseline: str = "COPY into a scratch table (same database), best of rounds",
) -> str:
    """A throughput table against a COPY of the same rows: the COPY first, then each
    path as (label, its figures with ``rows_per_s`` and ``seconds``) and its ratio."""
    rows: list[list[object]] = [[baseline, copy["rows_per_s"], copy["seconds"], "1.00x"]]
    rows += [
        [
            label,
            part["rows_per_s"],
            part["seconds"],
            f"{ratio(part['rows_per_s'], copy['rows_per_s']):.4f}x",
        ]
        for label, part in paths
    ]
    return table(title, ["path", "rows/s", "seconds", "vs COPY"], rows)
