"""The actor_profiles projection: matching's actor projection.

``actor_profiles`` holds the columns every actor projection keeps of the latest full
profile snapshot (``synergia_shared.projections.actor_tables``, with the lifecycle marks
that guard it and the ownership links), and what partner search and team proposals
match on: offers and needs, their texts and full-text documents, the NACE prefixes.
"""

from __future__ import annotations

from sqlalchemy import ARRAY, Column, Computed, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from synergia_shared.column_types import EMPTY_ARRAY, TextArray
from synergia_shared.projections.actor_tables import (
    EMPTY_JSON_LIST,
    ActorTables,
    actor_projection_table,
    lifecycle_marks_table,
    ownership_links_table,
)
from synergia_shared.projections.contact_fetches import contact_fetches_table

from synergia_matching.db import metadata

IntArray = ARRAY(Integer)

# Evidence weighed by where it is: a word of a structured offer or a controlled competence
# is labelled A, one of the free text D; partner search scores a term found only in D
# lower (partners/terms.py). Each text is stemmed in its languages (``matching_document``,
# migration 0009); migration 0010 writes this expression out.
OFFERS_DOCUMENT = (
    "setweight(matching_document(offers_text, offers_text_configurations,"
    " offers_text_lengths), 'A')"
    " || setweight(matching_document(about_text, about_text_configurations,"
    " about_text_lengths), 'D')"
)

actor_profiles = actor_projection_table(
    "actor_profiles",
    metadata,
    Column("competences", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("keywords", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    # OfferNeedV1 objects as the event carries them (id, type, title, description,
    # competences, keywords, valid_until).
    Column("offers", JSONB, nullable=False, server_default=EMPTY_JSON_LIST),
    Column("needs", JSONB, nullable=False, server_default=EMPTY_JSON_LIST),
    Column("country_standing", Text, nullable=True),
    Column("nuts_version", Text, nullable=True),
    # What the actor can provide (its offers and competences), what it says about itself
    # (keywords, description) and what it looks for (its needs), as plain text, with the
    # text-search configuration of each run of parts in one language and the run's length
    # (migration 0009); the documents are their full-text vectors, each run stemmed in its
    # language (``matching_document``). The offers document weighs where a word is
    # (migration 0010): A from the structured offers, D from the free text.
    Column("offers_text", Text, nullable=False, server_default=""),
    Column("about_text", Text, nullable=False, server_default=""),
    Column("needs_text", Text, nullable=False, server_default=""),
    # Its own competences and those of its offers: what it can bring.
    Column("offered_competences", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column(
        "offers_document",
        TSVECTOR,
        Computed(OFFERS_DOCUMENT, persisted=True),
        nullable=False,
    ),
    Column(
        "needs_document",
        TSVECTOR,
        Computed(
            "matching_document(needs_text, needs_text_configurations, needs_text_lengths)",
            persisted=True,
        ),
        nullable=False,
    ),
    # The profile's language (ISO 639-1): declared, else detected (``languages``).
    Column("language", Text, nullable=True),
    # NULL when the whole text is English.
    Column("offers_text_configurations", TextArray, nullable=True),
    Column("offers_text_lengths", IntArray, nullable=True),
    Column("about_text_configurations", TextArray, nullable=True),
    Column("about_text_lengths", IntArray, nullable=True),
    Column("needs_text_configurations", TextArray, nullable=True),
    Column("needs_text_lengths", IntArray, nullable=True),
    # For partner search (migration 0004): every leading substring of every NACE code
    # (C10.51 → C, C1, C10, C10., C10.5, C10.51), GIN-indexed, and the distinct sections.
    Column(
        "nace_prefixes",
        TextArray,
        Computed("matching_nace_prefixes(nace_codes)", persisted=True),
        nullable=False,
    ),
    Column(
        "nace_sections",
        TextArray,
        Computed("matching_nace_sections(nace_codes)", persisted=True),
        nullable=False,
    ),
)

# Who holds a share of whom, from the actor events' ``owners``: more than 50 % or control
# makes the two linked enterprises, one legal entity for the consortium rules.
ownership_links = ownership_links_table(metadata)

actor_lifecycle_marks = lifecycle_marks_table(metadata)

# Actors whose shared contacts are to be fetched from the registry.
shared_contact_fetches = contact_fetches_table(metadata)

ACTOR_TABLES = ActorTables(
    actor_profiles, actor_lifecycle_marks, shared_contact_fetches, ownership_links
)
CONTACT_TABLES = ACTOR_TABLES.contacts
