"""Every example in the three OpenAPI documents is valid for the schema it illustrates.

What a frontend team copies from /docs must be right: a response example validates
against its response schema, a request example against its body or parameter schema,
an example of a field against that field (JSON Schema 2020-12, OpenAPI 3.1's dialect,
with ``$ref`` resolved in the document). That the requests' examples also succeed
against the running services is tests/integration/test_openapi_examples_work.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from synergia_shared.contracts import OPENAPI_DIR
from synergia_shared.contracts.services import SERVICES

from tests.contract.test_openapi import operations

DOCUMENT_URI = "urn:synergia:openapi"


def validator_for(doc: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of ``schema``, a part of ``doc`` whose ``#/components/...`` refs
    resolve in ``doc``."""
    # The schema is put into the document, so that its refs resolve where they point.
    contents = {**doc, "x-schema-under-test": schema}
    registry: Registry[Any] = Registry().with_resource(
        DOCUMENT_URI, Resource(contents=contents, specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#/x-schema-under-test"},
        registry=registry,
        format_checker=FormatChecker(),
    )


def examples_of(doc: dict[str, Any]) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(where, example, schema) for every example of the document: of schemas (and
    their properties), of parameters, of request and response media types."""
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        yield from _schema_examples(f"components.schemas.{name}", schema)
    for method, path, operation in operations(doc):
        where = f"{method.upper()} {path}"
        for parameter in operation.get("parameters", ()):
            schema = parameter.get("schema", {})
            at = f"{where} {parameter['in']} {parameter['name']}"
            yield from _schema_examples(at, schema)
            for example in _media_examples(parameter):
                yield at, example, schema
        media = {
            f"request {kind}": content
            for kind, content in operation.get("requestBody", {}).get("content", {}).items()
        }
        for status, response in operation.get("responses", {}).items():
            for kind, content in response.get("content", {}).items():
                media[f"{status} {kind}"] = content
        for at, content in media.items():
            schema = content.get("schema", {})
            for example in _media_examples(content):
                yield f"{where} {at}", example, schema


def _media_examples(node: dict[str, Any]) -> list[Any]:
    found = [node["example"]] if "example" in node else []
    found += [e["value"] for e in node.get("examples", {}).values() if "value" in e]
    return found


def _schema_examples(where: str, schema: Any) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    if not isinstance(schema, dict):
        return
    for example in schema.get("examples", ()) if isinstance(schema.get("examples"), list) else ():
        yield where, example, {k: v for k, v in schema.items() if k != "examples"}
    for key in ("properties", "$defs"):
        for name, child in schema.get(key, {}).items():
            yield from _schema_examples(f"{where}.{name}", child)
    for key in ("anyOf", "oneOf", "allOf"):
        for i, child in enumerate(schema.get(key, ())):
            yield from _schema_examples(f"{where}.{key}[{i}]", child)
    if isinstance(schema.get("items"), dict):
        yield from _schema_examples(f"{where}[]", schema["items"])


@pytest.mark.parametrize("service", SERVICES)
def test_every_example_is_valid_for_its_schema(service: str, generated: dict[Path, Any]) -> None:
    doc = generated[OPENAPI_DIR / f"{service}.json"]
    found = list(examples_of(doc))
    assert found, "no examples at all"
    problems = []
    for where, example, schema in found:
        for error in validator_for(doc, schema).iter_errors(example):
            at = "/".join(map(str, error.absolute_path)) or "(root)"
            problems.append(f"{where}: {at}: {error.message[:200]}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("service", SERVICES)
def test_the_shared_problem_responses_show_their_own_example(
    service: str, generated: dict[Path, Any]
) -> None:
    """401, 403 and 503 show a problem of their own status, not a 422's."""
    doc = generated[OPENAPI_DIR / f"{service}.json"]
    problems = []
    for method, path, operation in operations(doc):
        for status in ("401", "403", "503"):
            response = operation["responses"].get(status)
            if response is None:
                continue
            media = response.get("content", {}).get("application/problem+json")
            if media is None:
                continue  # /readyz's 503 is its readiness report
            shown = _media_examples(media)
            if not shown:
                problems.append(f"{method.upper()} {path} {status}: no example")
            problems += [
                f"{method.upper()} {path} {status}: the example is a {e.get('status')}"
                for e in shown
                if e.get("status") != int(status)
            ]
    assert problems == [], "\n".join(problems[:20])
