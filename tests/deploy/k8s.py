"""Reading kustomize output: pods, their environment, what selects what."""

from __future__ import annotations

from typing import Any

from tests.deploy.conftest import SECRET_SETTINGS, Service, find, one

Doc = dict[str, Any]
UVICORN_ENV = frozenset({"UVICORN_ROOT_PATH"})  # read by uvicorn itself, not the settings


def pod_spec(workload: Doc) -> Doc:
    spec: Doc = workload["spec"]["template"]["spec"]
    return spec


def container(workload: Doc, name: str | None = None) -> Doc:
    containers = pod_spec(workload)["containers"]
    if name is None:
        assert len(containers) == 1, "one container per pod"
        found: Doc = containers[0]
        return found
    [found] = [c for c in containers if c["name"] == name]
    return found


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def secret_placeholder(docs: list[Doc], svc: Service, ref: Doc) -> str | None:
    """The value a referenced Secret key will have, as far as the manifests tell."""
    secrets = find(docs, "Secret", ref["name"])
    if secrets:
        import base64

        data = secrets[0].get("data", {})
        if ref["key"] in data:
            return base64.b64decode(data[ref["key"]]).decode()
        value = secrets[0].get("stringData", {}).get(ref["key"])
        return None if value is None else str(value)
    # CloudNativePG writes <cluster>-app with key uri for the database it bootstraps.
    for cluster in find(docs, "Cluster"):
        if cluster["apiVersion"].startswith("postgresql.cnpg.io/") and (
            ref["name"] == f"{cluster['metadata']['name']}-app" and ref["key"] == "uri"
        ):
            initdb = cluster["spec"]["bootstrap"]["initdb"]
            host = f"{cluster['metadata']['name']}-rw"
            return f"postgresql://{initdb['owner']}:secret@{host}:5432/{initdb['database']}"
    return None


def environment(docs: list[Doc], svc: Service, workload: Doc) -> tuple[dict[str, str], list[str]]:
    """The container's environment (Secrets resolved or stood in for), and its problems."""
    problems: list[str] = []
    env: dict[str, str] = {}
    c = container(workload)
    for source in c.get("envFrom", []):
        if "configMapRef" in source:
            config = one(docs, "ConfigMap", source["configMapRef"]["name"])
            for key, value in config.get("data", {}).items():
                if svc.setting_for(key) in SECRET_SETTINGS:
                    problems.append(f"ConfigMap {config['metadata']['name']} holds secret {key}")
                env[key] = str(value)
        else:
            problems.append(f"envFrom {source}: only ConfigMaps (Secrets are referenced by key)")
    for item in c.get("env", []):
        name = item["name"]
        if name in UVICORN_ENV:
            continue
        field = svc.setting_for(name)
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        if field in SECRET_SETTINGS and ref is None:
            problems.append(f"{name} must be a Secret reference")
        if ref is not None:
            value = secret_placeholder(docs, svc, ref)
            if value is None:
                # Created by the operator (docs/operations.md); any valid value will do.
                value = "[]" if field == "api_keys" else "operator-provided"
            env[name] = value
        elif "value" in item:
            env[name] = str(item["value"])
        else:
            problems.append(f"{name}: neither a value nor a Secret reference")
    return env, problems
