"""The rules of offer and need expiry, on their own: when an entry has expired (UTC days),
what the registry refuses, what its sweep announces, and what matching counts."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from synergia_matching.profiles import rules as projection
from synergia_registry.actors.rules import past_validity_errors
from synergia_registry.actors.schemas import (
    Actor,
    OfferNeed,
    OfferNeedIn,
    OfferType,
    ProfileFields,
    SmeSummary,
)
from synergia_registry.actors.service import newly_expired
from synergia_shared.events.registry import ActorKind, ActorRegisteredV1, OfferNeedV1
from synergia_shared.projections.actor_lifecycle import NO_MARKS
from synergia_shared.validity import is_expired, utc_today

TODAY = date(2026, 12, 7)


def test_an_entry_counts_through_its_last_day_and_expires_the_day_after() -> None:
    assert not is_expired(None, TODAY)
    assert not is_expired(date(2026, 12, 8), TODAY)
    assert not is_expired(TODAY, TODAY), "valid until today holds all day"
    assert is_expired(date(2026, 12, 6), TODAY)
    assert is_expired(date(2020, 6, 30), TODAY)


@pytest.fixture
def far_east() -> Iterator[None]:
    """The host's clock at UTC+14 (Kiribati), where the local date runs ahead of UTC's
    for most of the day."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Kiritimati"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_today_is_the_utc_day_whatever_the_hosts_time_zone(far_east: None) -> None:
    assert utc_today() == datetime.now(UTC).date()
    assert time.localtime().tm_gmtoff == 14 * 3600, "the host is at UTC+14"


def item(title: str, valid_until: str | None, kind: OfferType = OfferType.TECHNOLOGY_OFFER) -> Any:
    return OfferNeedIn(type=kind, title=title, valid_until=valid_until)  # type: ignore[arg-type]


def profile(offers: list[OfferNeedIn], needs: list[OfferNeedIn] = []) -> ProfileFields:  # noqa: B006
    return ProfileFields(
        legal_name="Test Oy", kind=ActorKind.SME, country="FI", offers=offers, needs=needs
    )


def test_a_past_date_is_refused_naming_the_entry() -> None:
    errors = past_validity_errors(
        profile(
            [item("current", "2026-12-07"), item("old", "2020-06-30")],
            [item("old need", "2026-12-06", OfferType.RD_REQUEST)],
        ),
        TODAY,
    )
    assert [e.loc for e in errors] == [
        ("offers", 1, "valid_until"),
        ("needs", 0, "valid_until"),
    ]
    assert "2020-06-30" in errors[0].msg
    assert "UTC" in errors[0].msg


def test_a_stored_expired_entry_sent_back_unchanged_is_kept_but_not_an_edited_one() -> None:
    stored = item("old", "2020-06-30")
    assert past_validity_errors(profile([stored, item("new", None)]), TODAY, [stored]) == []
    edited = item("old, edited", "2020-06-30")
    errors = past_validity_errors(profile([edited]), TODAY, [stored])
    assert [e.loc for e in errors] == [("offers", 0, "valid_until")]


def view(offers: list[OfferNeed], needs: list[OfferNeed]) -> Actor:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    return Actor(
        id=uuid.uuid4(),
        legal_name="Test Oy",
        short_name=None,
        kind=ActorKind.SME,
        country="FI",
        country_name="Finland",
        country_standing="member_state",  # type: ignore[arg-type]
        country_standing_horizon_europe="member_state",  # type: ignore[arg-type]
        offers=offers,
        needs=needs,
        sme=SmeSummary(declared=None, computed=None, contradicts_declared=False, autonomy=None),
        version=1,
        created_at=now,
        updated_at=now,
    )


def stored(title: str, valid_until: str | None, kind: OfferType) -> OfferNeed:
    return OfferNeed(id=uuid.uuid4(), type=kind, title=title, valid_until=valid_until)  # type: ignore[arg-type]


def test_the_sweep_announces_what_expired_since_the_last_announcement() -> None:
    actor = view(
        [
            stored("long gone", "2020-06-30", OfferType.TECHNOLOGY_OFFER),
            stored("yesterday's", "2026-12-06", OfferType.BUSINESS_OFFER),
            stored("today's", "2026-12-07", OfferType.TECHNOLOGY_OFFER),
            stored("open", None, OfferType.TECHNOLOGY_OFFER),
        ],
        [stored("need of last week", "2026-11-30", OfferType.RD_REQUEST)],
    )
    first = newly_expired(actor, None, TODAY)
    assert [(e.kind, e.title) for e in first] == [
        ("offer", "long gone"),
        ("offer", "yesterday's"),
        ("need", "need of last week"),
    ]
    since_last_week = newly_expired(actor, date(2026, 12, 1), TODAY)
    assert [e.title for e in since_last_week] == ["yesterday's"]
    assert [e.title for e in newly_expired(actor, TODAY, TODAY)] == []


def snapshot() -> ActorRegisteredV1:
    def entry(title: str, kind: str, valid_until: str | None, competence: str) -> OfferNeedV1:
        return OfferNeedV1(
            id=uuid.uuid4(),
            type=kind,
            title=title,
            competences=[competence],
            keywords=[title.split()[0].lower()],
            valid_until=date.fromisoformat(valid_until) if valid_until else None,
        )

    return ActorRegisteredV1(
        actor_id=uuid.uuid4(),
        legal_name="Mixed Validity Oy",
        kind=ActorKind.SME,
        country="FI",
        registered_at=datetime(2024, 5, 2, tzinfo=UTC),
        offers=[
            entry("Pyrolysis of tyres", "technology_offer", "2020-06-30", "materials_recycling"),
            entry("Cathode materials", "technology_offer", "2026-12-07", "advanced_materials"),
        ],
        needs=[
            entry("Spectroscopy partner", "rd_request", "2026-12-06", "photonics"),
            entry("Logistics partner", "business_request", None, "logistics"),
        ],
    )


def test_matching_counts_only_current_entries_but_keeps_all_for_the_profile_view() -> None:
    row = projection.profile_row(snapshot(), 1, NO_MARKS, TODAY)
    assert "Cathode" in row["offers_text"]
    assert "Pyrolysis" not in row["offers_text"]
    assert "tyres" not in row["offers_text"]
    assert row["offered_competences"] == ["advanced_materials"]
    assert "Logistics" in row["needs_text"]
    assert "Spectroscopy" not in row["needs_text"]
    assert [o["title"] for o in row["offers"]] == ["Pyrolysis of tyres", "Cathode materials"]
    assert len(row["needs"]) == 2

    # The day after, today's offer has gone too.
    later = projection.profile_row(snapshot(), 1, NO_MARKS, date(2026, 12, 8))
    assert later["offered_competences"] == []
    assert "Cathode" not in later["offers_text"]


def test_stored_entries_are_filtered_like_the_events() -> None:
    entries = [o.model_dump(mode="json") for o in snapshot().offers + snapshot().needs]
    current = projection.current_stored(entries, TODAY)
    assert [e["title"] for e in current] == ["Cathode materials", "Logistics partner"]
