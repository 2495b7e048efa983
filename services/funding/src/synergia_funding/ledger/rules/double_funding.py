"""No double funding: one cost item, one EU source."""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from synergia_shared.money import euros

from synergia_funding.ledger.entries import EU_SOURCES, Entry

from ..balances import ZERO, Effect, Resolution
from .context import RuleContext
from .findings import Breach, Rule, Violation

_DOUBLE_SOURCE = "Common Provisions Regulation 1303/2013 Art. 65(11)"

Stream = tuple[str, str, str]


def stream(entry: Entry) -> Stream:
    """An EU funding stream: source, fund and instrument (programme / grant). Two streams
    differ when any of the three differs: Art. 65(11) also forbids "support from the same
    Fund under a different programme"."""
    return (entry.source.value, entry.fund.value if entry.fund else "", entry.instrument_id or "")


def _stream_label(s: Stream) -> str:
    source, fund, instrument = s
    label = source.upper() + (f" {fund}" if fund else "")
    return label + (f" ({instrument})" if instrument else "")


def _cost_items(
    res: Resolution, focus: Entry | None
) -> dict[tuple[uuid.UUID, str], dict[Stream, list[Effect]]]:
    """The EU money on each cost item of a beneficiary, by stream: the focus's item only,
    if given."""
    items: dict[tuple[uuid.UUID, str], dict[Stream, list[Effect]]] = defaultdict(
        lambda: defaultdict(list)
    )
    wanted = None if focus is None else (focus.beneficiary_id, focus.cost_item_ref)
    for effect in res.effects.values():
        e = effect.original
        if e.cost_item_ref is None or e.source not in EU_SOURCES:
            continue
        if wanted is not None and (e.beneficiary_id, e.cost_item_ref) != wanted:
            continue
        items[(e.beneficiary_id, e.cost_item_ref)][stream(e)].append(effect)
    return items


def _stream_details(s: Stream, amount: Decimal, effects: list[Effect]) -> dict[str, Any]:
    return {
        "source": s[0],
        "fund": s[1] or None,
        "instrument_id": s[2] or None,
        "amount": str(amount),
        "entry_ids": sorted(str(x.original.entry_id) for x in effects if x.amount),
    }


def _double_breach(
    beneficiary: uuid.UUID,
    item: str,
    live: dict[Stream, Decimal],
    streams: dict[Stream, list[Effect]],
) -> Breach:
    ordered = sorted(live)
    parts = ", ".join(f"{_stream_label(s)} {euros(live[s])}" for s in ordered)
    return Breach(
        ("double", beneficiary, item),
        sum(live.values(), ZERO),
        Violation(
            Rule.DOUBLE_FUNDING,
            "error",
            f"Cost item {item!r} of beneficiary {beneficiary} is funded by "
            f"{len(live)} EU sources ({parts}); one cost item may be funded by one EU "
            f"source only ({_DOUBLE_SOURCE}).",
            {
                "beneficiary_id": str(beneficiary),
                "cost_item_ref": item,
                "streams": [_stream_details(s, live[s], streams[s]) for s in ordered],
            },
        ),
    )


def double_funding_breaches(res: Resolution, ctx: RuleContext, focus: Entry | None) -> list[Breach]:
    """A cost item of a beneficiary (``cost_item_ref``) is funded, claimed or paid by at
    most one EU stream with a positive net amount (CPR 1303/2013 Art. 65(11))."""
    if focus is not None and (focus.cost_item_ref is None or focus.source not in EU_SOURCES):
        return []
    out: list[Breach] = []
    for (beneficiary, item), streams in _cost_items(res, focus).items():
        amounts = {s: sum((x.amount for x in xs), ZERO) for s, xs in streams.items()}
        live = {s: a for s, a in amounts.items() if a > 0}
        if len(live) < 2:
            continue
        if focus is not None and stream(focus) not in live:
            continue
        out.append(_double_breach(beneficiary, item, live, streams))
    return out
