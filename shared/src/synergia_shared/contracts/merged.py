"""One OpenAPI document for the three services, under the paths the ingress exposes.

The Kubernetes ingress (deploy/k8s/overlays/prod/ingress.yaml) serves every service on
one host under its own prefix (``/registry/v1/actors`` reaches the registry as
``/v1/actors``), so a frontend can generate one client from this document and call that
host. The merge is generic:

- every path gets its service's prefix; nothing is dropped;
- an operationId that more than one service uses (the shared health, drain and
  dead-letter operations) gets the service's name in front in every service that uses it
  (``registryListDeadLetters``); one that is unique keeps its name, so a service's client
  and the merged client call operations the same;
- components (schemas, parameters, responses, security schemes…) with the same name are
  shared when they are identical (``Problem``, ``ValidationError``); two *different* ones
  with the same name are a :class:`ContractClash`, raised with every clash listed: the
  services must name their schemas apart (a generated client would otherwise silently
  get one of them), not the merge guess;
- tags with the same name and description are shared; with different descriptions they
  get the service's name in front (``matching-regions``), in the tag list and in the
  operations.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

# The ingress prefix of each service: deploy/k8s/overlays/prod/ingress.yaml.
INGRESS_PREFIXES = {"registry": "/registry", "matching": "/matching", "funding": "/funding"}
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
TITLE = "Synergia API"
DESCRIPTION = (
    "The registry, matching and funding services in one document, under the paths the "
    "Kubernetes ingress exposes them at (`/registry`, `/matching`, `/funding` on one "
    "host). Generate one client from it; each service's own document "
    "(`docs/openapi/<service>.json`, or `/openapi.json` of the service) has the same "
    "operations without the prefix."
)


class ContractClash(ValueError):
    """Two services define different components under one name."""

    def __init__(self, clashes: list[str]) -> None:
        super().__init__(
            "the services' OpenAPI documents cannot be merged: "
            + "; ".join(clashes)
            + ". Give the schemas distinct names in the services (the merge shares only "
            "identical components)."
        )
        self.clashes = clashes


def merge_openapi(
    documents: Mapping[str, dict[str, Any]],
    prefixes: Mapping[str, str] = INGRESS_PREFIXES,
    *,
    version: str = "0.1.0",
) -> dict[str, Any]:
    """The merged document of ``documents`` (service -> its OpenAPI 3.1 document)."""
    versions = {doc.get("openapi") for doc in documents.values()}
    if len(versions) != 1:
        raise ContractClash([f"the documents are OpenAPI {sorted(map(str, versions))}"])
    shared_ids = _shared_operation_ids(documents)
    tag_names, tags = _merge_tags(documents)
    components = _merge_components(documents)
    paths: dict[str, Any] = {}
    for service, doc in documents.items():
        prefix = prefixes[service]
        for path, item in doc.get("paths", {}).items():
            merged_item = copy.deepcopy(item)
            for method, operation in merged_item.items():
                if method not in HTTP_METHODS:
                    continue
                operation_id = operation.get("operationId")
                if operation_id in shared_ids:
                    operation["operationId"] = service + operation_id[:1].upper() + operation_id[1:]
                operation["tags"] = [tag_names[service, t] for t in operation.get("tags", [])]
            paths[f"{prefix}{path}"] = merged_item
    merged: dict[str, Any] = {
        "openapi": versions.pop(),
        "info": {"title": TITLE, "description": DESCRIPTION, "version": version},
        "servers": [
            {"url": "/", "description": "the ingress host, which carries all three services"}
        ],
        "paths": paths,
        "components": components,
        "tags": tags,
    }
    security = _same_everywhere(documents, "security")
    if security is not None:
        merged["security"] = security
    return merged


def _shared_operation_ids(documents: Mapping[str, dict[str, Any]]) -> set[str]:
    owners: dict[str, set[str]] = {}
    for service, doc in documents.items():
        for item in doc.get("paths", {}).values():
            for method, operation in item.items():
                if method in HTTP_METHODS and (operation_id := operation.get("operationId")):
                    owners.setdefault(operation_id, set()).add(service)
    return {operation_id for operation_id, services in owners.items() if len(services) > 1}


def _merge_tags(
    documents: Mapping[str, dict[str, Any]],
) -> tuple[dict[tuple[str, str], str], list[dict[str, Any]]]:
    """(service, tag) -> its name in the merged document, and the merged tag list."""
    definitions: dict[str, dict[str, dict[str, Any]]] = {}
    for service, doc in documents.items():
        declared = {tag["name"]: tag for tag in doc.get("tags", [])}
        used = {
            tag
            for item in doc.get("paths", {}).values()
            for method, operation in item.items()
            if method in HTTP_METHODS
            for tag in operation.get("tags", [])
        }
        for name in [*declared, *sorted(used - declared.keys())]:
            definitions.setdefault(name, {})[service] = declared.get(name, {"name": name})
    names: dict[tuple[str, str], str] = {}
    tags: list[dict[str, Any]] = []
    for name, by_service in definitions.items():
        if _all_equal(by_service.values()):
            tags.append(next(iter(by_service.values())))
            names.update(((service, name), name) for service in by_service)
            continue
        for service, tag in by_service.items():
            names[service, name] = f"{service}-{name}"
            tags.append({**tag, "name": f"{service}-{name}"})
    return names, tags


def _merge_components(documents: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, dict[str, Any]] = {}
    owners: dict[tuple[str, str], str] = {}
    clashes: list[str] = []
    for service, doc in documents.items():
        for kind, components in doc.get("components", {}).items():
            into = merged.setdefault(kind, {})
            for name, component in components.items():
                if name not in into:
                    into[name] = component
                    owners[kind, name] = service
                elif not _all_equal([into[name], component]):
                    clashes.append(
                        f"components/{kind}/{name} differs between {owners[kind, name]} "
                        f"and {service}"
                    )
    if clashes:
        raise ContractClash(clashes)
    return {kind: dict(sorted(components.items())) for kind, components in merged.items()}


def _same_everywhere(documents: Mapping[str, dict[str, Any]], key: str) -> Any:
    values = [doc.get(key) for doc in documents.values()]
    return values[0] if _all_equal(values) else None


def _all_equal(values: Any) -> bool:
    rendered = {json.dumps(value, sort_keys=True) for value in values}
    return len(rendered) <= 1
