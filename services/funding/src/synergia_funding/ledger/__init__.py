"""The funding ledger's pure core: entries, the fold to balances, and the rules.

No database and no HTTP here: ``model`` holds the append-only entries, ``balances`` folds a
set of entries into balances and report totals, ``limits`` holds every legal number with its
source, and ``rules`` checks a new entry (or the whole ledger) and says what is an error
(reject) and what is a flag (accept and flag).
"""
