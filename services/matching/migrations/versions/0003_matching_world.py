"""What matching needs to match: searchable offers and needs, ownership links, cluster
memberships and profiles, value chains, regional S3 priorities and stored team proposals.

The text columns of ``actor_profiles`` are filled from the next event of each actor; a
rebuild (``synergia-matching-rebuild``) fills them for every actor at once.

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

TEXT_ARRAY = postgresql.ARRAY(sa.Text())
EMPTY_ARRAY = sa.text("'{}'::text[]")
EMPTY_JSON_LIST = sa.text("'[]'::jsonb")


def _now() -> sa.Column[sa.DateTime]:
    return sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    add = op.add_column
    add("actor_profiles", sa.Column("country_standing", sa.Text(), nullable=True))
    add("actor_profiles", sa.Column("nuts_version", sa.Text(), nullable=True))
    add("actor_profiles", sa.Column("offers_text", sa.Text(), nullable=False, server_default=""))
    add("actor_profiles", sa.Column("needs_text", sa.Text(), nullable=False, server_default=""))
    add(
        "actor_profiles",
        sa.Column("offered_competences", TEXT_ARRAY, nullable=False, server_default=EMPTY_ARRAY),
    )
    # 'english' named explicitly: to_tsvector with a regconfig constant is immutable, as a
    # generated column requires, and the stemming does not depend on the server's default.
    for kind in ("offers", "needs"):
        add(
            "actor_profiles",
            sa.Column(
                f"{kind}_document",
                postgresql.TSVECTOR(),
                sa.Computed(f"to_tsvector('english'::regconfig, {kind}_text)", persisted=True),
                nullable=False,
            ),
        )
        op.create_index(
            f"ix_actor_profiles_{kind}_document",
            "actor_profiles",
            [f"{kind}_document"],
            postgresql_using="gin",
        )
    for name in ("offered_competences", "ecosystems", "nace_codes"):
        op.create_index(
            f"ix_actor_profiles_{name}", "actor_profiles", [name], postgresql_using="gin"
        )
    op.create_index("ix_actor_profiles_country", "actor_profiles", ["country"])

    op.create_table(
        "ownership_links",
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("owner_actor_id", sa.Uuid(), nullable=False),
        sa.Column("share_percent", sa.Numeric(5, 2), nullable=False),
        sa.Column("controls", sa.Boolean(), nullable=False, server_default="false"),
        sa.PrimaryKeyConstraint("actor_id", "owner_actor_id", name="pk_ownership_links"),
    )
    op.create_index("ix_ownership_links_owner_actor_id", "ownership_links", ["owner_actor_id"])

    op.create_table(
        "cluster_profiles",
        sa.Column("cluster_id", sa.Uuid(), nullable=False),
        sa.Column("ecosystems", TEXT_ARRAY, nullable=False, server_default=EMPTY_ARRAY),
        sa.Column("s3_priorities", TEXT_ARRAY, nullable=False, server_default=EMPTY_ARRAY),
        sa.Column("esca_label", sa.Text(), nullable=True),
        sa.Column("source_sequence", sa.Integer(), nullable=False),
        _now(),
        sa.PrimaryKeyConstraint("cluster_id", name="pk_cluster_profiles"),
    )
    op.create_table(
        "cluster_memberships",
        sa.Column("cluster_id", sa.Uuid(), nullable=False),
        sa.Column("member_actor_id", sa.Uuid(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("committed", sa.Boolean(), nullable=False, server_default="true"),
        _now(),
        sa.PrimaryKeyConstraint(
            "cluster_id", "member_actor_id", "joined_on", name="pk_cluster_memberships"
        ),
    )
    op.create_index(
        "ix_cluster_memberships_member_actor_id", "cluster_memberships", ["member_actor_id"]
    )

    op.create_table(
        "value_chains",
        sa.Column("value_chain_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("target_industry", sa.Text(), nullable=False, server_default=""),
        sa.Column("ecosystems", TEXT_ARRAY, nullable=False, server_default=EMPTY_ARRAY),
        sa.Column(
            "lead_actor_ids",
            postgresql.ARRAY(sa.Uuid()),
            nullable=False,
            server_default=sa.text("'{}'::uuid[]"),
        ),
        # ValueChainStageV1 / ValueChainParticipantV1 objects as the event carries them.
        sa.Column("stages", postgresql.JSONB(), nullable=False, server_default=EMPTY_JSON_LIST),
        sa.Column(
            "participants", postgresql.JSONB(), nullable=False, server_default=EMPTY_JSON_LIST
        ),
        sa.Column("source_sequence", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        _now(),
        sa.PrimaryKeyConstraint("value_chain_id", name="pk_value_chains"),
    )

    op.create_table(
        "s3_priorities",
        sa.Column("nuts_code", sa.Text(), nullable=False),
        # [{name, nace_codes, ecosystems, keywords}]
        sa.Column("domains", postgresql.JSONB(), nullable=False, server_default=EMPTY_JSON_LIST),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        _now(),
        sa.PrimaryKeyConstraint("nuts_code", name="pk_s3_priorities"),
    )

    op.create_table(
        "team_proposals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("value_chain_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("solver_status", sa.Text(), nullable=False),
        sa.Column("members", postgresql.JSONB(), nullable=False),
        sa.Column("objective", postgresql.JSONB(), nullable=False),
        sa.Column("constraints", postgresql.JSONB(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("id", name="pk_team_proposals"),
        sa.CheckConstraint(
            "status IN ('proposed', 'accepted', 'declined')", name="ck_team_proposals_status"
        ),
    )
    op.create_index(
        "ix_team_proposals_value_chain_id", "team_proposals", ["value_chain_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_table("team_proposals")
    op.drop_table("s3_priorities")
    op.drop_table("value_chains")
    op.drop_table("cluster_memberships")
    op.drop_table("cluster_profiles")
    op.drop_table("ownership_links")
    op.drop_index("ix_actor_profiles_country", "actor_profiles")
    for name in (
        "offered_competences",
        "ecosystems",
        "nace_codes",
        "offers_document",
        "needs_document",
    ):
        op.drop_index(f"ix_actor_profiles_{name}", "actor_profiles")
    for name in (
        "offers_document",
        "needs_document",
        "offers_text",
        "needs_text",
        "offered_competences",
        "nuts_version",
        "country_standing",
    ):
        op.drop_column("actor_profiles", name)
