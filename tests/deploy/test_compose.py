"""docker-compose.yml, read as YAML and checked against the code (no Docker engine)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from synergia_shared.settings import DEV_JWT_SECRET

from tests.deploy.checks import settings_problems
from tests.deploy.conftest import ROOT, Service, compose, services, topics_in_use
from tests.deploy.test_images import DRAIN_BUDGET_SECONDS


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "write environment as a mapping"
    return {k: "" if v is None else str(v) for k, v in env.items()}


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert duration, "empty duration"
    assert match, duration
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def condition(service: dict[str, Any], dependency: str) -> str | None:
    depends = service.get("depends_on", {})
    return depends.get(dependency, {}).get("condition") if isinstance(depends, dict) else None


def test_the_whole_system_is_there() -> None:
    names = set(compose()["services"])
    expected = {"postgres", "kafka", "kafka-topics"}
    expected |= {s.name for s in services()} | {f"{s.name}-migrate" for s in services()}
    assert names == expected


def test_postgres_creates_a_database_and_role_per_service() -> None:
    postgres = compose()["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    env = env_of(postgres)
    assert env["SYNERGIA_SERVICES"].split() == [s.name for s in services()]
    for svc in services():
        assert env.get(f"{svc.name.upper()}_DB_PASSWORD"), svc.name
    [init] = [v for v in postgres["volumes"] if "/docker-entrypoint-initdb.d/" in v]
    script = ROOT / init.split(":")[0]
    assert script.is_file()
    text = script.read_text()
    assert "SYNERGIA_SERVICES" in text
    assert "_DB_PASSWORD" in text
    assert "CREATE DATABASE" in text
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_kafka_is_a_single_kraft_node() -> None:
    kafka = compose()["services"]["kafka"]
    env = env_of(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert not any("ZOOKEEPER" in k for k in env)
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "healthcheck" in kafka


def topic_problems(topics_service: dict[str, Any], prefix: str) -> list[str]:
    created = set(env_of(topics_service)["TOPICS"].split())
    expected = {f"{prefix}{t}" for t in topics_in_use()}
    problems = [f"topic {t} is used by the code but not created" for t in expected - created]
    problems += [f"topic {t} is created but no code uses it" for t in created - expected]
    if condition(topics_service, "kafka") != "service_healthy":
        problems.append("topics are created before Kafka is healthy")
    if str(topics_service.get("restart")) != "no":
        problems.append("the topic creation is not a one-shot")
    return problems


def test_every_topic_is_created() -> None:
    data = compose()
    prefixes = {env_of(data["services"][s.name]).get("KAFKA_TOPIC_PREFIX", "") for s in services()}
    assert len(prefixes) == 1
    assert topic_problems(data["services"]["kafka-topics"], prefixes.pop()) == []


def test_topic_check_can_fail() -> None:
    topics = copy.deepcopy(compose()["services"]["kafka-topics"])
    topics["environment"]["TOPICS"] = topics["environment"]["TOPICS"].replace(
        "funding.ledger.dlq", ""
    )
    assert topic_problems(topics, "") == [
        "topic funding.ledger.dlq is used by the code but not created"
    ]
    assert topic_problems(compose()["services"]["kafka-topics"], "test-")


def service_problems(svc: Service, data: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    app = data["services"][svc.name]
    migrate = data["services"][f"{svc.name}-migrate"]
    build = app.get("build", {})
    if build.get("dockerfile") != "services/Dockerfile":
        problems.append("not built from the services' Dockerfile")
    if build.get("args") != {"SERVICE": svc.name, "PORT": str(svc.port)}:
        problems.append(f"not built as {svc.name} on port {svc.port} (build args)")
    if app.get("image") != svc.image or migrate.get("image") != svc.image:
        problems.append(f"image is not {svc.image} for the service and its migration")
    if app.get("ports") != [f"{svc.port}:{svc.port}"]:
        problems.append(f"port {svc.port} is not published as {svc.port}")
    wanted = {
        "postgres": "service_healthy",
        "kafka": "service_healthy",
        "kafka-topics": "service_completed_successfully",
        f"{svc.name}-migrate": "service_completed_successfully",
    }
    for dependency, state in wanted.items():
        if condition(app, dependency) != state:
            problems.append(f"does not wait for {dependency} to be {state}")
    if not app.get("read_only") or "/tmp" not in app.get("tmpfs", []):
        problems.append("root filesystem is not read-only with a /tmp tmpfs")
    drain = float(env_of(app).get(f"{svc.prefix}DRAIN_TIMEOUT_SECONDS", "10"))
    if seconds(app.get("stop_grace_period", "10s")) <= DRAIN_BUDGET_SECONDS + 2 * drain:
        problems.append("stop_grace_period does not leave time for the drain")
    problems += settings_problems(svc, env_of(app))
    if migrate.get("command") != [svc.migrate_command] or str(migrate.get("restart")) != "no":
        problems.append(f"migration is not the one-shot {svc.migrate_command}")
    if condition(migrate, "postgres") != "service_healthy":
        problems.append("migration does not wait for PostgreSQL")
    problems += [f"migration: {p}" for p in settings_problems(svc, env_of(migrate), complete=False)]
    return problems


@pytest.mark.parametrize("svc", services(), ids=lambda s: s.name)
def test_service(svc: Service) -> None:
    assert service_problems(svc, compose()) == []


@pytest.mark.parametrize("svc", services(), ids=lambda s: s.name)
def test_database_credentials_match_the_init_script(svc: Service) -> None:
    data = compose()["services"]
    postgres = env_of(data["postgres"])
    for name in (svc.name, f"{svc.name}-migrate"):
        url = make_url(env_of(data[name])[f"{svc.prefix}DATABASE_URL"])
        assert url.host == "postgres"
        assert url.port == 5432
        assert url.username == url.database == f"synergia_{svc.name}"
        assert url.password == postgres[f"{svc.name.upper()}_DB_PASSWORD"]


def test_services_reach_kafka_and_accept_dev_tokens() -> None:
    data = compose()["services"]
    advertised = env_of(data["kafka"])["KAFKA_ADVERTISED_LISTENERS"].split(",")
    for svc in services():
        env = env_of(data[svc.name])
        assert f"PLAINTEXT://{env['KAFKA_BOOTSTRAP_SERVERS']}" in advertised
        # `make token` signs with the development secret.
        assert env["AUTH_JWT_SECRET"] == DEV_JWT_SECRET
        assert env["ENVIRONMENT"] == "development"


def test_service_check_can_fail() -> None:
    svc = services()[0]
    mutations = {
        "typo in a name": lambda s: s["environment"].update(REGISTRY_DB_POOLSIZE="5"),
        "missing setting": lambda s: s["environment"].pop("REGISTRY_RELAY_BATCH_SIZE"),
        "bad value": lambda s: s["environment"].update(REGISTRY_RELAY_ENABLED="maybe"),
        "both auth": lambda s: s["environment"].update(AUTH_JWKS_URL="https://idp/jwks"),
        "wrong port": lambda s: s["environment"].update(REGISTRY_PORT="9000"),
        "no wait": lambda s: s["depends_on"].pop("registry-migrate"),
        "writable": lambda s: s.pop("read_only"),
        "short stop": lambda s: s.update(stop_grace_period="10s"),
        "image": lambda s: s.update(image="synergia/registry:latest"),
        "built as another service": lambda s: s.update(
            build={**s["build"], "args": {"SERVICE": "matching", "PORT": "8001"}}
        ),
        "built on another port": lambda s: s.update(
            build={**s["build"], "args": {"SERVICE": "registry", "PORT": "8002"}}
        ),
        "another Dockerfile": lambda s: s.update(
            build={**s["build"], "dockerfile": "services/registry/Dockerfile"}
        ),
    }
    for name, mutate in mutations.items():
        data = copy.deepcopy(compose())
        data["services"][svc.name]["environment"] = dict(data["services"][svc.name]["environment"])
        mutate(data["services"][svc.name])
        assert service_problems(svc, data), f"{name} not caught"
