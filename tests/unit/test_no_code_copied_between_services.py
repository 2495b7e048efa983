"""No block of code is copied from one service into another: what two services both need
lives once, in synergia_shared (docs/architecture.md, "Layout"). Checked with pylint's
similarity checker (symilar), on code only: comments, docstrings, imports and function
signatures are left out; migrations, frozen once written, are not counted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MIN_LINES = 6
_BLOCK = re.compile(r"^(\d+) similar lines in \d+ files$")
_PLACE = re.compile(r"^==(.+?):\[(\d+):(\d+)\]$")


def _copied_blocks(files: list[Path]) -> list[list[tuple[Path, int, int]]]:
    """Each block symilar finds, as its places (file, first line, end)."""
    symilar = Path(sys.executable).with_name("symilar")
    output = subprocess.run(
        [
            str(symilar),
            f"--duplicates={MIN_LINES}",
            "--ignore-comments",
            "--ignore-docstrings",
            "--ignore-imports",
            "--ignore-signatures",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        check=False,  # it exits non-zero when it finds duplicates
    ).stdout
    blocks: list[list[tuple[Path, int, int]]] = []
    for line in output.splitlines():
        if _BLOCK.match(line):
            blocks.append([])
        elif (place := _PLACE.match(line)) and blocks:
            blocks[-1].append((Path(place[1]), int(place[2]), int(place[3])))
    return blocks


def _between_services(files: list[Path], root: Path) -> list[str]:
    """The blocks whose places are in more than one service under ``root/services``."""

    def service_of(path: Path) -> str:
        return path.resolve().relative_to(root / "services").parts[0]

    return [
        " ~ ".join(f"{p.relative_to(root)}:{a}-{b}" for p, a, b in block)
        for block in _copied_blocks(files)
        if len({service_of(p) for p, _, _ in block}) > 1
    ]


def test_the_check_finds_a_block_copied_into_another_service(tmp_path: Path) -> None:
    """Guards the check below against passing because it finds nothing at all."""
    body = "".join(
        f"    total = total + {i} * factor\n    factor = factor - {i}\n" for i in range(4)
    )
    files = []
    for service in ("alpha", "beta"):
        path = tmp_path / "services" / service / "src" / "steps.py"
        path.parent.mkdir(parents=True)
        path.write_text(f"def {service}(total, factor):\n{body}    return total\n")
        files.append(path)
    (copied,) = _between_services(files, tmp_path)
    assert "alpha/src/steps.py" in copied
    assert "beta/src/steps.py" in copied


def test_no_block_of_code_is_copied_between_services() -> None:
    files = [
        path
        for path in sorted((ROOT / "services").glob("*/src/**/*.py"))
        if "migrations" not in path.parts
    ]
    assert {p.relative_to(ROOT / "services").parts[0] for p in files} == {
        "registry",
        "matching",
        "funding",
    }
    copied = _between_services(files, ROOT)
    assert copied == [], "give it one home in synergia_shared:\n" + "\n".join(copied)
