"""The size limits docs/architecture.md sets for the product's code: a function a
reader can hold in view. Complexity (at most 15 branches) is ruff's C901 in
`make lint`; length, which ruff does not measure, is checked here."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 60


def _product_sources() -> Iterator[Path]:
    yield from (ROOT / "shared" / "src").rglob("*.py")
    for service in sorted((ROOT / "services").iterdir()):
        for path in (service / "src").rglob("*.py"):
            if "migrations" not in path.parts:  # frozen: a migration is never rewritten
                yield path


def _long_functions(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno is not None
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                where = path.relative_to(ROOT)
                yield f"{where}:{node.lineno} {node.name} ({length} lines)"


def test_the_product_sources_are_found() -> None:
    """Guards the check below against passing on an empty tree."""
    files = list(_product_sources())
    assert len(files) > 100
    assert any(p.name == "app.py" and "synergia_shared" in p.parts for p in files)


def test_no_function_in_services_or_shared_is_longer_than_60_lines() -> None:
    long = [f for path in _product_sources() for f in _long_functions(path)]
    assert long == [], "split by meaning into named steps:\n" + "\n".join(long)
