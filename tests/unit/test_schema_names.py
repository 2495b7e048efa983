from __future__ import annotations

from typing import Any

import pytest
from synergia_shared.http.schema_names import readable_names, rename_schemas


def document(schemas: dict[str, Any], ref: str) -> dict[str, Any]:
    body = {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}
    return {"paths": {"/x": {"post": {"requestBody": body}}}, "components": {"schemas": schemas}}


def test_the_response_side_keeps_the_name_and_the_request_side_is_input() -> None:
    schemas = {
        "Actor": {
            "title": "Actor",
            "properties": {"owner": {"$ref": "#/components/schemas/Owner-Output"}},
        },
        "Owner-Input": {"title": "Owner", "type": "object"},
        "Owner-Output": {"title": "Owner", "type": "object"},
    }
    renamed = rename_schemas(document(schemas, "Owner-Input"))

    assert list(renamed["components"]["schemas"]) == ["Actor", "OwnerInput", "Owner"]
    assert renamed["components"]["schemas"]["OwnerInput"]["title"] == "OwnerInput"
    assert renamed["components"]["schemas"]["Owner"]["title"] == "Owner"
    actor = renamed["components"]["schemas"]["Actor"]
    assert actor["properties"]["owner"] == {"$ref": "#/components/schemas/Owner"}
    body = renamed["paths"]["/x"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/OwnerInput"}


def test_a_document_without_split_schemas_is_left_as_it_is() -> None:
    original = document({"Actor": {"title": "Actor"}}, "Actor")
    assert rename_schemas(original) is original


def test_a_rename_onto_an_existing_schema_is_refused() -> None:
    schemas = {"OwnerInput": {}, "Owner-Input": {}, "Owner-Output": {}}
    with pytest.raises(ValueError, match="OwnerInput"):
        readable_names(schemas)
