"""The merged OpenAPI document: valid OpenAPI 3.1, every operation of the three services
under the ingress's prefixes, unique operationIds, and a merge that refuses to hide a
clash of two different schemas under one name."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.versions import consts, get_spec_version
from synergia_shared.contracts import MERGED_OPENAPI_FILE, OPENAPI_DIR, REGENERATE, ROOT, load
from synergia_shared.contracts.merged import INGRESS_PREFIXES, ContractClash, merge_openapi
from synergia_shared.contracts.services import SERVICES

from tests.contract.test_openapi import operations


@pytest.fixture(scope="module")
def merged(generated: dict[Path, Any]) -> dict[str, Any]:
    return generated[MERGED_OPENAPI_FILE]


def service_docs(generated: dict[Path, Any]) -> dict[str, dict[str, Any]]:
    return {service: generated[OPENAPI_DIR / f"{service}.json"] for service in SERVICES}


def test_the_committed_merged_document_is_the_current_one(merged: dict[str, Any]) -> None:
    assert MERGED_OPENAPI_FILE.exists(), f"no {MERGED_OPENAPI_FILE.name}: run `{REGENERATE}`"
    assert load(MERGED_OPENAPI_FILE) == merged, f"out of date: run `{REGENERATE}`"


def test_it_is_valid_openapi_3_1(merged: dict[str, Any]) -> None:
    assert get_spec_version(merged) == consts.OPENAPIV31
    validate(merged)


def test_it_has_every_operation_of_the_three_under_its_ingress_prefix(
    generated: dict[Path, Any], merged: dict[str, Any]
) -> None:
    found = {(method, path) for method, path, _ in operations(merged)}
    expected = {
        (method, f"{INGRESS_PREFIXES[service]}{path}")
        for service, doc in service_docs(generated).items()
        for method, path, _ in operations(doc)
    }
    assert len(expected) > 50
    assert found == expected


def test_operation_ids_are_unique_and_kept_where_they_were_unique(
    generated: dict[Path, Any], merged: dict[str, Any]
) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(merged)]
    assert len(ids) == len(set(ids))
    by_path = {
        (method, path): operation["operationId"] for method, path, operation in operations(merged)
    }
    assert by_path["post", "/registry/v1/actors"] == "registerActor"
    assert by_path["get", "/funding/v1/admin/dead-letters"] == "fundingListDeadLetters"
    assert by_path["get", "/matching/healthz"] == "matchingHealthz"


def test_every_reference_resolves_and_tags_are_declared(merged: dict[str, Any]) -> None:
    text = yaml.safe_dump(merged)
    for kind, components in merged["components"].items():
        for name in components:
            assert f"#/components/{kind}/{name}" in text or kind == "securitySchemes"
    declared = {tag["name"] for tag in merged["tags"]}
    used = {tag for _, _, operation in operations(merged) for tag in operation.get("tags", [])}
    assert used <= declared
    # "regions" means name resolution in the registry, S3 priorities in matching.
    assert {"registry-regions", "matching-regions", "actors", "admin"} <= declared


def test_the_prefixes_are_the_ingress_paths() -> None:
    ingress = yaml.safe_load((ROOT / "deploy/k8s/overlays/prod/ingress.yaml").read_text())
    paths = {
        path["path"]: path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert {f"{prefix}(/|$)(.*)": service for service, prefix in INGRESS_PREFIXES.items()} == paths


def test_identical_components_are_shared_and_different_ones_refused(
    generated: dict[Path, Any],
) -> None:
    docs = copy.deepcopy(service_docs(generated))
    assert (
        docs["registry"]["components"]["schemas"]["Problem"]
        == (docs["funding"]["components"]["schemas"]["Problem"])
    )
    assert "Problem" in merge_openapi(docs)["components"]["schemas"]
    docs["funding"]["components"]["schemas"]["Problem"]["properties"]["extra"] = {"type": "string"}
    with pytest.raises(ContractClash) as caught:
        merge_openapi(docs)
    assert caught.value.clashes == [
        "components/schemas/Problem differs between registry and funding"
    ]
