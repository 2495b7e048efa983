"""Evidence weighed by where it is: the offers document labels the words of structured
offers and controlled competences A, and those of the free text (the actor's own keywords
and description, now in ``about_text``) D, so partner search can count a term written
only in free text less than one offered (docs/matching.md, "Text matching"). The free text
is stemmed in its languages as the offers text is (migration 0009): ``about_text`` has its
own ``about_text_configurations`` / ``about_text_lengths``, NULL when it is all English.

Rows projected before this revision keep their whole text as offers (all A, as ranked
before) until the actor's next event; ``synergia-matching-rebuild --reset`` redoes them
all at once.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The expression of synergia_matching.profiles.models.OFFERS_DOCUMENT at this revision,
# written out: a migration must not change when the model does.
WEIGHTED = (
    "setweight(matching_document(offers_text, offers_text_configurations,"
    " offers_text_lengths), 'A')"
    " || setweight(matching_document(about_text, about_text_configurations,"
    " about_text_lengths), 'D')"
)
# Migration 0009's document.
PLAIN = "matching_document(offers_text, offers_text_configurations, offers_text_lengths)"


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
    op.add_column(
        "actor_profiles",
        sa.Column("about_text_configurations", postgresql.ARRAY(sa.Text()), nullable=True),
    )
    op.add_column(
        "actor_profiles",
        sa.Column("about_text_lengths", postgresql.ARRAY(sa.Integer()), nullable=True),
    )
    _document(WEIGHTED)


# The free text back after the offers, its runs after the offers' (a NULL list is one
# English run of the whole text); all English stays NULL. Every right-hand side reads the
# row as it was.
_JOIN_TEXTS = """
UPDATE actor_profiles SET
    offers_text_configurations = CASE
        WHEN about_text = '' THEN offers_text_configurations
        WHEN offers_text = '' THEN about_text_configurations
        WHEN offers_text_configurations IS NULL AND about_text_configurations IS NULL
            THEN NULL
        ELSE coalesce(offers_text_configurations, ARRAY['english'])
            || coalesce(about_text_configurations, ARRAY['english'])
    END,
    offers_text_lengths = CASE
        WHEN about_text = '' THEN offers_text_lengths
        WHEN offers_text = '' THEN about_text_lengths
        WHEN offers_text_configurations IS NULL AND about_text_configurations IS NULL
            THEN NULL
        ELSE coalesce(offers_text_lengths, ARRAY[length(offers_text)])
            || coalesce(about_text_lengths, ARRAY[length(about_text)])
    END,
    offers_text = concat_ws(E'\\n', nullif(offers_text, ''), nullif(about_text, ''))
"""


def downgrade() -> None:
    op.execute(_JOIN_TEXTS)
    _document(PLAIN)
    op.drop_column("actor_profiles", "about_text_lengths")
    op.drop_column("actor_profiles", "about_text_configurations")
    op.drop_column("actor_profiles", "about_text")
