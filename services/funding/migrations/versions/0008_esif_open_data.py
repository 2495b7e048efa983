"""ESIF plan lines as the official open data has them: EAFRD measure and focus area in the
line's identity, an optional priority axis, and the programme version held.

The official "ESIF 2014-2020 planned" export breaks EAFRD priorities down by measure and
focus area, so the same programme, fund, priority, thematic objective and category of
region occur many times: the two codes join the unique key (NULLs still equal). EMFF
lines and EAFRD technical assistance have no priority axis. ``programme_version`` is the
programme's ``Ver`` last loaded, so a newer file replaces the plan and an older one is
refused.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_OLD_KEY = ["source_id", "fund", "priority_axis", "thematic_objective", "category_of_region"]


def upgrade() -> None:
    op.add_column("funding_sources", sa.Column("programme_version", sa.Integer(), nullable=True))
    op.add_column("esif_programme_lines", sa.Column("eafrd_measure", sa.Text(), nullable=True))
    op.add_column("esif_programme_lines", sa.Column("eafrd_focus_area", sa.Text(), nullable=True))
    op.alter_column("esif_programme_lines", "priority_axis", nullable=True)
    op.drop_constraint("uq_esif_programme_lines_source_id", "esif_programme_lines", type_="unique")
    op.create_unique_constraint(
        "uq_esif_programme_lines_key",
        "esif_programme_lines",
        [*_OLD_KEY, "eafrd_measure", "eafrd_focus_area"],
        postgresql_nulls_not_distinct=True,
    )


def downgrade() -> None:
    # Lines the old key cannot hold (EAFRD breakdowns, no priority) do not survive it.
    op.execute(
        "DELETE FROM esif_programme_lines WHERE priority_axis IS NULL "
        "OR eafrd_measure IS NOT NULL OR eafrd_focus_area IS NOT NULL"
    )
    op.drop_constraint("uq_esif_programme_lines_key", "esif_programme_lines", type_="unique")
    op.create_unique_constraint(
        "uq_esif_programme_lines_source_id",
        "esif_programme_lines",
        _OLD_KEY,
        postgresql_nulls_not_distinct=True,
    )
    op.alter_column("esif_programme_lines", "priority_axis", nullable=False)
    op.drop_column("esif_programme_lines", "eafrd_focus_area")
    op.drop_column("esif_programme_lines", "eafrd_measure")
    op.drop_column("funding_sources", "programme_version")
