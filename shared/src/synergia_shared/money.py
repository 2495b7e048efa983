"""Euro amounts in words: the one way every service writes them in messages."""

from __future__ import annotations

from decimal import Decimal


def euros(amount: Decimal, *, places: int = 2, prefix: str = "€") -> str:
    """An amount of euros for a reader: thousands separated, ``places`` decimals
    (``€1,234.50``). Messages that round to whole euros for a ceiling ("EUR 50,000,000")
    pass ``places=0`` and their own prefix."""
    return f"{prefix}{amount:,.{places}f}"
