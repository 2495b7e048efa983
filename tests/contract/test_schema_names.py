"""Schema names are what generated clients call their types: readable, one per meaning,
the same from one release to the next."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from synergia_shared.contracts import OPENAPI_DIR
from synergia_shared.contracts.services import SERVICES

# Pydantic's names for a model split by mode, and for two classes of one name.
UNREADABLE = ("-Input", "-Output", "__", ".")
TYPE_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")


def schemas(generated: dict[Path, Any], service: str) -> dict[str, Any]:
    document = generated[OPENAPI_DIR / f"{service}.json"]
    found: dict[str, Any] = document["components"]["schemas"]
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_schema_names_are_type_names(service: str, generated: dict[Path, Any]) -> None:
    bad = [
        name
        for name in schemas(generated, service)
        if any(part in name for part in UNREADABLE)
        or name.startswith("synergia")
        or not TYPE_NAME.fullmatch(name)
    ]
    assert not bad, f"unreadable schema names in {service}: {bad}"


@pytest.mark.parametrize("service", SERVICES)
def test_each_schema_has_a_name_of_its_own(service: str, generated: dict[Path, Any]) -> None:
    """Generators name a type after the schema's title when it has one, else its key, and
    some fold case: all three must tell the schemas apart, and agree."""
    found = schemas(generated, service)
    titled_otherwise = {
        name: schema["title"] for name, schema in found.items() if schema.get("title", name) != name
    }
    assert not titled_otherwise, f"titles that are not the schema's name: {titled_otherwise}"
    folded: dict[str, list[str]] = {}
    for name in found:
        folded.setdefault(name.lower(), []).append(name)
    assert not [names for names in folded.values() if len(names) > 1]


def test_the_clashing_names_of_before_are_told_apart(generated: dict[Path, Any]) -> None:
    registry = schemas(generated, "registry")
    assert registry["ClusterCriterion"]["enum"] == [
        "management_fte",
        "committed_members",
        "member_types",
    ]
    assert registry["ValueChainCriterion"]["enum"] == [
        "independent_legal_entities",
        "sme_budget_share",
        "cross_sectoral",
    ]
    # What the API returns keeps the model's name; what it accepts is <Model>Input.
    assert registry["Owner"]["properties"]["share_percent"]["type"] == "string"
    assert "anyOf" in registry["OwnerInput"]["properties"]["share_percent"]
    assert {"YearFigures", "YearFiguresInput"} <= set(registry)
    assert "EsifFund" in schemas(generated, "funding")
