"""The three OpenAPI documents follow one style, and declare what the servers enforce.

Style: tags in kebab-case, one pagination field (``next_cursor``), ``servers`` and a
licence declared, problem titles in words. Enforcement: every operation whose handler
takes ``If-Match`` declares it required and documents the 412 and 428 it answers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from synergia_shared.contracts import OPENAPI_DIR
from synergia_shared.contracts.services import SERVICES, create_app

from tests.contract.test_openapi import operations

TAG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PAGE_CURSOR = "next_cursor"
# Other names a page's cursor has gone by: none may come back.
OTHER_CURSOR_NAMES = {"next", "next_page", "nextCursor", "next_token", "cursor_next"}
PLAIN_TITLE = re.compile(r"^[A-Z][A-Za-z0-9 ,'()-]*$")
# The writes that need If-Match (optimistic concurrency): a new one joins this list.
IF_MATCH_OPERATIONS = {
    "registry": {
        "updateActor",
        "deactivateActor",
        "updateClusterProfile",
        "replaceValueChain",
        "changeValueChainStatus",
    },
    "matching": {"setS3Priorities"},
    "funding": {"replaceFundingSource"},
}


def _doc(service: str, generated: dict[Path, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = generated[OPENAPI_DIR / f"{service}.json"]
    return doc


def _walk(node: Any, path: tuple[str, ...] = ()) -> Any:
    yield path, node
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _walk(child, (*path, str(key)))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _walk(child, (*path, str(i)))


@pytest.mark.parametrize("service", SERVICES)
def test_tags_are_kebab_case(service: str, generated: dict[Path, Any]) -> None:
    doc = _doc(service, generated)
    names = [t["name"] for t in doc["tags"]] + [
        t for _, _, op in operations(doc) for t in op.get("tags", ())
    ]
    assert [n for n in names if not TAG.fullmatch(n)] == []


@pytest.mark.parametrize("service", SERVICES)
def test_every_page_names_its_cursor_next_cursor(service: str, generated: dict[Path, Any]) -> None:
    schemas = _doc(service, generated)["components"]["schemas"]
    problems = []
    for name, schema in schemas.items():
        properties = schema.get("properties", {})
        problems += [f"{name}.{p}" for p in properties if p in OTHER_CURSOR_NAMES]
        is_page = "items" in properties and properties["items"].get("type") == "array"
        if is_page and PAGE_CURSOR not in properties and name.endswith("Page"):
            problems.append(f"{name}: a page without {PAGE_CURSOR}")
    assert problems == []


@pytest.mark.parametrize("service", SERVICES)
def test_servers_and_licence_are_declared(service: str, generated: dict[Path, Any]) -> None:
    doc = _doc(service, generated)
    assert doc.get("servers"), "no servers"
    assert all(server.get("url") for server in doc["servers"])
    licence = doc["info"].get("license") or {}
    assert licence.get("name")
    assert licence.get("identifier") or licence.get("url")


@pytest.mark.parametrize("service", SERVICES)
def test_problem_titles_are_words(service: str, generated: dict[Path, Any]) -> None:
    """Titles of documented problems (examples included) read as a phrase, not a repr."""
    doc = _doc(service, generated)
    bad = []
    for path, node in _walk(doc["paths"]):
        if isinstance(node, dict) and "title" in node and "status" in node:
            title = node["title"]
            if not (isinstance(title, str) and PLAIN_TITLE.fullmatch(title)):
                bad.append(f"{'/'.join(path)}: {title!r}")
    assert bad == []


def _api_routes(service: str) -> list[APIRoute]:
    contexts = iter_route_contexts(create_app(service).routes)
    routes = [c.original_route for c in contexts]
    return [r for r in routes if isinstance(r, APIRoute) and r.include_in_schema]


def _header_params(dependant: Dependant) -> list[Any]:
    found = list(dependant.header_params)
    for sub in dependant.dependencies:
        found += _header_params(sub)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_writes_that_take_if_match_declare_it_required_with_412_and_428(
    service: str, generated: dict[Path, Any]
) -> None:
    doc = _doc(service, generated)
    by_id = {op["operationId"]: op for _, _, op in operations(doc)}
    taking: set[str] = set()
    problems = []
    for route in _api_routes(service):
        headers = {p.alias.lower(): p for p in _header_params(route.dependant)}
        if "if-match" not in headers:
            continue
        operation_id = str(route.operation_id)
        taking.add(operation_id)
        operation = by_id[operation_id]
        declared = [p for p in operation.get("parameters", ()) if p["name"] == "If-Match"]
        if not (declared and declared[0].get("required")):
            problems.append(f"{operation_id}: If-Match is not declared required")
        problems += [
            f"{operation_id}: {status} undocumented"
            for status in ("412", "428")
            if status not in operation["responses"]
        ]
    assert problems == []
    assert taking == IF_MATCH_OPERATIONS[service]


@pytest.mark.parametrize("service", SERVICES)
def test_every_header_a_handler_requires_is_declared_required(
    service: str, generated: dict[Path, Any]
) -> None:
    doc = _doc(service, generated)
    by_id = {op["operationId"]: op for _, _, op in operations(doc)}
    problems = []
    for route in _api_routes(service):
        operation = by_id[str(route.operation_id)]
        declared = {
            p["name"].lower(): p.get("required", False)
            for p in operation.get("parameters", ())
            if p["in"] == "header"
        }
        for param in _header_params(route.dependant):
            if param.field_info.is_required() and not declared.get(param.alias.lower()):
                problems.append(f"{route.operation_id}: {param.alias} is not declared required")
    assert problems == []
