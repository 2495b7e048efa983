"""The registered event a bulk registration writes (``registered_data``, plain data) is
the one a single registration builds through the actor view and the event model."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic_core import to_json
from synergia_registry.actors import service, views
from synergia_registry.actors.names import name_key
from synergia_registry.actors.rules import normalise_profile
from synergia_registry.actors.schemas import ProfileFields
from synergia_shared.events.registry import ActorRegisteredV1

REGISTERED_AT = datetime(2026, 12, 7, 3, 30, 15, 123456, tzinfo=UTC)


def _row(profile: ProfileFields) -> dict[str, Any]:
    """The row register_many writes, with the defaults the database fills in."""
    return {
        "id": uuid.uuid4(),
        **service._columns(profile),
        **service._lone_sme(profile),
        "created_at": REGISTERED_AT,
        "updated_at": REGISTERED_AT,
        "version": 1,
        "active": True,
        "deactivated_at": None,
    }


@pytest.mark.parametrize(
    "fields",
    [
        {"legal_name": "Агро Струма ЕООД", "kind": "other", "country": "BG"},  # noqa: RUF001
        {
            "legal_name": "Olympic Agri-Food Cluster",
            "short_name": "OAFC",
            "kind": "cluster_organisation",
            "country": "GR",
            "pic": "999912345",
            "vat_number": "EL094014201",
            "website": "https://oafc.gr",
            "description": "Olive oil and feta",
            "nuts_code": "EL30",
            "nuts_version": "2021",
            "nace_codes": ["M70.22"],
            "nace_revision": "2",
            "ecosystems": ["agri_food"],
            "competences": ["food_processing"],
            "keywords": ["olive oil", "traceability"],
            "sme_declared": "small",
        },
        {
            "legal_name": "Pirin Wood",
            "kind": "sme",
            "country": "BG",
            "national_id": "175074752",
            "nuts_code": "BG413",
        },
    ],
)
def test_registered_data_is_the_event_the_view_makes(fields: dict[str, Any]) -> None:
    profile = normalise_profile(ProfileFields.model_validate(fields), uuid.UUID(int=0))
    row = _row(profile)
    view = views.to_view({**row, **service.NO_CHILDREN}, show_contacts=True)
    expected = ActorRegisteredV1(**service._snapshot(view)).model_dump(mode="json")

    written = json.loads(to_json(service.registered_data(row)))

    assert written == expected
    assert ActorRegisteredV1.model_validate(written).model_dump(mode="json") == expected


def test_identity_columns_are_the_row_of_a_profile_with_only_those_fields() -> None:
    fields: dict[str, Any] = {
        "legal_name": "Pirin Wood OOD",
        "short_name": "Pirin",
        "kind": "other",
        "country": "BG",
        "pic": "999912345",
        "vat_number": "BG175074752",
        "national_id": "175074752",
        "website": "https://pirin.example",
        "nuts_code": "BG413",
        "nuts_version": "2021",
    }
    profile = normalise_profile(ProfileFields.model_validate(fields), uuid.UUID(int=0))

    columns = service.identity_columns(
        **{name: getattr(profile, name) for name in fields if name != "kind"},
        kind=profile.kind.value,
        national_id_scheme=profile.national_id_scheme,
        key=name_key(profile.legal_name),
    )

    assert columns == service.lone_columns(profile)
