"""A correction matches what it corrects, and a payment its commitment."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from synergia_shared.money import euros

from synergia_funding.ledger.entries import Entry, EntryKind

from ..balances import Resolution

# The fields a correction must repeat from the entry it corrects.
_CORRECTION_SAME = (
    "kind",
    "beneficiary_id",
    "project_id",
    "source",
    "fund",
    "instrument_id",
    "finance_type",
    "member_state",
    "cost_item_ref",
    "commitment_ref",
    "is_de_minimis",
    "private_timing",
)
# The fields a disbursement must repeat from its commitment.
_DISBURSEMENT_SAME = ("beneficiary_id", "project_id", "source", "fund", "instrument_id")


def _mismatch(a: Entry, b: Entry, names: Iterable[str]) -> list[str]:
    return [n for n in names if getattr(a, n) != getattr(b, n)]


def _target_problems(entries: Mapping[uuid.UUID, Entry], new: Entry, target: Entry) -> list[str]:
    """A correction repeats its target, corrects no reversal, adjusts no adjustment,
    reverses an entry once, and repeats the amount it reverses."""
    problems: list[str] = []
    verb = "reverses" if new.reverses is not None else "adjusts"
    wrong = _mismatch(new, target, _CORRECTION_SAME)
    if wrong:
        problems.append(
            f"it {verb} entry {target.entry_id} but differs from it in "
            + ", ".join(wrong)
            + " (a correction repeats what it corrects)"
        )
    if target.reverses is not None:
        problems.append(f"entry {target.entry_id} is itself a reversal; enter a new entry")
    elif new.adjusts is not None and target.adjusts is not None:
        problems.append(
            f"entry {target.entry_id} is an adjustment; adjust its original "
            f"{target.adjusts} instead"
        )
    already = sorted(str(e.entry_id) for e in entries.values() if e.reverses == target.entry_id)
    if already and new.reverses is not None and target.reverses is None:
        problems.append(f"entry {target.entry_id} is already reversed by {', '.join(already)}")
    if new.reverses is not None and new.amount != target.amount:
        problems.append(
            f"a reversal repeats the reversed amount {euros(target.amount)}, "
            f"not {euros(new.amount)}"
        )
    return problems


def _adjustment_problems(res: Resolution, new: Entry, original: Entry) -> list[str]:
    """An adjustment applies to an original that is not reversed, and brings neither its
    amount nor its de minimis aid below zero."""
    problems: list[str] = []
    if original.entry_id in {e.reverses for e in res.entries.values() if e.reverses is not None}:
        problems.append(f"entry {original.entry_id} is reversed; it cannot be adjusted")
    effect = res.effects[original.entry_id]
    if effect.amount + new.amount < 0:
        problems.append(
            f"the adjustment of {euros(new.amount)} would bring entry "
            f"{original.entry_id} from {euros(effect.amount)} to "
            f"{euros(effect.amount + new.amount)}, below zero"
        )
    if original.is_de_minimis and effect.aid + new.aid < 0:
        problems.append(
            f"the adjustment would bring the aid of entry {original.entry_id} below zero"
        )
    return problems


def _payment_problems(commitment: Entry, new: Entry) -> list[str]:
    """A disbursement pays an original commitment and repeats its beneficiary, project,
    source, fund and instrument."""
    problems: list[str] = []
    if commitment.kind is not EntryKind.COMMITMENT or commitment.is_correction:
        problems.append(f"entry {commitment.entry_id} is not an original commitment")
    wrong = _mismatch(new, commitment, _DISBURSEMENT_SAME)
    if wrong:
        problems.append(
            f"it pays commitment {commitment.entry_id} but differs from it in " + ", ".join(wrong)
        )
    return problems


def consistency_problems(res: Resolution, new: Entry) -> list[str]:
    """What makes a new entry contradict the entries it refers to (plain words); the
    entries it refers to are in ``res``."""
    problems: list[str] = []
    if new.target is not None:
        target = res.entries[new.target]
        problems += _target_problems(res.entries, new, target)
        original = res.original_of(target.entry_id)
        if original is not None and new.adjusts is not None:
            problems += _adjustment_problems(res, new, original)
    if new.commitment_ref is not None and new.target is None:
        problems += _payment_problems(res.entries[new.commitment_ref], new)
    return problems
