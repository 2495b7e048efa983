"""The committed OpenAPI documents are the apps', and every operation is fit for a client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from synergia_shared.contracts import OPENAPI_DIR, REGENERATE, load
from synergia_shared.contracts.services import SERVICES
from synergia_shared.http.problems import PROBLEM_JSON

OPEN_PATHS = {"/healthz", "/readyz", "/status", "/metrics"}
# Code lists are public reference data (docs/registry.md, "Code lists").
PUBLIC_PREFIX = "/v1/code-lists"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_openapi_document_is_the_current_one(
    service: str, generated: dict[Path, Any]
) -> None:
    path = OPENAPI_DIR / f"{service}.json"
    assert path.exists(), f"no docs/openapi/{service}.json: run `{REGENERATE}`"
    assert load(path) == generated[path], (
        f"docs/openapi/{service}.json differs from the app: run `{REGENERATE}` and commit it"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_is_documented(service: str, generated: dict[Path, Any]) -> None:
    doc = generated[OPENAPI_DIR / f"{service}.json"]
    problems = []
    seen_ids: set[str] = set()
    for method, path, operation in operations(doc):
        where = f"{method.upper()} {path}"
        operation_id = operation.get("operationId")
        if not operation_id:
            problems.append(f"{where}: no operationId")
        elif operation_id in seen_ids:
            problems.append(f"{where}: operationId {operation_id} is used twice")
        seen_ids.add(operation_id or "")
        if not (operation.get("summary") or operation.get("description")):
            problems.append(f"{where}: neither summary nor description")
        if not operation.get("tags"):
            problems.append(f"{where}: no tags")
        declared = {tag["name"] for tag in doc.get("tags", [])}
        problems += [
            f"{where}: undeclared tag {t}" for t in operation.get("tags", ()) if t not in declared
        ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_but_health_and_metrics_is_secured(
    service: str, generated: dict[Path, Any]
) -> None:
    doc = generated[OPENAPI_DIR / f"{service}.json"]
    schemes = set(doc.get("components", {}).get("securitySchemes", {}))
    problems = []
    for method, path, operation in operations(doc):
        where = f"{method.upper()} {path}"
        if path in OPEN_PATHS or path.startswith(PUBLIC_PREFIX):
            continue
        security = operation.get("security") or doc.get("security")
        if not security:
            problems.append(f"{where}: no security requirement")
            continue
        for requirement in security:
            problems += [f"{where}: unknown scheme {s}" for s in requirement if s not in schemes]
        expected = ["401", "403"]
        if operation.get("parameters") or operation.get("requestBody"):
            expected.append("422")
        for status in expected:
            response = operation["responses"].get(status)
            if response is None:
                problems.append(f"{where}: no {status} response")
            elif PROBLEM_JSON not in response.get("content", {}):
                problems.append(f"{where}: the {status} response is not {PROBLEM_JSON}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("service", SERVICES)
def test_client_errors_are_problem_json(service: str, generated: dict[Path, Any]) -> None:
    doc = generated[OPENAPI_DIR / f"{service}.json"]
    problems = [
        f"{method.upper()} {path} {status}: documented as {sorted(response['content'])}"
        for method, path, operation in operations(doc)
        for status, response in operation["responses"].items()
        if status.startswith("4") and set(response.get("content", {})) - {PROBLEM_JSON}
    ]
    assert not problems, "\n".join(problems)
