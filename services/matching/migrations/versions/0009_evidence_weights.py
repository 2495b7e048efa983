"""Evidence weighed by where it is: the offers document labels the words of structured
offers and controlled competences A, and those of the free text (the actor's own keywords
and description, now in ``about_text``) D, so partner search can count a term written
only in free text less than one offered (docs/matching.md, "Text matching").

Rows projected before this revision keep their whole text as offers (all A, as ranked
before) until the actor's next event; ``synergia-matching-rebuild --reset`` redoes them
all at once.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The expression of synergia_matching.profiles.models.OFFERS_DOCUMENT at this revision,
# written out: a migration must not change when the model does.
WEIGHTED = (
    "setweight(to_tsvector('english'::regconfig, offers_text), 'A')"
    " || setweight(to_tsvector('english'::regconfig, about_text), 'D')"
)
PLAIN = "to_tsvector('english'::regconfig, offers_text)"


def _document(expression: str) -> None:
    op.drop_index("ix_actor_profiles_offers_document", "actor_profiles")
    op.drop_column("actor_profiles", "offers_document")
    op.add_column(
        "actor_profiles",
        sa.Column(
            "offers_document",
            postgresql.TSVECTOR(),
            sa.Computed(expression, persisted=True),
            nullable=False,
        ),
    )
    # Inline, as migration 0004 decided: scoring reads it once per term group. SET STORAGE
    # applies to the rows written from now on, so the rows are written again.
    op.execute("ALTER TABLE actor_profiles ALTER COLUMN offers_document SET STORAGE MAIN")
    op.execute("UPDATE actor_profiles SET offers_text = offers_text")
    op.create_index(
        "ix_actor_profiles_offers_document",
        "actor_profiles",
        ["offers_document"],
        postgresql_using="gin",
    )


def upgrade() -> None:
    op.add_column(
        "actor_profiles", sa.Column("about_text", sa.Text(), nullable=False, server_default="")
    )
    _document(WEIGHTED)


def downgrade() -> None:
    op.execute(
        "UPDATE actor_profiles SET offers_text = concat_ws(E'\\n', nullif(offers_text, ''),"
        " nullif(about_text, ''))"
    )
    _document(PLAIN)
    op.drop_column("actor_profiles", "about_text")
