"""The full actor profile: identity, place, sectors, offers and needs, SME data, contacts.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TEXT_ARRAY = postgresql.ARRAY(sa.Text())
SEARCH_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, legal_name || ' ' || coalesce(short_name, '')),"
    " 'A') || setweight(to_tsvector('english'::regconfig, search_text), 'B')"
)
EMPTY = sa.text("'{}'::text[]")


def upgrade() -> None:
    add = op.add_column
    add("actors", sa.Column("pic", sa.Text(), nullable=True))
    add("actors", sa.Column("vat_number", sa.Text(), nullable=True))
    add("actors", sa.Column("website", sa.Text(), nullable=True))
    add("actors", sa.Column("description", sa.Text(), nullable=False, server_default=""))
    add("actors", sa.Column("nuts_code", sa.Text(), nullable=True))
    add("actors", sa.Column("nuts_version", sa.Text(), nullable=True))
    for name in ("nace_codes", "ecosystems", "competences", "keywords"):
        add("actors", sa.Column(name, TEXT_ARRAY, nullable=False, server_default=EMPTY))
    add("actors", sa.Column("nace_revision", sa.Text(), nullable=True))
    add("actors", sa.Column("sme_declared", sa.Text(), nullable=True))
    add("actors", sa.Column("sme_category", sa.Text(), nullable=True))
    add("actors", sa.Column("sme_assessment", postgresql.JSONB(), nullable=True))
    add("actors", sa.Column("active", sa.Boolean(), nullable=False, server_default="true"))
    add("actors", sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
    add("actors", sa.Column("deactivation_reason", sa.Text(), nullable=True))
    add("actors", sa.Column("cordis_organisation_id", sa.Text(), nullable=True))
    add("actors", sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    add(
        "actors",
        sa.Column(
            "search_document",
            postgresql.TSVECTOR(),
            sa.Computed(SEARCH_DOCUMENT, persisted=True),
        ),
    )
    op.create_unique_constraint("uq_actors_pic", "actors", ["pic"])
    op.create_unique_constraint(
        "uq_actors_cordis_organisation_id", "actors", ["cordis_organisation_id"]
    )
    op.create_index(
        "ix_actors_search_document", "actors", ["search_document"], postgresql_using="gin"
    )
    for name in ("ecosystems", "competences", "nace_codes"):
        op.create_index(f"ix_actors_{name}", "actors", [name], postgresql_using="gin")
    op.create_index("ix_actors_country_kind", "actors", ["country", "kind"])
    op.create_index(
        "ix_actors_nuts_code",
        "actors",
        ["nuts_code"],
        postgresql_ops={"nuts_code": "text_pattern_ops"},
    )
    op.create_index("ix_actors_legal_name_id", "actors", ["legal_name", "id"])
    op.create_index("ix_actors_created_at_id", "actors", ["created_at", "id"])

    op.create_table(
        "actor_offers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("competences", TEXT_ARRAY, nullable=False, server_default=EMPTY),
        sa.Column("keywords", TEXT_ARRAY, nullable=False, server_default=EMPTY),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_actor_offers"),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name="fk_actor_offers_actor_id_actors",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_actor_offers_actor_id", "actor_offers", ["actor_id"])
    op.create_index("ix_actor_offers_type_actor_id", "actor_offers", ["type", "actor_id"])

    op.create_table(
        "actor_financials",
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("headcount", sa.Numeric(12, 2), nullable=False),
        sa.Column("turnover", sa.Numeric(16, 2), nullable=False),
        sa.Column("balance_sheet", sa.Numeric(16, 2), nullable=False),
        sa.PrimaryKeyConstraint("actor_id", "year", name="pk_actor_financials"),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name="fk_actor_financials_actor_id_actors",
            ondelete="CASCADE",
        ),
    )

    op.create_table(
        "actor_owners",
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("owner_actor_id", sa.Uuid(), nullable=False),
        sa.Column("share_percent", sa.Numeric(5, 2), nullable=False),
        sa.Column("controls", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("owner_exempt_investor", sa.Boolean(), nullable=False, server_default="false"),
        sa.PrimaryKeyConstraint("actor_id", "owner_actor_id", name="pk_actor_owners"),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name="fk_actor_owners_actor_id_actors",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_actor_id"], ["actors.id"], name="fk_actor_owners_owner_actor_id_actors"
        ),
    )
    op.create_index("ix_actor_owners_owner_actor_id", "actor_owners", ["owner_actor_id"])

    op.create_table(
        "contact_persons",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("consent_given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("share_with_partners", sa.Boolean(), nullable=False, server_default="false"),
        sa.PrimaryKeyConstraint("id", name="pk_contact_persons"),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name="fk_contact_persons_actor_id_actors",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_contact_persons_actor_id", "contact_persons", ["actor_id"])


def downgrade() -> None:
    for table in ("contact_persons", "actor_owners", "actor_financials", "actor_offers"):
        op.drop_table(table)
    for index in (
        "ix_actors_created_at_id",
        "ix_actors_legal_name_id",
        "ix_actors_nuts_code",
        "ix_actors_country_kind",
        "ix_actors_nace_codes",
        "ix_actors_competences",
        "ix_actors_ecosystems",
        "ix_actors_search_document",
    ):
        op.drop_index(index, table_name="actors")
    op.drop_constraint("uq_actors_cordis_organisation_id", "actors")
    op.drop_constraint("uq_actors_pic", "actors")
    for column in (
        "search_document",
        "search_text",
        "cordis_organisation_id",
        "deactivation_reason",
        "deactivated_at",
        "active",
        "sme_assessment",
        "sme_category",
        "sme_declared",
        "nace_revision",
        "keywords",
        "competences",
        "ecosystems",
        "nace_codes",
        "nuts_version",
        "nuts_code",
        "description",
        "website",
        "vat_number",
        "pic",
    ):
        op.drop_column("actors", column)
