"""Disbursed never above committed: per commitment, and per beneficiary, project and
source."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from synergia_shared.money import euros

from synergia_funding.ledger.entries import Entry, EntryKind, Source

from ..balances import ZERO, Resolution
from .context import RuleContext
from .findings import Breach, Rule, Violation

Bucket = tuple[uuid.UUID, uuid.UUID | None, Source]


def _over(
    key: tuple[object, ...],
    committed: Decimal,
    disbursed: Decimal,
    what: str,
    details: dict[str, Any],
) -> Breach:
    return Breach(
        key,
        disbursed - committed,
        Violation(
            Rule.DISBURSED_ABOVE_COMMITTED,
            "error",
            f"Disbursed {euros(disbursed)} against {what}, which commits {euros(committed)}: "
            f"{euros(disbursed - committed)} paid without a commitment.",
            {
                **details,
                "committed": str(committed),
                "disbursed": str(disbursed),
                "excess": str(disbursed - committed),
            },
        ),
    )


@dataclass
class _Sums:
    """Committed and paid, per commitment and per (beneficiary, project, source)."""

    commitment: dict[uuid.UUID, Decimal] = field(default_factory=dict)
    paid: dict[uuid.UUID, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    bucket_committed: dict[Bucket, Decimal] = field(
        default_factory=lambda: defaultdict(lambda: ZERO)
    )
    bucket_paid: dict[Bucket, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))


def _sums(res: Resolution, focus: Entry | None) -> _Sums:
    """The sums of the focus's bucket only, if given."""
    sums = _Sums()
    focus_bucket = None if focus is None else (focus.beneficiary_id, focus.project_id, focus.source)
    for x in res.effects.values():
        e = x.original
        bucket = (e.beneficiary_id, e.project_id, e.source)
        if focus_bucket is not None and bucket != focus_bucket:
            continue
        if e.kind is EntryKind.COMMITMENT:
            sums.commitment[e.entry_id] = x.amount
            sums.bucket_committed[bucket] += x.amount
        elif e.kind is EntryKind.DISBURSEMENT:
            sums.bucket_paid[bucket] += x.amount
            if e.commitment_ref is not None:
                sums.paid[e.commitment_ref] += x.amount
    return sums


def _bucket_breach(bucket: Bucket, committed: Decimal, disbursed: Decimal) -> Breach:
    beneficiary, project, source = bucket
    where = f"project {project}" if project else "no project"
    return _over(
        ("bucket", *bucket),
        committed,
        disbursed,
        f"the {source.value.upper()} money of beneficiary {beneficiary} in {where}",
        {
            "beneficiary_id": str(beneficiary),
            "project_id": None if project is None else str(project),
            "source": source.value,
        },
    )


def disbursed_breaches(res: Resolution, ctx: RuleContext, focus: Entry | None) -> list[Breach]:
    """What is paid against a commitment stays within it, and what a beneficiary is paid
    from a source in a project within what that source committed to it there: a payment
    without a commitment has no legal basis."""
    sums = _sums(res, focus)
    focus_commitment = None
    if focus is not None:
        focus_commitment = (
            focus.entry_id if focus.kind is EntryKind.COMMITMENT else focus.commitment_ref
        )
    out: list[Breach] = []
    for ref, committed in sums.commitment.items():
        if focus is not None and ref != focus_commitment:
            continue
        if sums.paid[ref] > committed:
            out.append(
                _over(
                    ("commitment", ref),
                    committed,
                    sums.paid[ref],
                    f"commitment {ref}",
                    {"commitment_id": str(ref)},
                )
            )
    for bucket, disbursed in sums.bucket_paid.items():
        committed = sums.bucket_committed[bucket]
        if disbursed > committed:
            out.append(_bucket_breach(bucket, committed, disbursed))
    return out
