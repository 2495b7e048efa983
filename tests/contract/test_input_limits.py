"""Every route that takes more than one resource says so: a CSV or multipart upload, or a
batch of items, declares its body limit (`x-body-limit`), so a new one cannot fall back
silently to the single-resource limit (and the middleware cannot treat a batch's bad
item as the whole request's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from synergia_shared.contracts import OPENAPI_DIR
from synergia_shared.contracts.services import SERVICES
from synergia_shared.http.input_limits import BODY_LIMIT_KEY, BodyKind

METHODS = {"post", "put", "patch"}
UPLOADS = {"text/csv", "multipart/form-data"}


def _items_batch(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    ref = schema.get("$ref", "")
    target = doc["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}) if ref else schema
    return set(target.get("properties", {})) == {"items"}


@pytest.mark.parametrize("service", SERVICES)
def test_every_upload_and_batch_route_declares_its_body_limit(
    service: str, generated: dict[Path, Any]
) -> None:
    doc = generated[OPENAPI_DIR / f"{service}.json"]
    undeclared = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            json_schema = content.get("application/json", {}).get("schema", {})
            takes_many = bool(UPLOADS & set(content)) or _items_batch(doc, json_schema)
            kind = operation.get(BODY_LIMIT_KEY)
            if takes_many and kind not in {BodyKind.BATCH, BodyKind.UPLOAD}:
                undeclared.append(f"{method.upper()} {path}")
            if kind is not None:
                assert kind in set(BodyKind), f"{method.upper()} {path}: unknown kind {kind}"
    assert not undeclared, f"declare body_limit(BodyKind.BATCH or UPLOAD) on {undeclared}"
