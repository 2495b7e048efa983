"""The committed event schemas are the code's, and the code breaks no consumer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from synergia_shared.contracts import REGENERATE, load
from synergia_shared.contracts.event_schemas import ENVELOPE_FILE, SCHEMA_DIR, event_schemas
from synergia_shared.events.catalogue import CATALOGUE
from synergia_shared.events.compat import breaking_changes

SCHEMA_FILES = [ENVELOPE_FILE, *(f"{event_type}.json" for event_type in CATALOGUE)]


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_the_schema_is_committed(name: str) -> None:
    assert (SCHEMA_DIR / name).exists(), (
        f"{name} has no committed schema: run `{REGENERATE}` and commit the new file"
    )


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_the_code_breaks_no_committed_schema(name: str) -> None:
    path = SCHEMA_DIR / name
    if not path.exists():
        pytest.skip("not committed yet (see test_the_schema_is_committed)")
    changes = breaking_changes(load(path), event_schemas()[name])
    assert not changes, (
        f"breaking change to {name}:\n  "
        + "\n  ".join(changes)
        + "\nPublish it as a new event version (.v2) beside this one; do not change a "
        "published event in place."
    )


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_the_committed_schema_is_the_current_one(name: str, generated: dict[Path, Any]) -> None:
    path = SCHEMA_DIR / name
    if not path.exists():
        pytest.skip("not committed yet (see test_the_schema_is_committed)")
    assert load(path) == generated[path], (
        f"{name} is not the schema the code generates: run `{REGENERATE}` and commit it"
    )


def test_every_committed_schema_belongs_to_an_event_in_the_catalogue() -> None:
    orphans = sorted(p.name for p in SCHEMA_DIR.glob("*.json") if p.name not in SCHEMA_FILES)
    assert not orphans, (
        f"schemas of events no longer in the catalogue: {orphans}. Removing an event type "
        "breaks its consumers; delete the file by hand once none is left."
    )
