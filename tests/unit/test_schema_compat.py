"""Each kind of breaking change between two event schemas is found; compatible ones are not."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from synergia_shared.events.compat import breaking_changes


class Kind(StrEnum):
    SME = "sme"
    UNIVERSITY = "university"


class FewerKinds(StrEnum):
    SME = "sme"


class MoreKinds(StrEnum):
    SME = "sme"
    UNIVERSITY = "university"
    INVESTOR = "investor"


class Address(BaseModel):
    city: str
    postcode: str


class Base(BaseModel):
    actor_id: uuid.UUID
    legal_name: str
    short_name: str | None = None
    kind: Kind
    registered_at: datetime
    addresses: list[Address] = []


def schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def changes_to(model: type[BaseModel]) -> list[str]:
    return breaking_changes(schema(Base), schema(model))


def test_the_same_schema_is_compatible() -> None:
    assert breaking_changes(schema(Base), schema(Base)) == []


def test_a_new_optional_field_is_compatible() -> None:
    class WithOptional(Base):
        website: str | None = None
        employees: int = 0

    assert changes_to(WithOptional) == []


def test_new_enum_values_and_new_descriptions_are_compatible() -> None:
    class Relaxed(Base):
        kind: MoreKinds  # type: ignore[assignment]
        legal_name: str = Field(description="The registered legal name.", min_length=1)

    assert changes_to(Relaxed) == []


def test_a_removed_field_is_breaking() -> None:
    class WithoutShortName(BaseModel):
        actor_id: uuid.UUID
        legal_name: str
        kind: Kind
        registered_at: datetime
        addresses: list[Address] = []

    assert changes_to(WithoutShortName) == ["short_name: field removed"]


def test_a_retyped_field_is_breaking() -> None:
    class Retyped(Base):
        legal_name: int  # type: ignore[assignment]

    assert changes_to(Retyped) == ["legal_name: type changed from string to integer"]


def test_a_changed_format_is_breaking() -> None:
    class PlainId(Base):
        actor_id: str  # type: ignore[assignment]

    assert changes_to(PlainId) == ["actor_id: type changed from string(uuid) to string"]


def test_a_field_that_becomes_nullable_is_breaking() -> None:
    class Nullable(Base):
        legal_name: str | None  # type: ignore[assignment]

    assert changes_to(Nullable) == ["legal_name: type changed from string to null | string"]


def test_removed_enum_values_are_breaking() -> None:
    class Narrowed(Base):
        kind: FewerKinds  # type: ignore[assignment]

    assert changes_to(Narrowed) == ["kind: enum values removed: ['university']"]


def test_a_free_string_that_becomes_an_enum_is_breaking() -> None:
    class Restricted(Base):
        legal_name: Kind  # type: ignore[assignment]

    assert changes_to(Restricted) == [
        "legal_name: now restricted to the values ['sme', 'university']"
    ]


def test_a_new_required_field_is_breaking() -> None:
    class WithRequired(Base):
        website: str

    assert changes_to(WithRequired) == ["website: new required field"]


def test_an_optional_field_that_becomes_required_is_breaking() -> None:
    class Required(Base):
        short_name: str | None  # type: ignore[assignment]

    assert changes_to(Required) == ["short_name: optional field became required"]


def test_changes_inside_nested_objects_and_arrays_are_found() -> None:
    class OtherAddress(BaseModel):
        city: int
        country: str

    class Nested(Base):
        addresses: list[OtherAddress] = []  # type: ignore[assignment]

    assert changes_to(Nested) == [
        "addresses[].city: type changed from string to integer",
        "addresses[].postcode: field removed",
        "addresses[].country: new required field",
    ]


def test_several_changes_are_all_reported() -> None:
    old = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}
    new = {
        "type": "object",
        "properties": {"b": {"type": "string"}, "c": {"type": "boolean"}},
        "required": ["c"],
    }
    assert breaking_changes(old, new) == [
        "a: field removed",
        "b: type changed from integer to string",
        "c: new required field",
    ]
