"""A service starts without loading what only some requests need.

Importing a service and building its app must not import OR-Tools (and the pandas it
loads), openpyxl (and numpy), YAML, Alembic or httpx (the contact fetcher's client is
built when its task starts): together they took seconds of a start
that must answer /readyz within 3 s (the time itself is measured in bench/startup_bench).
Each check runs in a fresh interpreter, as a service process starts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from synergia_shared.migrations import SchemaCheck, read_revisions

SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"
# Loaded on first use only: by a team request, a NUTS/NACE table read, a migration run,
# the shared-contact fetcher's task.
HEAVY = ("ortools", "pandas", "openpyxl", "numpy", "yaml", "alembic", "httpx")

_PROBE = """
import json, os, sys
os.environ.setdefault("{prefix}_DATABASE_URL", "postgresql+asyncpg://u@127.0.0.1:1/db")
from synergia_{service}.app import create_app
create_app()
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}})))
"""


@pytest.mark.parametrize("service", ["registry", "matching", "funding"])
def test_a_service_starts_without_its_heavy_libraries(service: str) -> None:
    probe = _PROBE.format(service=service, prefix=service.upper())
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert not loaded & set(HEAVY), f"{service} loads {sorted(loaded & set(HEAVY))} at start"


@pytest.mark.parametrize("service", ["registry", "matching", "funding"])
def test_the_schema_check_reads_the_revisions_alembic_reads(service: str) -> None:
    migrations = SERVICES_DIR / service / "migrations"
    script = ScriptDirectory(str(migrations))
    check = SchemaCheck(migrations)
    assert check.heads == frozenset(script.get_heads())
    assert check.known == frozenset(r.revision for r in script.walk_revisions())


def test_revisions_are_read_with_their_merges(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    files = {
        "0001_a.py": 'revision = "0001"\ndown_revision = None\n',
        "0002_b.py": 'revision: str = "0002"\ndown_revision: str | None = "0001"\n',
        "0003_c.py": 'revision = "0003"\ndown_revision = "0001"\n',
        "0004_merge.py": 'revision = "0004"\ndown_revision = ("0002", "0003")\n',
        "0005_side.py": '"""A second head."""\nrevision = "0005"\ndown_revision = "0003"\n',
        "__init__.py": "",
    }
    for name, text in files.items():
        (versions / name).write_text(text)
    revisions = read_revisions(versions)
    assert revisions == {
        "0001": (),
        "0002": ("0001",),
        "0003": ("0001",),
        "0004": ("0002", "0003"),
        "0005": ("0003",),
    }
    check = SchemaCheck(tmp_path)
    assert check.heads == {"0004", "0005"}
