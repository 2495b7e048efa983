"""Bulk registration of beneficiaries: national business identifiers, the name key
for duplicate detection, a VAT index, and the senders' external ids of actors.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from synergia_registry.actors.names import name_key

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_BACKFILL_BATCH = 1000


def upgrade() -> None:
    op.add_column("actors", sa.Column("national_id_scheme", sa.Text(), nullable=True))
    op.add_column("actors", sa.Column("national_id", sa.Text(), nullable=True))
    op.add_column("actors", sa.Column("name_key", sa.Text(), nullable=False, server_default=""))
    op.create_check_constraint(
        "ck_actors_national_id_with_scheme",
        "actors",
        "(national_id IS NULL) = (national_id_scheme IS NULL)",
    )
    op.create_unique_constraint(
        "uq_actors_national_id", "actors", ["national_id_scheme", "national_id"]
    )
    op.create_index("ix_actors_vat_number", "actors", ["vat_number"])
    op.create_index("ix_actors_country_name_key", "actors", ["country", "name_key"])
    _backfill_name_keys()

    op.create_table(
        "actor_external_ids",
        sa.Column("sender", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("sender", "external_id", name="pk_actor_external_ids"),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actors.id"],
            name="fk_actor_external_ids_actor_id_actors",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_actor_external_ids_actor_id", "actor_external_ids", ["actor_id"])


def _backfill_name_keys() -> None:
    """The key is computed in Python (transliteration, legal forms), as on every save."""
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, legal_name FROM actors")).all()
    update = sa.text("UPDATE actors SET name_key = :key WHERE id = :id")
    for start in range(0, len(rows), _BACKFILL_BATCH):
        batch = rows[start : start + _BACKFILL_BATCH]
        connection.execute(update, [{"id": r.id, "key": name_key(r.legal_name)} for r in batch])


def downgrade() -> None:
    op.drop_table("actor_external_ids")
    op.drop_index("ix_actors_country_name_key", table_name="actors")
    op.drop_index("ix_actors_vat_number", table_name="actors")
    op.drop_constraint("uq_actors_national_id", "actors", type_="unique")
    op.drop_constraint("ck_actors_national_id_with_scheme", "actors", type_="check")
    op.drop_column("actors", "name_key")
    op.drop_column("actors", "national_id")
    op.drop_column("actors", "national_id_scheme")
