"""The reference data's tables (migrations 0004, 0008): funding sources and ESIF programme
lines."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from synergia_shared.column_types import EMPTY_ARRAY, MONEY, TextArray

from synergia_funding.db import metadata

RATE = Numeric(7, 6)

funding_sources = Table(
    "funding_sources",
    metadata,
    Column("id", Uuid, primary_key=True),
    # Identifiers, ordered bytewise (collation C): the list's keyset order is the same
    # whatever the database's locale.
    Column("kind", Text(collation="C"), nullable=False),
    # The natural code, unique within the kind (see service.natural_code).
    Column("code", Text(collation="C"), nullable=False),
    Column("name", Text, nullable=False),
    # The NUTS codes it is declared for; nuts_closure adds their enclosing regions and the
    # country, for region queries in both directions.
    Column("regions", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("nuts_closure", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("country", Text, nullable=True),  # EU form (EL, UK); None for a TC programme
    # FSTP calls only: the value chain that runs the call, and its caps.
    Column("project_id", Uuid, nullable=True),
    Column("per_third_party_cap", MONEY, nullable=True),
    Column("per_project_cap", MONEY, nullable=True),
    Column("call_budget", MONEY, nullable=True),
    # ESIF programmes loaded from the open data: the programme version (``Ver``) held, so
    # that a newer one replaces the plan and an older one is refused (migration 0008).
    Column("programme_version", Integer, nullable=True),
    # The validated request (an ESIF programme's lines are in esif_programme_lines).
    Column("definition", JSONB, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("kind", "code", name="uq_funding_sources_kind"),
    CheckConstraint(
        "(kind = 'fstp_call') = (project_id IS NOT NULL AND per_third_party_cap IS NOT NULL)",
        name="fstp_columns",
    ),
    Index(
        "ix_funding_sources_project_id",
        "project_id",
        postgresql_where=text("project_id IS NOT NULL"),
    ),
    Index("ix_funding_sources_nuts_closure", "nuts_closure", postgresql_using="gin"),
    Index("ix_funding_sources_regions", "regions", postgresql_using="gin"),
)

esif_programme_lines = Table(
    "esif_programme_lines",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column(
        "source_id",
        Uuid,
        ForeignKey("funding_sources.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("fund", Text, nullable=False),
    # None: no priority axis (EMFF lines, EAFRD technical assistance M20...).
    Column("priority_axis", Text, nullable=True),
    Column("thematic_objective", Text, nullable=True),
    Column("category_of_region", Text, nullable=True),
    # The EAFRD's breakdown of a priority by measure and focus area (None for other funds).
    Column("eafrd_measure", Text, nullable=True),
    Column("eafrd_focus_area", Text, nullable=True),
    Column("eu_amount", MONEY, nullable=False),
    Column("national_amount", MONEY, nullable=False),
    Column("total_amount", MONEY, nullable=False),
    Column("stated_rate", RATE, nullable=True),
    Column("flags", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint(
        "source_id",
        "fund",
        "priority_axis",
        "thematic_objective",
        "category_of_region",
        "eafrd_measure",
        "eafrd_focus_area",
        name="uq_esif_programme_lines_key",
        postgresql_nulls_not_distinct=True,
    ),
    Index("ix_esif_programme_lines_fund", "fund"),
)

# The columns that identify a line within its programme (ON CONFLICT target).
LINE_KEY = (
    "source_id",
    "fund",
    "priority_axis",
    "thematic_objective",
    "category_of_region",
    "eafrd_measure",
    "eafrd_focus_area",
)
# The columns a line's content is compared on: a re-import that matches them changes nothing.
LINE_CONTENT = ("eu_amount", "national_amount", "total_amount", "stated_rate", "flags")
