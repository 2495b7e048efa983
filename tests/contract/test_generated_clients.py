"""Clients generate from the OpenAPI documents as a frontend team generates them: every
operation, typed, without a warning (the round trip through a generated client against
the running registry is tests/integration/test_generated_client.py)."""

from __future__ import annotations

import re
import shutil
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from synergia_shared.contracts import OPENAPI_DIR
from synergia_shared.contracts.services import SERVICES

from tests.contract.test_openapi import operations
from tests.support.generated_clients import (
    NPM_BIN,
    PYTHON_CLIENT_VERSION,
    TYPESCRIPT_DIR,
    generate_python_client,
    import_generated,
    python_client_warnings,
    run,
    unique_package_name,
    write_document,
)

REF = "#/components/schemas/"


def module_name(operation_id: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", operation_id).lower()


def typed_responses(operation: dict[str, Any]) -> set[str]:
    """The schemas the operation's 2xx JSON responses refer to."""
    return {
        media["schema"]["$ref"].removeprefix(REF)
        for status, response in operation["responses"].items()
        if status.startswith("2")
        for media_type, media in response.get("content", {}).items()
        if media_type == "application/json" and "$ref" in media.get("schema", {})
    }


def test_the_template_fix_is_for_the_installed_generator() -> None:
    assert version("openapi-python-client") == PYTHON_CLIENT_VERSION, (
        "clients/openapi-python-client-templates/ holds a fixed copy of a template of "
        f"openapi-python-client {PYTHON_CLIENT_VERSION}: take it again from the version "
        "installed (or drop it if that version fixes issue #1451), then update "
        "PYTHON_CLIENT_VERSION in tests/support/generated_clients.py"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_openapi_python_client_generates_every_operation_typed(
    service: str, generated: dict[Path, Any], tmp_path: Path
) -> None:
    document = generated[OPENAPI_DIR / f"{service}.json"]
    package_dir = tmp_path / unique_package_name(service)

    generation = generate_python_client(
        write_document(document, tmp_path / f"{service}.json"), package_dir
    )

    assert generation.returncode == 0, generation.output
    assert python_client_warnings(generation) == []
    import_generated(package_dir)
    endpoints = {
        module.stem: module.read_text(encoding="utf-8")
        for module in (package_dir / "api").rglob("*.py")
        if module.name != "__init__.py"
    }
    problems = []
    for method, path, operation in operations(document):
        source = endpoints.get(module_name(operation["operationId"]))
        if source is None:
            problems.append(f"{method.upper()} {path}: not generated")
            continue
        problems += [
            f"{method.upper()} {path}: answers an untyped {schema}"
            for schema in typed_responses(operation)
            if f"{schema}.from_dict(" not in source
        ]
    assert not problems, "\n".join(problems)


def test_openapi_typescript_types_pass_tsc_strict(
    generated: dict[Path, Any], tmp_path: Path
) -> None:
    assert (NPM_BIN / "tsc").exists(), "no clients/typescript/node_modules: run `make install`"
    for name in ("usage.ts", "tsconfig.json"):
        shutil.copy(TYPESCRIPT_DIR / name, tmp_path / name)
    for service in SERVICES:
        document = write_document(
            generated[OPENAPI_DIR / f"{service}.json"], tmp_path / f"{service}.json"
        )
        generation = run(NPM_BIN / "openapi-typescript", document, "-o", tmp_path / f"{service}.ts")
        assert generation.returncode == 0, generation.output
        # A clean run says only its name and the file it wrote.
        said = [
            line
            for line in generation.output.splitlines()
            if line.strip() and not line.startswith(("✨ openapi-typescript", "🚀 "))
        ]
        assert said == [], f"{service}: {said}"

    check = run(NPM_BIN / "tsc", "--strict", "--noEmit", "-p", tmp_path / "tsconfig.json")

    assert check.returncode == 0, check.output
    assert check.output == ""
