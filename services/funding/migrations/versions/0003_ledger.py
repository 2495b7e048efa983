"""The co-funding ledger: append-only entries, parked entries, and who owns whom.

``ledger_entries`` is append-only (the service never updates or deletes a row): one row
per :class:`~synergia_funding.ledger.entries.Entry`, unique by its id and by the external
reference of the system that sent it. ``parked_entries`` holds valid entries whose
prerequisite (the entry a correction corrects, a payment's commitment) has not arrived;
``waiting_for`` is what they wait for. A parked entry that breaks a rule once its
prerequisite arrives stays there as ``rejected``, so the sender can still learn why.
``ownership_links`` projects the registry actors' owners, for the single undertaking of
the de minimis rule.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(16, 2)
EMPTY_JSON_LIST = sa.text("'[]'::jsonb")


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        # Insertion order, for stable listing and keyset pagination; not a business key.
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("fund", sa.Text(), nullable=True),
        sa.Column("instrument_id", sa.Text(), nullable=True),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("finance_type", sa.Text(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("member_state", sa.Text(), nullable=False),
        sa.Column("external_system", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("cost_item_ref", sa.Text(), nullable=True),
        sa.Column("commitment_ref", sa.Uuid(), nullable=True),
        sa.Column("region_nuts", sa.Text(), nullable=True),
        sa.Column("is_de_minimis", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("aid_equivalent", MONEY, nullable=True),
        sa.Column("private_timing", sa.Text(), nullable=True),
        sa.Column("reverses", sa.Uuid(), nullable=True),
        sa.Column("adjusts", sa.Uuid(), nullable=True),
        # The rule flags raised when it was recorded: [{rule, severity, message, details}].
        sa.Column("flags", postgresql.JSONB(), nullable=False, server_default=EMPTY_JSON_LIST),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("entry_id", name="pk_ledger_entries"),
        sa.UniqueConstraint(
            "external_system", "external_id", name="uq_ledger_entries_external_ref"
        ),
        sa.UniqueConstraint("seq", name="uq_ledger_entries_seq"),
        sa.CheckConstraint(
            "kind IN ('commitment', 'cost_item', 'disbursement')", name="ck_ledger_entries_kind"
        ),
        sa.CheckConstraint(
            "NOT (reverses IS NOT NULL AND adjusts IS NOT NULL)",
            name="ck_ledger_entries_one_correction",
        ),
    )
    for column in ("beneficiary_id", "project_id", "commitment_ref", "reverses", "adjusts"):
        op.create_index(
            f"ix_ledger_entries_{column}",
            "ledger_entries",
            [column],
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
        )
    op.create_index(
        "ix_ledger_entries_region_nuts",
        "ledger_entries",
        [sa.text("region_nuts text_pattern_ops")],
        postgresql_where=sa.text("region_nuts IS NOT NULL"),
    )

    op.create_table(
        "parked_entries",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("external_system", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("entry", postgresql.JSONB(), nullable=False),  # the Entry, as JSON
        sa.Column("waiting_for", postgresql.ARRAY(sa.Uuid()), nullable=False),
        # The sender's own ids of what it waits for ({entry id: external id}), to answer
        # in its terms.
        sa.Column(
            "refers_to", postgresql.JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        # waiting, or rejected: its prerequisite arrived and the entry broke a rule.
        sa.Column("state", sa.Text(), nullable=False, server_default="waiting"),
        sa.Column("problem", postgresql.JSONB(), nullable=True),  # why it was rejected
        sa.Column(
            "parked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("entry_id", name="pk_parked_entries"),
        sa.CheckConstraint("state IN ('waiting', 'rejected')", name="ck_parked_entries_state"),
        sa.UniqueConstraint(
            "external_system", "external_id", name="uq_parked_entries_external_ref"
        ),
    )
    op.create_index(
        "ix_parked_entries_waiting_for",
        "parked_entries",
        ["waiting_for"],
        postgresql_using="gin",
        postgresql_where=sa.text("state = 'waiting'"),
    )

    op.create_table(
        "ownership_links",
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("owner_actor_id", sa.Uuid(), nullable=False),
        sa.Column("share_percent", sa.Numeric(5, 2), nullable=False),
        sa.Column("controls", sa.Boolean(), nullable=False, server_default="false"),
        sa.PrimaryKeyConstraint("actor_id", "owner_actor_id", name="pk_ownership_links"),
    )
    op.create_index("ix_ownership_links_owner", "ownership_links", ["owner_actor_id"])


def downgrade() -> None:
    op.drop_table("ownership_links")
    op.drop_table("parked_entries")
    op.drop_table("ledger_entries")
