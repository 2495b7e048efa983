"""Clients generated from the OpenAPI documents as a frontend team would: with
openapi-python-client (a dev dependency, in .venv) and openapi-typescript + tsc (npm
packages pinned in clients/typescript/package-lock.json, installed by `make install`)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON_CLIENT_CONFIG = ROOT / "clients" / "openapi-python-client.yaml"
PYTHON_CLIENT_TEMPLATES = ROOT / "clients" / "openapi-python-client-templates"
# The version PYTHON_CLIENT_TEMPLATES was taken from.
PYTHON_CLIENT_VERSION = "0.29.1"
TYPESCRIPT_DIR = ROOT / "clients" / "typescript"
NPM_BIN = TYPESCRIPT_DIR / "node_modules" / ".bin"
OPENAPI_PYTHON_CLIENT = Path(sys.executable).parent / "openapi-python-client"


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str  # stdout and stderr


def run(*command: str | Path, cwd: Path = ROOT) -> Run:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, check=False
    )
    return Run(done.returncode, done.stdout + done.stderr)


def write_document(document: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def generate_python_client(document: Path, package_dir: Path) -> Run:
    """openapi-python-client's package for ``document``, written to ``package_dir``."""
    return run(
        OPENAPI_PYTHON_CLIENT,
        "generate",
        "--path",
        document,
        "--meta",
        "none",
        "--output-path",
        package_dir,
        "--config",
        PYTHON_CLIENT_CONFIG,
        "--custom-template-path",
        PYTHON_CLIENT_TEMPLATES,
    )


def python_client_warnings(generation: Run) -> list[str]:
    """What the generator said beyond ``Generating <dir>``: its warnings and errors."""
    return [
        line
        for line in generation.output.splitlines()
        if line.strip() and not line.startswith("Generating ")
    ]


def import_generated(package_dir: Path) -> ModuleType:
    """Import the generated package and every module in it (each endpoint, each model)."""
    if str(package_dir.parent) not in sys.path:
        sys.path.insert(0, str(package_dir.parent))
    package = importlib.import_module(package_dir.name)
    for module in sorted(package_dir.rglob("*.py")):
        parts = module.relative_to(package_dir.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        importlib.import_module(".".join(parts))
    return package


def import_from(package_dir: Path, module: str) -> ModuleType:
    """``<package>.<module>`` of a generated package, e.g. ``api.actors.get_actor``."""
    if str(package_dir.parent) not in sys.path:
        sys.path.insert(0, str(package_dir.parent))
    return importlib.import_module(f"{package_dir.name}.{module}")


def unique_package_name(service: str) -> str:
    """A package name no other generation in this test process has imported."""
    return f"synergia_{service}_client_{uuid.uuid4().hex[:8]}"
