"""The ledger's domain rules: pure checks over entries, no I/O.

Every rule works on a :class:`~.balances.Resolution` (the net effect of every original
after corrections) and finds *breaches*, each with a key (what it is about) and an excess
(how far past the limit). :func:`check_ledger` lists the breaches of a whole ledger (the
reports' "open rule flags"); :func:`check_new_entry` decides for one new entry by
comparing the ledger without it and with it: a breach the new entry creates or makes worse
is the entry's violation. So a reversal or a downward adjustment that reduces a breach is
never refused, and an old breach is not blamed on an unrelated new entry.

One module per rule family (:mod:`.fstp`, :mod:`.double_funding`, :mod:`.de_minimis`,
:mod:`.disbursements`, :mod:`.sme_share`, :mod:`.consistency`), each rule a named
function; :mod:`.checks` runs them. Callers import from this package.

Error (refuse the entry) or flag (accept it and flag it), decided here:

==========================  ========  ======================================================
rule                        severity  why
==========================  ========  ======================================================
duplicate                   error     the id or the external reference is already taken by
                                      a different entry (an identical replay is a no-op)
prerequisite                error     the corrected entry / the commitment has not arrived:
                                      the service parks the entry (``missing_prerequisites``)
consistency                 error     a correction that does not match what it corrects,
                                      reverses twice, or drives an amount below zero; a
                                      disbursement that does not match its commitment
fstp_cap                    error     a legal cap of the grant (RfP Art. 23(7))
double_funding              error     ineligible expenditure (CPR Art. 65(11))
de_minimis                  error     aid above the ceiling may not be granted at all (Reg.
                                      2023/2831 Art. 3(2); 1407/2013 Art. 3(7))
disbursed_above_committed   error     a payment with no legal basis
sme_share                   flag      a property of the whole plan, met over time: a single
                                      commitment to a large company must be recordable
==========================  ========  ======================================================
"""

from __future__ import annotations

from .checks import (
    RULES,
    LedgerRule,
    check_ledger,
    check_new_entry,
    is_replay,
    missing_prerequisites,
)
from .context import (
    CALENDAR_YEAR,
    FiscalYearStart,
    FstpCaps,
    RuleContext,
    add_years,
    undertaking_ids,
)
from .dates import (
    EARLIEST_ENTRY_DATE,
    LATEST_ENTRY_YEARS_AHEAD,
    implausible_date,
    latest_entry_date,
)
from .de_minimis import (
    Aid,
    CountingWindow,
    Headroom,
    counting_window,
    counts_on,
    de_minimis_headroom,
    de_minimis_regime,
    drops_out_on,
)
from .findings import Breach, Rule, Severity, Violation

__all__ = [
    "CALENDAR_YEAR",
    "EARLIEST_ENTRY_DATE",
    "LATEST_ENTRY_YEARS_AHEAD",
    "RULES",
    "Aid",
    "Breach",
    "CountingWindow",
    "FiscalYearStart",
    "FstpCaps",
    "Headroom",
    "LedgerRule",
    "Rule",
    "RuleContext",
    "Severity",
    "Violation",
    "add_years",
    "check_ledger",
    "check_new_entry",
    "counting_window",
    "counts_on",
    "de_minimis_headroom",
    "de_minimis_regime",
    "drops_out_on",
    "implausible_date",
    "is_replay",
    "latest_entry_date",
    "missing_prerequisites",
    "undertaking_ids",
]
