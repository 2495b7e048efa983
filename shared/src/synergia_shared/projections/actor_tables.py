"""The tables of a projection of the registry's actors (matching's ``actor_profiles``,
funding's ``beneficiaries``): the columns every such projection holds, its lifecycle marks
and its ownership links.

Each service's migrations define its schema; these builders describe the part the two
schemas have in common, on the service's own ``MetaData``, and a service adds its own
columns (matching's search documents) to its projection table.

The projection holds, per actor, the latest full profile snapshot (registered/updated
event); ``source_sequence`` is that snapshot's sequence (the registry's actor version).
The lifecycle marks remember the sequence of the latest deactivation and personal-data
erasure of an actor, also of one not projected yet, so that a snapshot older than them,
arriving late, cannot bring the actor back to life or its contacts back.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.schema import SchemaItem

from synergia_shared.column_types import EMPTY_ARRAY, TextArray
from synergia_shared.projections.contact_fetches import ContactTables

EMPTY_JSON_LIST = text("'[]'::jsonb")


def actor_columns() -> list[Column[Any]]:
    """The columns every actor projection keeps of a snapshot (new objects each call: a
    column belongs to one table). ``actor_lifecycle.snapshot_columns`` writes them."""
    return [
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
        # Contact persons whose consent covers partners: [{name, email, role}]. Personal
        # data.
        Column("shared_contacts", JSONB, nullable=False, server_default=EMPTY_JSON_LIST),
        # The actor version at which the registry read the shared contacts held (fetched
        # by synergia_shared.projections.contact_fetcher, never taken from an event).
        Column("shared_contacts_version", Integer, nullable=True),
    ]


def actor_projection_table(name: str, metadata: MetaData, *own: SchemaItem) -> Table:
    """A service's projection table: the common columns, then the service's ``own``."""
    return Table(name, metadata, *actor_columns(), *own)


def lifecycle_marks_table(metadata: MetaData) -> Table:
    """``actor_lifecycle_marks``: the latest deactivation and erasure seen per actor."""
    return Table(
        "actor_lifecycle_marks",
        metadata,
        Column("actor_id", Uuid, primary_key=True),
        Column("deactivated_at_sequence", Integer, nullable=True),
        Column("contacts_erased_at_sequence", Integer, nullable=True),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def ownership_links_table(metadata: MetaData) -> Table:
    """``ownership_links``: who holds a share of whom, from the snapshots' ``owners``.
    More than 50 % or control links two enterprises: one single undertaking (funding's
    de minimis), one legal entity (matching's consortium rules)."""
    return Table(
        "ownership_links",
        metadata,
        Column("actor_id", Uuid, primary_key=True),
        Column("owner_actor_id", Uuid, primary_key=True),
        Column("share_percent", Numeric(5, 2), nullable=False),
        Column("controls", Boolean, nullable=False, server_default="false"),
    )


@dataclass(frozen=True)
class ActorTables:
    """One service's actor projection: the projection table, its lifecycle marks, its
    pending shared-contact fetches and the ownership links its snapshots state."""

    projection: Table
    marks: Table
    fetches: Table
    owners: Table

    @cached_property
    def contacts(self) -> ContactTables:
        """The tables the shared-contact fetches work on."""
        return ContactTables(self.projection, self.marks, self.fetches)
