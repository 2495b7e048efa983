"""The ESIF planned totals as CSV (pure): one row per key, the grand total last."""

from __future__ import annotations

import csv
import io

from synergia_funding.reference.schemas import EsifTotals


def render(totals: EsifTotals) -> str:
    """The totals as CSV: one row per key and a last row ``total``, amounts in euro and
    cent."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            totals.by.value,
            "name",
            "eu_amount",
            "national_amount",
            "total_amount",
            "lines",
            "programmes",
        ]
    )
    for label, item in [*((i.key or "", i) for i in totals.items), ("total", totals.total)]:
        writer.writerow(
            [
                label,
                item.name or "",
                f"{item.eu_amount:.2f}",
                f"{item.national_amount:.2f}",
                f"{item.total_amount:.2f}",
                item.lines,
                item.programmes,
            ]
        )
    return out.getvalue()
