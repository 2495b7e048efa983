"""Stripping contact persons from events stored before they left the log; the fetcher's
back-off and its refusal to start in production without its key."""

from __future__ import annotations

import json

import pytest
from synergia_matching.settings import MatchingSettings
from synergia_shared.messaging.contact_redaction import redact, strip_contacts
from synergia_shared.projections.contact_fetcher import ContactFetcher, backoff
from synergia_shared.settings import DEV_SHARED_CONTACTS_KEY


def test_an_old_event_loses_its_contacts_and_keeps_their_number() -> None:
    payload = json.dumps(
        {
            "id": "x",
            "data": {"legal_name": "A", "shared_contacts": [{"name": "Ana", "email": "a@x.eu"}]},
        }
    ).encode()
    stripped = strip_contacts(payload)
    assert stripped is not None
    event, found = stripped
    assert json.loads(event) == {
        "id": "x",
        "data": {"legal_name": "A", "shared_contacts": [], "shared_contacts_count": 1},
    }
    assert found == ["Ana", "a@x.eu"]


@pytest.mark.parametrize(
    "payload",
    [b'{"data":{"shared_contacts":[]}}', b'{"data":{}}', b"\xff not json", b"[1]", b'{"data":1}'],
)
def test_nothing_to_strip_is_left_alone(payload: bytes) -> None:
    assert strip_contacts(payload) is None


def test_redaction_blanks_out_every_value_found() -> None:
    assert redact("bad 'a@x.eu' (Ana)", ["Ana", "a@x.eu"]) == "bad '[erased]' ([erased])"
    assert redact(None, ["Ana"]) is None


def test_the_fetch_backoff_doubles_up_to_its_maximum() -> None:
    assert [backoff(n, 1.0, 60.0) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff(10_000, 1.0, 60.0) == 60


def test_outside_production_the_development_key_is_used() -> None:
    settings = MatchingSettings(database_url="postgresql+asyncpg://x/y")
    assert settings.registry_api_key is not None
    assert settings.registry_api_key.get_secret_value() == DEV_SHARED_CONTACTS_KEY


def test_in_production_the_fetcher_needs_its_key() -> None:
    settings = MatchingSettings(
        database_url="postgresql+asyncpg://x/y", environment="production", auth_jwt_secret="s"
    )
    assert settings.registry_api_key is None, "the migration job reads these settings too"
    with pytest.raises(RuntimeError, match="MATCHING_REGISTRY_API_KEY"):
        ContactFetcher.from_settings(None, None, settings)  # type: ignore[arg-type]
