"""The ledger's tables (migration 0003): entries, parked entries, ownership links."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from synergia_shared.column_types import MONEY
from synergia_shared.projections.actor_tables import ownership_links_table

from synergia_funding.db import metadata

# Append-only: rows are inserted, never updated or deleted.
ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("entry_id", Uuid, primary_key=True),
    Column("seq", BigInteger, Identity(always=True), nullable=False, unique=True),
    Column("kind", Text, nullable=False),
    Column("beneficiary_id", Uuid, nullable=False),
    Column("project_id", Uuid, nullable=True),
    Column("source", Text, nullable=False),
    Column("fund", Text, nullable=True),
    Column("instrument_id", Text, nullable=True),
    Column("amount", MONEY, nullable=False),
    Column("finance_type", Text, nullable=False),
    Column("entry_date", Date, nullable=False),
    Column("member_state", Text, nullable=False),
    Column("external_system", Text, nullable=False),
    Column("external_id", Text, nullable=False),
    Column("cost_item_ref", Text, nullable=True),
    Column("commitment_ref", Uuid, nullable=True),
    Column("region_nuts", Text, nullable=True),
    Column("is_de_minimis", Boolean, nullable=False, server_default="false"),
    Column("aid_equivalent", MONEY, nullable=True),
    Column("private_timing", Text, nullable=True),
    Column("reverses", Uuid, nullable=True),
    Column("adjusts", Uuid, nullable=True),
    Column("flags", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("external_system", "external_id"),
)

parked_entries = Table(
    "parked_entries",
    metadata,
    Column("entry_id", Uuid, primary_key=True),
    Column("external_system", Text, nullable=False),
    Column("external_id", Text, nullable=False),
    Column("entry", JSONB, nullable=False),
    Column("waiting_for", ARRAY(Uuid), nullable=False),
    Column("refers_to", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("reason", Text, nullable=False),
    # waiting, or rejected: by a rule once its prerequisite arrived, or because that did
    # not arrive in time (``ledger.expiry``); ``problem`` says which.
    Column("state", Text, nullable=False, server_default="waiting"),
    Column("problem", JSONB, nullable=True),
    # Waiting since (reset when a refused item is parked again); expiry counts from it.
    # Waiting rows are indexed by (parked_at, entry_id), per sender too (migration 0007).
    Column("parked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("external_system", "external_id"),
)

# Every entry id recorded or parked (migration 0012): a writer claims the ids of the
# entries it newly applies or parks here, so two writers of one id meet on this key even
# when one records the entry and the other parks it (ledger.service, "claims").
ledger_entry_ids = Table(
    "ledger_entry_ids",
    metadata,
    Column("entry_id", Uuid, primary_key=True),
)

# The registry actors' owners: more than 50 % or control links two enterprises into one
# single undertaking (de minimis).
ownership_links = ownership_links_table(metadata)

# One row per original entry: its net amount after the corrections recorded so far,
# kept by the ledger writer for the reports (migration 0005); derived, rebuildable.
ledger_nets = Table(
    "ledger_nets",
    metadata,
    Column("entry_id", Uuid, ForeignKey("ledger_entries.entry_id"), primary_key=True),
    Column("kind", Text, nullable=False),
    Column("beneficiary_id", Uuid, nullable=False),
    Column("project_id", Uuid, nullable=True),
    Column("source", Text, nullable=False),
    Column("fund", Text, nullable=True),
    Column("private_timing", Text, nullable=True),
    Column("instrument_id", Text, nullable=True),
    Column("region_nuts", Text, nullable=True),
    Column("amount", MONEY, nullable=False),
    Column("net", MONEY, nullable=False),
    Column("reversed", Boolean, nullable=False, server_default="false"),
)


# The nets summed per region line, per project line, and the ESIF originals per project
# and region (migration 0013): appended to by triggers on ledger_nets, one row per group
# and statement, and folded by the compaction (synergia_funding.reports.totals). A
# group's figure is the sum of its rows.
def _line_columns() -> list[Column[object]]:
    return [
        Column("source", Text, nullable=False),
        Column("fund", Text, nullable=True),
        Column("private_timing", Text, nullable=True),
        Column("kind", Text, nullable=False),
        Column("net", Numeric, nullable=False),
    ]


def _counted() -> list[Column[object]]:
    return [
        Column("originals", BigInteger, nullable=False),
        Column("compacted", Boolean, nullable=False, server_default="false"),
    ]


ledger_region_totals = Table(
    "ledger_region_totals",
    metadata,
    Column("region_nuts", Text, nullable=False),
    *_line_columns(),
    *_counted(),
)
ledger_project_totals = Table(
    "ledger_project_totals",
    metadata,
    Column("project_id", Uuid, nullable=False),
    *_line_columns(),
    *_counted(),
)
ledger_esif_project_regions = Table(
    "ledger_esif_project_regions",
    metadata,
    Column("project_id", Uuid, nullable=False),
    Column("region_nuts", Text, nullable=False),
    *_counted(),
)
