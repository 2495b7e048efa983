"""The rules run together: over a whole ledger, and for one new entry."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from synergia_shared.money import euros

from synergia_funding.ledger.entries import Entry

from ..balances import Resolution, resolve
from .consistency import consistency_problems
from .context import RuleContext
from .de_minimis import de_minimis_breaches
from .disbursements import disbursed_breaches
from .double_funding import double_funding_breaches
from .findings import Breach, Rule, Violation
from .fstp import fstp_cap_breaches
from .sme_share import sme_share_breaches

# A rule over a resolved ledger; with a focus (the original a new entry is or corrects), it
# looks only at what that entry can touch.
LedgerRule = Callable[[Resolution, RuleContext, Entry | None], list[Breach]]

RULES: tuple[LedgerRule, ...] = (
    fstp_cap_breaches,
    double_funding_breaches,
    de_minimis_breaches,
    disbursed_breaches,
    sme_share_breaches,
)


def check_ledger(
    entries: Iterable[Entry] | Resolution, context: RuleContext | None = None
) -> list[Violation]:
    """Every breach in a ledger as it stands (for the reports' open rule flags)."""
    ctx = context or RuleContext()
    res = entries if isinstance(entries, Resolution) else resolve(entries)
    return [b.violation for rule in RULES for b in rule(res, ctx, None)]


def is_replay(existing: Iterable[Entry], new: Entry) -> bool:
    """The very same entry is already recorded: accepting it again changes nothing."""
    return any(e == new for e in existing)


def missing_prerequisites(existing: Iterable[Entry], new: Entry) -> list[uuid.UUID]:
    """The ids a new entry needs and that have not arrived: the entry it corrects, or a
    disbursement's commitment. The service parks the entry until they arrive."""
    ids = {e.entry_id for e in existing}
    needed = [new.target, new.commitment_ref]
    return [i for i in needed if i is not None and i not in ids]


def _describe(entry: Entry) -> str:
    if entry.reverses is not None:
        return f"Entry {entry.entry_id} (reversal of {entry.reverses}, {entry.entry_date})"
    if entry.adjusts is not None:
        return (
            f"Entry {entry.entry_id} (adjustment of {entry.adjusts} by {euros(entry.amount)}, "
            f"{entry.entry_date})"
        )
    return (
        f"Entry {entry.entry_id} ({entry.source.value} {entry.kind.value} of "
        f"{euros(entry.amount)} to {entry.beneficiary_id} on {entry.entry_date})"
    )


def _violation(rule: Rule, new: Entry, message: str, **details: Any) -> Violation:
    return Violation(
        rule, "error", f"{_describe(new)}: {message}", {"entry_id": str(new.entry_id), **details}
    )


def _duplicate(existing: Iterable[Entry], new: Entry) -> list[Violation] | None:
    """The id or the external reference of a new entry is not taken by a different entry:
    ``None`` when neither is taken, no violation for an identical replay."""
    for e in existing:
        if e.entry_id == new.entry_id:
            if e == new:
                return []
            return [
                _violation(
                    Rule.DUPLICATE,
                    new,
                    f"the id is already taken by a different entry "
                    f"({e.external_system}/{e.external_id})",
                    existing_entry_id=str(e.entry_id),
                )
            ]
        if e.external_ref == new.external_ref:
            return [
                _violation(
                    Rule.DUPLICATE,
                    new,
                    f"{new.external_system}/{new.external_id} is already recorded as entry "
                    f"{e.entry_id}; a resent item is answered with that entry, not recorded "
                    "again",
                    existing_entry_id=str(e.entry_id),
                )
            ]
    return None


def _prerequisite(existing: Iterable[Entry], new: Entry) -> list[Violation]:
    missing = missing_prerequisites(existing, new)
    if not missing:
        return []
    return [
        _violation(
            Rule.PREREQUISITE,
            new,
            "it refers to "
            + ", ".join(f"entry {m}" for m in missing)
            + ", which has not arrived yet; it is applied when it does",
            missing=[str(m) for m in missing],
        )
    ]


def _caused(
    rule: LedgerRule,
    before: Callable[[], Resolution],
    after: Resolution,
    ctx: RuleContext,
    focus: Entry,
    new: Entry,
) -> list[Violation]:
    """The breaches of ``rule`` the new entry creates or makes worse, worded for it."""
    breaches = rule(after, ctx, focus)
    if not breaches:
        return []
    was = {b.key: b.excess for b in rule(before(), ctx, focus)}
    out: list[Violation] = []
    for breach in breaches:
        if breach.key in was and breach.excess <= was[breach.key]:
            continue  # an existing breach the new entry does not make worse
        v = breach.violation
        out.append(
            Violation(
                v.rule,
                v.severity,
                f"{_describe(new)}: {v.message}",
                {"entry_id": str(new.entry_id), **v.details},
            )
        )
    return out


def check_new_entry(
    existing: Iterable[Entry],
    new: Entry,
    context: RuleContext | None = None,
) -> list[Violation]:
    """The violations a new entry would cause; any ``error`` means refuse it, ``flag``s are
    recorded with it. An identical replay of an entry already recorded returns no violation
    (check :func:`is_replay` to treat it as a no-op).

    ``existing`` may be the whole ledger or only the part the entry can touch: the entries of
    its beneficiary's single undertaking (de minimis), of its project (FSTP, SME share), of
    its beneficiary (double funding, disbursements) and the entry it refers to.
    """
    ctx = context or RuleContext()
    existing = list(existing)
    duplicate = _duplicate(existing, new)
    if duplicate is not None:
        return duplicate
    missing = _prerequisite(existing, new)
    if missing:
        return missing

    # What the ledger was without the new entry matters only to a correction or a
    # payment (consistency) and to a rule that finds a breach with it (did the new
    # entry cause it or make it worse?): resolved only then, most entries need not.
    @cache
    def before() -> Resolution:
        return resolve(existing)

    if new.target is not None or new.commitment_ref is not None:
        problems = consistency_problems(before(), new)
        if problems:
            return [_violation(Rule.CONSISTENCY, new, "; ".join(problems), problems=problems)]
    after = resolve([*existing, new])
    focus = after.original_of(new.entry_id)
    assert focus is not None  # prerequisites are present
    return [v for rule in RULES for v in _caused(rule, before, after, ctx, focus, new)]
