"""The one actor projection both matching and funding keep (``synergia_shared.projections``):
the batch rules of ``actor_events``, and the tables ``actor_tables`` builds on each
service's own metadata."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column, MetaData, Text
from synergia_funding.beneficiaries import consumers as funding_consumers
from synergia_funding.beneficiaries import models as funding_models
from synergia_matching.profiles import consumers as matching_consumers
from synergia_matching.profiles import models as matching_models
from synergia_shared.events.envelope import CloudEvent
from synergia_shared.events.registry import ActorKind, ActorRegisteredV1
from synergia_shared.messaging.outbox import build_event
from synergia_shared.projections import actor_events, actor_tables
from synergia_shared.projections.actor_events import ActorSnapshot
from synergia_shared.projections.actor_lifecycle import LifecycleMarks

COMMON = {
    "actor_id",
    "legal_name",
    "short_name",
    "kind",
    "country",
    "registered_at",
    "source_sequence",
    "updated_at",
    "nuts_code",
    "nace_codes",
    "ecosystems",
    "sme_category",
    "active",
    "shared_contacts",
    "shared_contacts_version",
}


def _data(actor_id: uuid.UUID, sequence: int, count: int = 0) -> ActorRegisteredV1:
    return ActorRegisteredV1(
        actor_id=actor_id,
        legal_name="Olive Sensors S.A.",
        kind=ActorKind.SME,
        country="EL",
        registered_at=datetime(2026, 1, 15, tzinfo=UTC),
        version=sequence,
        shared_contacts_count=count,
    )


def _snapshot(actor_id: uuid.UUID, sequence: int, count: int = 0) -> ActorSnapshot:
    data = _data(actor_id, sequence, count)
    event: CloudEvent = build_event(data, subject=str(actor_id), sequence=sequence)
    return ActorSnapshot(sequence, event, data)


def test_only_each_actors_newest_snapshot_of_a_batch_is_applied() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    batch = [_snapshot(a, 1), _snapshot(b, 4), _snapshot(a, 3), _snapshot(a, 2)]
    latest = actor_events.latest_snapshots(batch)
    assert [(s.actor_id, s.sequence) for s in latest] == [(a, 3), (b, 4)]


def test_each_applied_snapshot_says_what_becomes_of_its_shared_contacts() -> None:
    fetching, dropping, erased = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    actions = actor_events.contact_actions(
        [_snapshot(fetching, 2, count=1), _snapshot(dropping, 2), _snapshot(erased, 2, count=1)],
        {erased: LifecycleMarks(contacts_erased_at_sequence=3)},
    )
    assert actions == {
        fetching: (2, "fetch"),
        dropping: (2, "drop"),
        erased: (2, "keep"),  # the later erasure decided, with the actor's own marks
    }


def test_only_a_snapshot_at_sequence_one_is_an_actors_first() -> None:
    first, later = uuid.uuid4(), uuid.uuid4()
    applied = [_snapshot(first, 1), _snapshot(later, 2)]
    assert actor_events.first_snapshots(applied) == {first}
    assert actor_events.first_snapshots([]) == set()


def test_both_services_consume_every_actor_event_type() -> None:
    for consumer in (matching_consumers.actor_projection(), funding_consumers.actor_projection()):
        assert set(consumer.handlers) == set(actor_events.ACTOR_EVENT_TYPES)
        assert consumer.apply_events is not None, "a batch at a time"
    assert set(actor_events.ACTOR_EVENT_TYPES) > actor_events.PROFILE_SNAPSHOTS
    assert matching_consumers.actor_projection().name == "matching.actor-projection"
    assert funding_consumers.actor_projection().name == "funding.beneficiary-projection"


def test_a_projection_table_has_the_common_columns_then_the_services_own() -> None:
    metadata = MetaData()
    table = actor_tables.actor_projection_table(
        "profiles", metadata, Column("motto", Text, nullable=True)
    )
    names = [c.name for c in table.columns]
    assert set(names[:-1]) == COMMON
    assert names[-1] == "motto"
    assert [c.name for c in table.primary_key] == ["actor_id"]
    other = actor_tables.actor_projection_table("others", metadata)
    assert other.c.actor_id is not table.c.actor_id, "each table gets columns of its own"


def test_both_services_projections_share_the_common_columns_alike() -> None:
    for tables in (matching_models.ACTOR_TABLES, funding_models.ACTOR_TABLES):
        assert set(tables.projection.columns.keys()) >= COMMON
        assert tables.marks.name == "actor_lifecycle_marks"
        assert tables.owners.name == "ownership_links"
        assert tables.fetches.name == "shared_contact_fetches"
    matching = matching_models.ACTOR_TABLES.projection
    funding = funding_models.ACTOR_TABLES.projection
    assert set(funding.columns.keys()) == COMMON, "funding keeps nothing of its own"
    assert "offers_document" in matching.columns, "matching adds its search documents"
    for name in COMMON:
        assert repr(matching.c[name].type) == repr(funding.c[name].type), name
        assert matching.c[name].nullable == funding.c[name].nullable, name


def test_the_contact_tables_are_the_projections_own() -> None:
    tables = matching_models.ACTOR_TABLES
    contacts = tables.contacts
    assert (contacts.holders, contacts.marks, contacts.fetches) == (
        tables.projection,
        tables.marks,
        tables.fetches,
    )
    assert matching_models.CONTACT_TABLES is tables.contacts
