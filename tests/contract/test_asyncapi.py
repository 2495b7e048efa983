"""The committed AsyncAPI document is the one the catalogue generates, and it holds together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synergia_shared.contracts import ASYNCAPI_FILE, REGENERATE, load
from synergia_shared.events.catalogue import CATALOGUE
from synergia_shared.events.topics import all_topics_with_dlqs


def test_the_committed_asyncapi_document_is_the_current_one(generated: dict[Path, Any]) -> None:
    assert ASYNCAPI_FILE.exists(), f"no {ASYNCAPI_FILE.name}: run `{REGENERATE}`"
    assert load(ASYNCAPI_FILE) == generated[ASYNCAPI_FILE], (
        f"{ASYNCAPI_FILE.name} differs from the catalogue: run `{REGENERATE}` and commit it"
    )


def test_every_topic_and_event_is_described(generated: dict[Path, Any]) -> None:
    doc = generated[ASYNCAPI_FILE]
    assert doc["asyncapi"] == "3.0.0"
    addresses = {channel["address"] for channel in doc["channels"].values()}
    assert addresses == set(all_topics_with_dlqs())
    names = {message["name"] for message in doc["components"]["messages"].values()}
    assert set(CATALOGUE) <= names
    published = {
        ref["$ref"].rsplit("/", 1)[-1]
        for operation in doc["operations"].values()
        if operation["action"] == "send"
        for ref in operation["messages"]
    }
    for message_id, message in doc["components"]["messages"].items():
        if message["name"] in CATALOGUE:
            assert message_id in published, f"no service sends {message['name']}"


def test_every_reference_resolves(generated: dict[Path, Any]) -> None:
    doc = generated[ASYNCAPI_FILE]
    refs = list(_refs(doc))
    assert refs
    for ref in refs:
        target: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(target, dict), f"dangling $ref {ref}"
            assert part in target, f"dangling $ref {ref}"
            target = target[part]


def _refs(node: Any) -> Any:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)
