"""Column types the services' tables share, so that a money column or a text array is
declared the same way in every database."""

from __future__ import annotations

from sqlalchemy import Numeric, Text, text
from sqlalchemy.dialects.postgresql import ARRAY

# PostgreSQL's ARRAY: its comparators (contains, overlap) are what the queries use.
TextArray = ARRAY(Text)
# The server default of a text-array column: empty, never NULL.
EMPTY_ARRAY = text("'{}'::text[]")
# Euros to the cent, up to 99,999,999,999,999.99: every amount the ledger and the
# funding sources hold.
MONEY = Numeric(16, 2)
