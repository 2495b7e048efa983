"""Readable, stable names for the OpenAPI document's component schemas.

Client generators name their types after ``components.schemas``. Pydantic names a model
whose request and response schemas differ (a ``Decimal`` accepts a number or a string but
is returned as a string) twice, ``Owner-Input`` and ``Owner-Output``: neither is a valid
type name, and openapi-python-client drops every operation that refers to them. Here the
response side keeps the model's own name, which is what a client reads back, and the
request side is ``<Model>Input``. Two classes of one name would be named after their
modules (``synergia_registry__clusters__rules__Criterion``): that is fixed at the source by
naming them apart, and the contract tests fail while such a name appears.
"""

from __future__ import annotations

from typing import Any

REF_PREFIX = "#/components/schemas/"
_SUFFIXES = {"-Output": "", "-Input": "Input"}


def readable_names(schemas: dict[str, Any]) -> dict[str, str]:
    """Old name → new name for every schema pydantic split by mode."""
    renames: dict[str, str] = {}
    for name in schemas:
        for suffix, replacement in _SUFFIXES.items():
            if name.endswith(suffix):
                renames[name] = name.removesuffix(suffix) + replacement
    taken = set(schemas) - set(renames)
    for old, new in renames.items():
        if new in taken:
            raise ValueError(f"schema {old} would be renamed {new}, which another schema has")
        taken.add(new)
    return renames


def rename_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with pydantic's mode-split schema names made readable, refs rewritten;
    a finisher of the OpenAPI document (synergia_shared.http.openapi_document)."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    renames = readable_names(schemas)
    if not renames:
        return document
    refs = {REF_PREFIX + old: REF_PREFIX + new for old, new in renames.items()}
    renamed: dict[str, Any] = _rewrite_refs(document, refs)
    schemas = renamed["components"]["schemas"]
    for old, new in renames.items():
        # Generators name a type after its title when it has one (openapi-python-client).
        schemas[old] = {**schemas[old], "title": new}
    renamed["components"]["schemas"] = {
        renames.get(name, name): schema for name, schema in schemas.items()
    }
    return renamed


def _rewrite_refs(node: Any, refs: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: refs.get(value, value)
            if key == "$ref" and isinstance(value, str)
            else _rewrite_refs(value, refs)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item, refs) for item in node]
    return node
