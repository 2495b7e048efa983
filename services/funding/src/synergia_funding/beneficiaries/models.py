"""The beneficiaries projection and the lifecycle marks that guard it.

``beneficiaries`` holds, per actor, what a beneficiary view needs from the latest full
profile snapshot (registered/updated event); ``source_sequence`` is that snapshot's
sequence (the registry's actor version). ``actor_lifecycle_marks`` remembers the sequence
of the latest deactivation and personal-data erasure of an actor, also of one not
projected yet, so that a snapshot older than them, arriving late, cannot bring the actor
back to life or its contacts back.
"""

from __future__ import annotations

from sqlalchemy import ARRAY, Boolean, Column, DateTime, Integer, Table, Text, Uuid, func, text
from sqlalchemy.dialects.postgresql import JSONB
from synergia_shared.projections.contact_fetches import ContactTables, contact_fetches_table

from synergia_funding.db import metadata

TextArray = ARRAY(Text)
EMPTY_ARRAY = text("'{}'::text[]")
EMPTY_JSON_LIST = text("'[]'::jsonb")

beneficiaries = Table(
    "beneficiaries",
    metadata,
    Column("actor_id", Uuid, primary_key=True),
    Column("legal_name", Text, nullable=False),
    Column("short_name", Text, nullable=True),
    Column("kind", Text, nullable=False),
    Column("country", Text, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("source_sequence", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("nuts_code", Text, nullable=True),
    Column("nace_codes", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("ecosystems", TextArray, nullable=False, server_default=EMPTY_ARRAY),
    Column("sme_category", Text, nullable=True),
    Column("active", Boolean, nullable=False, server_default="true"),
    # Contact persons whose consent covers partners: [{name, email, role}]. Personal data.
    Column("shared_contacts", JSONB, nullable=False, server_default=EMPTY_JSON_LIST),
    # The actor version at which the registry read the shared contacts held (fetched by
    # synergia_shared.projections.contact_fetcher, never taken from an event).
    Column("shared_contacts_version", Integer, nullable=True),
)

actor_lifecycle_marks = Table(
    "actor_lifecycle_marks",
    metadata,
    Column("actor_id", Uuid, primary_key=True),
    Column("deactivated_at_sequence", Integer, nullable=True),
    Column("contacts_erased_at_sequence", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Actors whose shared contacts are to be fetched from the registry.
shared_contact_fetches = contact_fetches_table(metadata)

CONTACT_TABLES = ContactTables(beneficiaries, actor_lifecycle_marks, shared_contact_fetches)
