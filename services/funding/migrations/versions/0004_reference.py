"""Funding reference data: the sources money comes from, and ESIF programmes' financial plans.

``funding_sources`` holds one row per source of any kind, unique by its natural code
within the kind (grant agreement number, CCI, ...). ``definition`` is the validated request
that defined it (for an ESIF programme without its lines, which live in
``esif_programme_lines``). ``regions`` are the NUTS codes it is declared for;
``nuts_closure`` adds every region containing them and the country, so that "sources in
region X" is two GIN-indexed array tests (see ``reference/repository.py``). FSTP calls keep
their project and caps as columns for the ledger's cap rule.

``esif_programme_lines`` is a programme's financial plan, one row per fund, priority axis,
thematic objective and category of region (NULLs compare equal in that key: an empty
category is one value, not many).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(16, 2)
RATE = sa.Numeric(7, 6)
TEXT_ARRAY = postgresql.ARRAY(sa.Text())
EMPTY_ARRAY = sa.text("'{}'::text[]")
KINDS = (
    "h2020_grant",
    "fstp_call",
    "esif_programme",
    "efsi_window",
    "national_programme",
    "private_investor",
)


def upgrade() -> None:
    op.create_table(
        "funding_sources",
        sa.Column("id", sa.Uuid(), nullable=False),
        # Identifiers, ordered bytewise: the list's keyset order is the same everywhere.
        sa.Column("kind", sa.Text(collation="C"), nullable=False),
        sa.Column("code", sa.Text(collation="C"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("regions", TEXT_ARRAY, nullable=False, server_default=EMPTY_ARRAY),
        sa.Column("nuts_closure", TEXT_ARRAY, nullable=False, server_default=EMPTY_ARRAY),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("per_third_party_cap", MONEY, nullable=True),
        sa.Column("per_project_cap", MONEY, nullable=True),
        sa.Column("call_budget", MONEY, nullable=True),
        sa.Column("definition", postgresql.JSONB(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_funding_sources"),
        sa.UniqueConstraint("kind", "code", name="uq_funding_sources_kind"),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")",
            name="ck_funding_sources_kind",
        ),
        sa.CheckConstraint(
            "(kind = 'fstp_call') = (project_id IS NOT NULL AND per_third_party_cap IS NOT NULL)",
            name="ck_funding_sources_fstp_columns",
        ),
    )
    op.create_index(
        "ix_funding_sources_project_id",
        "funding_sources",
        ["project_id"],
        postgresql_where=sa.text("project_id IS NOT NULL"),
    )
    op.create_index(
        "ix_funding_sources_nuts_closure",
        "funding_sources",
        ["nuts_closure"],
        postgresql_using="gin",
    )
    op.create_index(
        "ix_funding_sources_regions", "funding_sources", ["regions"], postgresql_using="gin"
    )

    op.create_table(
        "esif_programme_lines",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("fund", sa.Text(), nullable=False),
        sa.Column("priority_axis", sa.Text(), nullable=False),
        sa.Column("thematic_objective", sa.Text(), nullable=True),
        sa.Column("category_of_region", sa.Text(), nullable=True),
        sa.Column("eu_amount", MONEY, nullable=False),
        sa.Column("national_amount", MONEY, nullable=False),
        sa.Column("total_amount", MONEY, nullable=False),
        sa.Column("stated_rate", RATE, nullable=True),
        # Why the line is worth a second look (a rate above its ceiling...): never refused.
        sa.Column("flags", TEXT_ARRAY, nullable=False, server_default=EMPTY_ARRAY),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_esif_programme_lines"),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["funding_sources.id"],
            name="fk_esif_programme_lines_source_id_funding_sources",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "source_id",
            "fund",
            "priority_axis",
            "thematic_objective",
            "category_of_region",
            name="uq_esif_programme_lines_source_id",
            postgresql_nulls_not_distinct=True,
        ),
        sa.CheckConstraint(
            "eu_amount >= 0 AND national_amount >= 0 "
            "AND eu_amount + national_amount = total_amount",
            name="ck_esif_programme_lines_amounts_add_up",
        ),
        sa.CheckConstraint(
            "fund IN ('ERDF', 'ESF', 'CF', 'EAFRD', 'EMFF', 'YEI')",
            name="ck_esif_programme_lines_fund",
        ),
    )
    op.create_index("ix_esif_programme_lines_fund", "esif_programme_lines", ["fund"])


def downgrade() -> None:
    op.drop_table("esif_programme_lines")
    op.drop_table("funding_sources")
