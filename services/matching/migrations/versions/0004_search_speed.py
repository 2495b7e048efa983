"""Partner search at scale: the documents kept inline, NACE prefixes and sections indexed.

- ``offers_document`` / ``needs_document`` are stored MAIN (compressed if needed, but in
  the row, not in the TOAST table), so scoring a candidate does not fetch them from
  TOAST once per term group.
- ``nace_prefixes``: every leading substring of every NACE code of the actor (C10.51 →
  C, C1, C10, C10., C10.5, C10.51), so "works in a wanted sector" (a wanted code is a
  prefix of one of its codes) is an array overlap a GIN index answers, instead of a
  ``LIKE w || '%'`` per pair no index can.
- ``nace_sections``: its distinct NACE sections (the codes' first letters), for the
  cross-sector component.

Both are generated columns computed by IMMUTABLE SQL functions created here, so the
projection's consumer (and a rebuild) fill them without knowing about them.

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

# SQL-standard bodies: names are resolved once, here, so a generated column's function
# gives the same answer whatever the session's search_path (dump/restore, other schemas).
_FUNCTIONS = (
    """
CREATE FUNCTION matching_nace_prefixes(codes text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY(
    SELECT DISTINCT pg_catalog.left(c, n)
    FROM pg_catalog.unnest(codes) AS c,
         pg_catalog.generate_series(1, pg_catalog.length(c)) AS n
    ORDER BY 1
)
""",
    """
CREATE FUNCTION matching_nace_sections(codes text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY(
    SELECT DISTINCT pg_catalog.left(c, 1)
    FROM pg_catalog.unnest(codes) AS c
    WHERE c <> ''
    ORDER BY 1
)
""",
)


def upgrade() -> None:
    for kind in ("offers", "needs"):
        op.execute(f"ALTER TABLE actor_profiles ALTER COLUMN {kind}_document SET STORAGE MAIN")
    for function in _FUNCTIONS:
        op.execute(function)
    for name, function in (
        ("nace_prefixes", "matching_nace_prefixes"),
        ("nace_sections", "matching_nace_sections"),
    ):
        op.add_column(
            "actor_profiles",
            sa.Column(
                name,
                TEXT_ARRAY,
                sa.Computed(f"{function}(nace_codes)", persisted=True),
                nullable=False,
            ),
        )
    op.create_index(
        "ix_actor_profiles_nace_prefixes",
        "actor_profiles",
        ["nace_prefixes"],
        postgresql_using="gin",
    )
    # SET STORAGE applies to the rows written from now on; adding the stored generated
    # columns above rewrote every existing row, so they are inline too.


def downgrade() -> None:
    op.drop_index("ix_actor_profiles_nace_prefixes", "actor_profiles")
    op.drop_column("actor_profiles", "nace_sections")
    op.drop_column("actor_profiles", "nace_prefixes")
    op.execute("DROP FUNCTION matching_nace_sections(text[])")
    op.execute("DROP FUNCTION matching_nace_prefixes(text[])")
    for kind in ("offers", "needs"):
        op.execute(f"ALTER TABLE actor_profiles ALTER COLUMN {kind}_document SET STORAGE EXTENDED")
