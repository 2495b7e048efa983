"""Net amounts per original entry, kept by the ledger writer, for the reports.

``ledger_nets`` holds one row per original ledger entry (neither a reversal nor an
adjustment) with the columns the reports group and filter by, and its net amount after
every correction recorded so far: its amount plus its live adjustments, or 0 once
reversed (the fold of ``ledger.balances``). The ledger writer updates it in the
transaction that records a correction, under the lock of the beneficiary's undertaking.
The ledger itself stays append-only; this is derived from it and can be rebuilt from it
(``ledger.repository.rebuild_nets``, which this migration runs for what is there).

Reports then sum one narrow row per original instead of joining every original to its
corrections: at 1,000,000 entries a region's report went from over a second to tens of
milliseconds.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(16, 2)
# What the reports read, carried in the indexes so a scope is summed from the index.
SUMMED = ["kind", "source", "fund", "private_timing", "net"]

REBUILD = """
INSERT INTO ledger_nets (entry_id, kind, beneficiary_id, project_id, source, fund,
    private_timing, instrument_id, region_nuts, amount, net, reversed)
SELECT o.entry_id, o.kind, o.beneficiary_id, o.project_id, o.source, o.fund,
    o.private_timing, o.instrument_id, o.region_nuts, o.amount,
    CASE WHEN r.entry_id IS NOT NULL THEN 0 ELSE o.amount + COALESCE(d.delta, 0) END,
    r.entry_id IS NOT NULL
FROM ledger_entries AS o
LEFT JOIN (
    SELECT DISTINCT reverses AS entry_id FROM ledger_entries WHERE reverses IS NOT NULL
) AS r ON r.entry_id = o.entry_id
LEFT JOIN (
    SELECT a.adjusts AS entry_id, sum(a.amount) AS delta
    FROM ledger_entries AS a
    WHERE a.adjusts IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM ledger_entries AS ra WHERE ra.reverses = a.entry_id)
    GROUP BY a.adjusts
) AS d ON d.entry_id = o.entry_id
WHERE o.reverses IS NULL AND o.adjusts IS NULL
ON CONFLICT (entry_id) DO UPDATE SET net = excluded.net, reversed = excluded.reversed
"""


def upgrade() -> None:
    op.create_table(
        "ledger_nets",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("fund", sa.Text(), nullable=True),
        sa.Column("private_timing", sa.Text(), nullable=True),
        sa.Column("instrument_id", sa.Text(), nullable=True),
        sa.Column("region_nuts", sa.Text(), nullable=True),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("net", MONEY, nullable=False),
        sa.Column("reversed", sa.Boolean(), nullable=False, server_default="false"),
        sa.PrimaryKeyConstraint("entry_id", name="pk_ledger_nets"),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entries.entry_id"], name="fk_ledger_nets_entry_id"
        ),
    )
    op.create_index(
        "ix_ledger_nets_region_nuts",
        "ledger_nets",
        [sa.text("region_nuts text_pattern_ops")],
        postgresql_include=SUMMED,
        postgresql_where=sa.text("region_nuts IS NOT NULL"),
    )
    op.create_index(
        "ix_ledger_nets_project_id",
        "ledger_nets",
        ["project_id"],
        postgresql_include=[*SUMMED, "beneficiary_id"],
        postgresql_where=sa.text("project_id IS NOT NULL"),
    )
    op.create_index(
        "ix_ledger_nets_beneficiary_id",
        "ledger_nets",
        ["beneficiary_id"],
        postgresql_include=[*SUMMED, "instrument_id"],
    )
    op.execute(REBUILD)


def downgrade() -> None:
    op.drop_table("ledger_nets")
