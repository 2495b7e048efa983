"""Which differences between two JSON Schemas of one event break its consumers.

Events stay on the topics and are replayed, so both directions matter: a consumer built
on the new schema must read the events already published, and a consumer still on the
old schema must read what is published now. Breaking, then:

- a field is removed;
- a field is retyped (its JSON types or string format change), or an enum loses values;
- a new field is required, or an optional field becomes required.

Not breaking: a new optional (or defaulted) field, new enum values (the catalogue's
rule: consumers treat the enum as open), changed descriptions, titles and examples.
Constraints such as ``pattern`` or ``maxLength`` are not compared; the exact-match
contract test shows them in review.

The schemas are the ones pydantic writes: local ``$ref``s into ``$defs``, ``anyOf``
for unions and optionals.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Human-readable breaking changes from ``old`` to ``new``; empty if compatible."""
    return _compare(_Doc(old), old, _Doc(new), new, "")


class _Doc:
    """One schema document, to resolve its local ``$ref``s."""

    def __init__(self, root: Schema) -> None:
        self.root = root

    def resolve(self, schema: Schema) -> Schema:
        seen: set[str] = set()
        while "$ref" in schema and schema["$ref"] not in seen:
            ref: str = schema["$ref"]
            seen.add(ref)
            target: Any = self.root
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema

    def branches(self, schema: Schema) -> list[Schema]:
        """The alternatives of a union (``anyOf``/``oneOf``), each resolved; else itself."""
        schema = self.resolve(schema)
        alternatives = schema.get("anyOf") or schema.get("oneOf")
        if not alternatives:
            return [schema]
        return [branch for alt in alternatives for branch in self.branches(alt)]


def _compare(old_doc: _Doc, old: Schema, new_doc: _Doc, new: Schema, path: str) -> list[str]:
    old_branches, new_branches = old_doc.branches(old), new_doc.branches(new)
    old_types = {_type_of(b) for b in old_branches}
    new_types = {_type_of(b) for b in new_branches}
    where = path or "(root)"
    if old_types != new_types:
        return [f"{where}: type changed from {_show(old_types)} to {_show(new_types)}"]

    changes: list[str] = []
    old_values, new_values = _enum_values(old_branches), _enum_values(new_branches)
    if new_values is not None:
        if old_values is None:
            changes.append(f"{where}: now restricted to the values {sorted(new_values, key=str)}")
        elif removed := old_values - new_values:
            changes.append(f"{where}: enum values removed: {sorted(removed, key=str)}")

    for kind in ("object", "array"):
        old_of_kind = [b for b in old_branches if _type_of(b) == kind]
        new_of_kind = [b for b in new_branches if _type_of(b) == kind]
        if len(old_of_kind) == 1 and len(new_of_kind) == 1:
            compare = _compare_objects if kind == "object" else _compare_arrays
            changes += compare(old_doc, old_of_kind[0], new_doc, new_of_kind[0], path)
    return changes


def _compare_objects(
    old_doc: _Doc, old: Schema, new_doc: _Doc, new: Schema, path: str
) -> list[str]:
    old_props: dict[str, Schema] = old.get("properties", {})
    new_props: dict[str, Schema] = new.get("properties", {})
    old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
    changes: list[str] = []
    for name, old_prop in old_props.items():
        field = f"{path}.{name}" if path else name
        if name not in new_props:
            changes.append(f"{field}: field removed")
            continue
        if name in new_required and name not in old_required:
            changes.append(f"{field}: optional field became required")
        changes += _compare(old_doc, old_prop, new_doc, new_props[name], field)
    for name in new_props.keys() - old_props.keys():
        if name in new_required:
            field = f"{path}.{name}" if path else name
            changes.append(f"{field}: new required field")
    return changes


def _compare_arrays(old_doc: _Doc, old: Schema, new_doc: _Doc, new: Schema, path: str) -> list[str]:
    return _compare(old_doc, old.get("items", {}), new_doc, new.get("items", {}), f"{path}[]")


def _type_of(schema: Schema) -> str:
    """A branch's JSON type, with the string format if any: ``string(uuid)``."""
    kind = schema.get("type")
    if kind is None:
        values = schema.get("enum", [schema["const"]] if "const" in schema else [])
        kind = _json_type(values[0]) if values else "any"
    if isinstance(kind, list):
        return "|".join(sorted(kind))
    fmt = schema.get("format")
    return f"{kind}({fmt})" if fmt else str(kind)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string"


def _enum_values(branches: list[Schema]) -> set[Any] | None:
    """The allowed values if every non-null branch is an enum or a const; else ``None``."""
    values: set[Any] = set()
    for branch in branches:
        if branch.get("type") == "null":
            continue
        if "enum" in branch:
            values.update(branch["enum"])
        elif "const" in branch:
            values.add(branch["const"])
        else:
            return None
    return values or None


def _show(types: set[str]) -> str:
    return " | ".join(sorted(types))
