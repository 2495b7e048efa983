"""What the deployment files are checked against: the code itself.

Everything here is read from the services (settings classes, apps, consumers, the event
catalogue, pyproject files) so that the checks in this folder fail when the code and the
deployment drift apart. No network, no Docker engine, no cluster: kubectl (kustomize)
and kubernetes-validate run from the virtualenv, offline.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from pydantic_settings import BaseSettings
from synergia_shared.events.catalogue import CATALOGUE
from synergia_shared.events.topics import ALL_TOPICS, dlq
from synergia_shared.settings import _DEPLOYMENT_WIDE

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSION = "1.37.0"
# Settings that are alternatives: exactly one of each group is provided.
ALTERNATIVES = (frozenset({"auth_jwt_secret", "auth_jwks_url"}),)
# Settings that must come from a Secret wherever they are set in Kubernetes.
SECRET_SETTINGS = frozenset({"database_url", "auth_jwt_secret", "api_keys"})


@dataclass(frozen=True)
class Service:
    name: str
    settings_cls: type[BaseSettings]
    app: FastAPI

    @property
    def prefix(self) -> str:
        return f"{self.name.upper()}_"

    @property
    def port(self) -> int:
        port = self.settings_cls.model_fields["port"].default
        assert isinstance(port, int)
        return port

    @property
    def fields(self) -> list[str]:
        return list(self.settings_cls.model_fields)

    @property
    def routes(self) -> dict[str, set[str]]:
        """Path -> HTTP methods, from the app's OpenAPI document."""
        paths: dict[str, dict[str, Any]] = self.app.openapi()["paths"]
        return {path: {m.upper() for m in item} for path, item in paths.items()}

    @property
    def consumed_topics(self) -> set[str]:
        return {t for consumer in self.app.state.consumers.values() for t in consumer.topics}

    @property
    def pyproject(self) -> dict[str, Any]:
        return tomllib.loads((ROOT / "services" / self.name / "pyproject.toml").read_text())

    @property
    def version(self) -> str:
        return str(self.pyproject["project"]["version"])

    @property
    def image(self) -> str:
        """The image name and tag docker compose builds and the dev overlay runs."""
        return f"synergia/{self.name}:{self.version}"

    @property
    def migrate_command(self) -> str:
        scripts: dict[str, str] = self.pyproject["project"]["scripts"]
        [command] = [n for n, target in scripts.items() if target.endswith(".migrate:main")]
        return command

    def env_names(self, field: str) -> set[str]:
        """Every environment variable name from which this service reads ``field``."""
        names = {f"{self.prefix}{field.upper()}"}
        if field in _DEPLOYMENT_WIDE or field == "database_url":
            names.add(field.upper())
        return names

    def setting_for(self, env_name: str) -> str | None:
        """The setting an environment variable name sets, if any."""
        for field in self.fields:
            if env_name in self.env_names(field):
                return field
        return None


def _dummy_settings(cls: type[BaseSettings]) -> BaseSettings:
    return cls(database_url="postgresql+asyncpg://user@localhost/db")


@functools.cache
def services() -> tuple[Service, ...]:
    from synergia_funding.app import create_app as funding_app
    from synergia_funding.settings import FundingSettings
    from synergia_matching.app import create_app as matching_app
    from synergia_matching.settings import MatchingSettings
    from synergia_registry.app import create_app as registry_app
    from synergia_registry.settings import RegistrySettings

    return (
        Service("registry", RegistrySettings, registry_app(_dummy_settings(RegistrySettings))),  # type: ignore[arg-type]
        Service("matching", MatchingSettings, matching_app(_dummy_settings(MatchingSettings))),  # type: ignore[arg-type]
        Service("funding", FundingSettings, funding_app(_dummy_settings(FundingSettings))),  # type: ignore[arg-type]
    )


def service(name: str) -> Service:
    [found] = [s for s in services() if s.name == name]
    return found


def topics_in_use() -> set[str]:
    """Every topic the code publishes to or consumes from, and the DLQs parking uses."""
    published = {spec.topic for spec in CATALOGUE.values()}
    consumed = {t for s in services() for t in s.consumed_topics}
    declared = set(ALL_TOPICS)
    return published | consumed | declared | {dlq(t) for t in consumed | declared}


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


@functools.cache
def kustomize(path: str) -> str:
    """`kubectl kustomize` of a directory under deploy/k8s (cached: it is read-only)."""
    result = subprocess.run(
        [str(BIN / "kubectl"), "kustomize", str(K8S / path)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "KUBECONFIG": os.devnull},
        timeout=60,
    )
    assert result.returncode == 0, f"kubectl kustomize {path} failed:\n{result.stderr}"
    return result.stdout


def manifests(path: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(kustomize(path)) if doc]


def find(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [
        d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]


def one(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = find(docs, kind, name)
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return f"overlays/{request.param}"


@pytest.fixture(params=["registry", "matching", "funding"])
def svc(request: pytest.FixtureRequest) -> Service:
    return service(request.param)
