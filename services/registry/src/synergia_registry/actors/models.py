"""Innovation actors and what hangs off them: offers and needs, accounts, owners, contacts."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from synergia_shared.column_types import EMPTY_ARRAY, TextArray

from synergia_registry.db import metadata

SEARCH_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, legal_name || ' ' || coalesce(short_name, '')),"
    " 'A') || setweight(to_tsvector('english'::regconfig, search_text), 'B')"
)

actors = Table(
    "actors",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("legal_name", Text, nullable=False),
    Column("short_name", Text, nullable=True),
    Column("kind", Text, nullable=False),
    Column("country", Text, nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("pic", Text, nullable=True, unique=True),
    Column("vat_number", Text, nullable=True),
    # A national register's identifier (scheme of synergia_shared.reference.identifiers).
    Column("national_id_scheme", Text, nullable=True),
    Column("national_id", Text, nullable=True),
    Column("website", Text, nullable=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("nuts_code", Text, nullable=True),
    Column("nuts_version", Text, nullable=True),
    Column("nace_codes", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("nace_revision", Text, nullable=True),
    Column("ecosystems", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("competences", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("keywords", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    # The declared language of the free texts (ISO 639-1), for matching's stemming.
    Column("language", Text, nullable=True),
    Column("sme_declared", Text, nullable=True),
    Column("sme_category", Text, nullable=True),
    Column("sme_assessment", JSONB, nullable=True),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("deactivated_at", DateTime(timezone=True), nullable=True),
    Column("deactivation_reason", Text, nullable=True),
    Column("cordis_organisation_id", Text, nullable=True, unique=True),
    # The legal name reduced for duplicate detection (actors/names.py), kept on every save.
    Column("name_key", Text, nullable=False, server_default=""),
    # Description, keywords, offers and needs, kept by the service on every save because
    # offers live in another table (a generated column cannot see them). Names weigh more.
    Column("search_text", Text, nullable=False, server_default=""),
    # The expiry sweep has announced every offer and need of the actor valid until
    # before this day (migration 0009); NULL: none yet.
    Column("expiry_announced_before", Date, nullable=True),
    Column(
        "search_document",
        TSVECTOR,
        Computed(SEARCH_DOCUMENT, persisted=True),
    ),
    Index("ix_actors_search_document", "search_document", postgresql_using="gin"),
    Index("ix_actors_ecosystems", "ecosystems", postgresql_using="gin"),
    Index("ix_actors_competences", "competences", postgresql_using="gin"),
    Index("ix_actors_nace_codes", "nace_codes", postgresql_using="gin"),
    Index("ix_actors_country_kind", "country", "kind"),
    Index("ix_actors_nuts_code", "nuts_code", postgresql_ops={"nuts_code": "text_pattern_ops"}),
    Index("ix_actors_legal_name_id", "legal_name", "id"),
    Index("ix_actors_created_at_id", "created_at", "id"),
    Index("ix_actors_vat_number", "vat_number"),
    Index("ix_actors_country_name_key", "country", "name_key"),
    UniqueConstraint("national_id_scheme", "national_id", name="uq_actors_national_id"),
    CheckConstraint(
        "(national_id IS NULL) = (national_id_scheme IS NULL)", name="national_id_with_scheme"
    ),
)

# Which actor a sender (a regional authority, an administrator) means by its own id for a
# beneficiary: a resent batch finds its actors again, and results speak the sender's ids.
actor_external_ids = Table(
    "actor_external_ids",
    metadata,
    Column("sender", Text, nullable=False),
    Column("external_id", Text, nullable=False),
    Column("actor_id", Uuid, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("sender", "external_id", name="pk_actor_external_ids"),
    Index("ix_actor_external_ids_actor_id", "actor_id"),
)

actor_offers = Table(
    "actor_offers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("actor_id", Uuid, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("type", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("competences", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("keywords", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("valid_until", Date, nullable=True),
    Index("ix_actor_offers_actor_id", "actor_id"),
    Index("ix_actor_offers_type_actor_id", "type", "actor_id"),
    Index(
        "ix_actor_offers_valid_until_actor_id",
        "valid_until",
        "actor_id",
        postgresql_where=text("valid_until IS NOT NULL"),
    ),
)

actor_financials = Table(
    "actor_financials",
    metadata,
    Column("actor_id", Uuid, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("headcount", Numeric(12, 2), nullable=False),
    Column("turnover", Numeric(16, 2), nullable=False),
    Column("balance_sheet", Numeric(16, 2), nullable=False),
    PrimaryKeyConstraint("actor_id", "year", name="pk_actor_financials"),
)

actor_owners = Table(
    "actor_owners",
    metadata,
    Column("actor_id", Uuid, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("owner_actor_id", Uuid, ForeignKey("actors.id"), nullable=False),
    Column("share_percent", Numeric(5, 2), nullable=False),
    Column("controls", Boolean, nullable=False, server_default="false"),
    Column("owner_exempt_investor", Boolean, nullable=False, server_default="false"),
    PrimaryKeyConstraint("actor_id", "owner_actor_id", name="pk_actor_owners"),
    Index("ix_actor_owners_owner_actor_id", "owner_actor_id"),
)

contact_persons = Table(
    "contact_persons",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("actor_id", Uuid, ForeignKey("actors.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("role", Text, nullable=True),
    Column("phone", Text, nullable=True),
    Column("consent_given_at", DateTime(timezone=True), nullable=False),
    Column("share_with_partners", Boolean, nullable=False, server_default="false"),
    Index("ix_contact_persons_actor_id", "actor_id"),
    # A data subject's request finds a person by e-mail across actors (migration 0006).
    Index("ix_contact_persons_email", func.lower(text("email"))),
)
