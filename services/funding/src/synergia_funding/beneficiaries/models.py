"""The beneficiaries projection and the lifecycle marks that guard it.

``beneficiaries`` holds, per actor, what a beneficiary view needs from the latest full
profile snapshot: the columns every actor projection keeps
(``synergia_shared.projections.actor_tables``), nothing of its own. Its lifecycle marks
and shared-contact fetches are the shared ones; its ownership links are the ledger's
(``ledger.tables``: the single undertaking of the de minimis rule follows them).
"""

from __future__ import annotations

from synergia_shared.projections.actor_tables import (
    ActorTables,
    actor_projection_table,
    lifecycle_marks_table,
)
from synergia_shared.projections.contact_fetches import contact_fetches_table

from synergia_funding.db import metadata
from synergia_funding.ledger.models import ownership_links

beneficiaries = actor_projection_table("beneficiaries", metadata)

actor_lifecycle_marks = lifecycle_marks_table(metadata)

# Actors whose shared contacts are to be fetched from the registry.
shared_contact_fetches = contact_fetches_table(metadata)

ACTOR_TABLES = ActorTables(
    beneficiaries, actor_lifecycle_marks, shared_contact_fetches, ownership_links
)
CONTACT_TABLES = ACTOR_TABLES.contacts
