"""The row matching's actor projection makes of a profile snapshot (``profiles.rules``):
the consumer upserts it and the benchmarks COPY it, so it must be the whole row."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from synergia_matching.profiles import rules
from synergia_matching.profiles.models import actor_profiles
from synergia_shared.events.registry import (
    ActorKind,
    ActorRegisteredV1,
    OfferNeedV1,
    OwnerV1,
    SharedContactV1,
)
from synergia_shared.projections import actor_lifecycle as lifecycle
from synergia_shared.projections.actor_lifecycle import NO_MARKS, LifecycleMarks

OWNER = uuid.uuid4()


def snapshot() -> ActorRegisteredV1:
    return ActorRegisteredV1(
        actor_id=uuid.uuid4(),
        legal_name="Ceramica Circolare Srl",
        kind=ActorKind.SME,
        country="IT",
        registered_at=datetime(2024, 5, 2, 9, 30, tzinfo=UTC),
        competences=["materials_recycling"],
        keywords=["ceramics"],
        offers=[
            OfferNeedV1(
                id=uuid.uuid4(),
                type="technology_offer",
                title="Recycled ceramic powders",
                competences=["advanced_materials", "materials_recycling"],
            )
        ],
        needs=[OfferNeedV1(id=uuid.uuid4(), type="rd_request", title="Kiln heat recovery")],
        owners=[OwnerV1(owner_actor_id=OWNER, share_percent=Decimal("60"), controls=True)],
        shared_contacts=[SharedContactV1(name="Anna Neri", email="anna@example.org")],
        sme_category="small",
        version=3,
    )


def test_the_row_fills_every_column_the_projection_writes() -> None:
    fetched = {"updated_at", "shared_contacts", "shared_contacts_version"}  # not from events
    written = {c.name for c in actor_profiles.columns if c.computed is None} - fetched
    assert set(rules.profile_row(snapshot(), 3, NO_MARKS)) == written


def test_the_row_carries_the_snapshot_and_what_it_offers_and_needs() -> None:
    data = snapshot()
    row = rules.profile_row(data, 3, NO_MARKS)

    assert row["actor_id"] == data.actor_id
    assert row["source_sequence"] == 3
    assert row["kind"] == "sme"
    assert row["active"] is True
    assert "shared_contacts" not in row, "contacts are fetched from the registry, not events"
    assert [o["title"] for o in json.loads(json.dumps(row["offers"]))] == [
        "Recycled ceramic powders"
    ]
    assert "Recycled ceramic powders" in row["offers_text"]
    assert "Advanced materials" in row["offers_text"], "competence labels, not codes"
    assert row["needs_text"] == "Kiln heat recovery"
    assert row["offered_competences"] == ["materials_recycling", "advanced_materials"]


def test_a_snapshot_older_than_a_deactivation_stays_inactive() -> None:
    marks = LifecycleMarks(deactivated_at_sequence=4, contacts_erased_at_sequence=4)

    older = rules.profile_row(snapshot(), 3, marks)
    newer = rules.profile_row(snapshot(), 5, marks)

    assert older["active"] is False
    assert newer["active"] is True


def test_the_owners_become_ownership_links() -> None:
    assert lifecycle.owner_links(snapshot()) == [
        {"owner_actor_id": OWNER, "share_percent": Decimal("60"), "controls": True}
    ]
