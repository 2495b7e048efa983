"""Value-chain initiatives: the chain, its leads, ordered stages and participants.

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

TEXT_ARRAY = postgresql.ARRAY(sa.Text())
EMPTY = sa.text("'{}'::text[]")


def upgrade() -> None:
    op.create_table(
        "value_chains",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("strategic_vision", sa.Text(), nullable=False, server_default=""),
        sa.Column("target_industry", sa.Text(), nullable=False, server_default=""),
        sa.Column("ecosystems", TEXT_ARRAY, nullable=False, server_default=EMPTY),
        sa.Column("status", sa.Text(), nullable=False, server_default="draft"),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_value_chains"),
        sa.CheckConstraint(
            "status IN ('draft', 'open', 'formed', 'running', 'closed')",
            name="ck_value_chains_status",
        ),
    )
    op.create_index("ix_value_chains_created_at_id", "value_chains", ["created_at", "id"])
    op.create_index("ix_value_chains_status", "value_chains", ["status"])
    op.create_index(
        "ix_value_chains_ecosystems", "value_chains", ["ecosystems"], postgresql_using="gin"
    )

    op.create_table(
        "value_chain_leads",
        sa.Column("value_chain_id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("value_chain_id", "actor_id", name="pk_value_chain_leads"),
        sa.ForeignKeyConstraint(
            ["value_chain_id"],
            ["value_chains.id"],
            name="fk_value_chain_leads_value_chain_id_value_chains",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actors.id"], name="fk_value_chain_leads_actor_id_actors"
        ),
    )
    op.create_index("ix_value_chain_leads_actor_id", "value_chain_leads", ["actor_id"])

    op.create_table(
        "value_chain_stages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("value_chain_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("competences", TEXT_ARRAY, nullable=False, server_default=EMPTY),
        sa.Column("keywords", TEXT_ARRAY, nullable=False, server_default=EMPTY),
        sa.PrimaryKeyConstraint("id", name="pk_value_chain_stages"),
        sa.ForeignKeyConstraint(
            ["value_chain_id"],
            ["value_chains.id"],
            name="fk_value_chain_stages_value_chain_id_value_chains",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("value_chain_id", "position", name="uq_value_chain_stages_position"),
        sa.UniqueConstraint("value_chain_id", "name", name="uq_value_chain_stages_name"),
        sa.UniqueConstraint("id", "value_chain_id", name="uq_value_chain_stages_id_value_chain_id"),
    )

    op.create_table(
        "value_chain_participants",
        sa.Column("value_chain_id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("planned_budget", sa.Numeric(14, 2), nullable=True),
        sa.PrimaryKeyConstraint("value_chain_id", "actor_id", name="pk_value_chain_participants"),
        sa.ForeignKeyConstraint(
            ["value_chain_id"],
            ["value_chains.id"],
            name="fk_value_chain_participants_value_chain_id_value_chains",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["actors.id"], name="fk_value_chain_participants_actor_id_actors"
        ),
        # A participant's stage is a stage of the same value chain.
        sa.ForeignKeyConstraint(
            ["stage_id", "value_chain_id"],
            ["value_chain_stages.id", "value_chain_stages.value_chain_id"],
            name="fk_value_chain_participants_stage_id_value_chain_stages",
        ),
        sa.CheckConstraint(
            "role IN ('coordinator', 'partner', 'third_party', 'associated')",
            name="ck_value_chain_participants_role",
        ),
        sa.CheckConstraint(
            "planned_budget IS NULL OR planned_budget >= 0",
            name="ck_value_chain_participants_planned_budget",
        ),
    )
    op.create_index(
        "ix_value_chain_participants_actor_id", "value_chain_participants", ["actor_id"]
    )


def downgrade() -> None:
    op.drop_table("value_chain_participants")
    op.drop_table("value_chain_stages")
    op.drop_table("value_chain_leads")
    op.drop_table("value_chains")
