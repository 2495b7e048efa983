"""The whole partner profile (place, sectors, competences, offers and needs, SME category,
active, shared contacts) and the lifecycle marks that guard it against late events.

Rows projected before this revision keep the defaults until the actor's next event or a
replay of registry.actor rebuilds them.

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
EMPTY_ARRAY = sa.text("'{}'::text[]")
EMPTY_JSON_LIST = sa.text("'[]'::jsonb")
ARRAYS = ("nace_codes", "ecosystems", "competences", "keywords")
JSON_LISTS = ("offers", "needs", "shared_contacts")  # shared_contacts: personal data


def upgrade() -> None:
    add = op.add_column
    add("actor_profiles", sa.Column("nuts_code", sa.Text(), nullable=True))
    for name in ARRAYS:
        add(
            "actor_profiles",
            sa.Column(name, TEXT_ARRAY, nullable=False, server_default=EMPTY_ARRAY),
        )
    for name in JSON_LISTS:
        add(
            "actor_profiles",
            sa.Column(name, postgresql.JSONB(), nullable=False, server_default=EMPTY_JSON_LIST),
        )
    add("actor_profiles", sa.Column("sme_category", sa.Text(), nullable=True))
    add("actor_profiles", sa.Column("active", sa.Boolean(), nullable=False, server_default="true"))
    op.create_table(
        "actor_lifecycle_marks",
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("deactivated_at_sequence", sa.Integer(), nullable=True),
        sa.Column("contacts_erased_at_sequence", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("actor_id", name="pk_actor_lifecycle_marks"),
    )


def downgrade() -> None:
    op.drop_table("actor_lifecycle_marks")
    for name in ("nuts_code", *ARRAYS, *JSON_LISTS, "sme_category", "active"):
        op.drop_column("actor_profiles", name)
