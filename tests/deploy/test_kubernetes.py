"""deploy/k8s: kustomize builds, strict schema validation, and checks against the code."""

from __future__ import annotations

import copy
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tests.deploy.checks import settings_problems
from tests.deploy.conftest import (
    BIN,
    KUBERNETES_VERSION,
    OVERLAYS,
    Service,
    find,
    kustomize,
    manifests,
    one,
    services,
    topics_in_use,
)
from tests.deploy.k8s import Doc, container, environment, matches, pod_spec
from tests.deploy.test_images import DRAIN_BUDGET_SECONDS

CUSTOM_RESOURCES = {
    ("kafka.strimzi.io/v1", "Kafka"),
    ("kafka.strimzi.io/v1", "KafkaNodePool"),
    ("kafka.strimzi.io/v1", "KafkaTopic"),
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
}
DEV_SECRETS = {
    "registry-db-app",
    "matching-db-app",
    "funding-db-app",
    "synergia-auth",
    "synergia-api-keys",
    "synergia-shared-contacts",
    "postgres-credentials",
}
BUILDS = ("base", *(f"overlays/{o}" for o in OVERLAYS))


# ---- kustomize and kubernetes-validate ----------------------------------------------


@pytest.mark.parametrize("path", BUILDS)
def test_kustomize_builds(path: str) -> None:
    assert manifests(path)


@pytest.mark.parametrize("path", BUILDS)
def test_kubernetes_validate_strict(path: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rendered = Path(tmp) / f"{path.replace('/', '-')}.yaml"
        rendered.write_text(kustomize(path))
        result = subprocess.run(
            [
                str(BIN / "kubernetes-validate"),
                "--strict",
                "--quiet",
                "--kubernetes-version",
                KUBERNETES_VERSION,
                str(rendered),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    lines = result.stdout.splitlines()
    assert result.returncode == 0, "\n".join([*lines, result.stderr])
    assert not [line for line in lines if not line.startswith("WARN")], lines
    # Only custom resources may lack a schema; they are checked in test_custom_resources.
    unknown = {
        (m.group(2), m.group(1))
        for line in lines
        if (m := re.search(r"kind (\w+) with api version (\S+)", line))
    }
    assert unknown <= CUSTOM_RESOURCES, unknown
    kinds = {(d["apiVersion"], d["kind"]) for d in manifests(path)}
    assert kinds & CUSTOM_RESOURCES == unknown


def test_strict_validation_can_fail() -> None:
    deployment = copy.deepcopy(one(manifests("overlays/prod"), "Deployment", "registry"))
    kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    pod_spec(deployment)["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/readyz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


# ---- custom resources: at least their required fields ---------------------------------


def _get(doc: Doc, path: str) -> Any:
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def custom_resource_problems(docs: list[Doc]) -> list[str]:
    problems: list[str] = []
    required = {
        "Kafka": ["spec.kafka.listeners", "spec.entityOperator.topicOperator"],
        "KafkaNodePool": ["spec.replicas", "spec.roles", "spec.storage.type"],
        "KafkaTopic": ["spec.topicName", "spec.partitions", "spec.replicas"],
        "Cluster": [
            "spec.instances",
            "spec.storage.size",
            "spec.bootstrap.initdb.database",
            "spec.bootstrap.initdb.owner",
        ],
        "PrometheusRule": ["spec.groups"],
        "ServiceMonitor": ["spec.selector", "spec.endpoints"],
    }
    kafkas = {k["metadata"]["name"]: k for k in find(docs, "Kafka")}
    for doc in docs:
        if (doc["apiVersion"], doc["kind"]) not in CUSTOM_RESOURCES:
            continue
        name = f"{doc['kind']} {doc['metadata']['name']}"
        problems += [
            f"{name}: {p} missing" for p in required[doc["kind"]] if _get(doc, p) in (None, "", [])
        ]
        if doc["kind"].startswith("Kafka") and doc["kind"] != "Kafka":
            cluster = doc["metadata"].get("labels", {}).get("strimzi.io/cluster")
            if cluster not in kafkas:
                problems.append(f"{name}: strimzi.io/cluster names no Kafka ({cluster})")
    for kafka in kafkas.values():
        for listener in kafka["spec"]["kafka"].get("listeners", []):
            missing = {"name", "port", "type", "tls"} - listener.keys()
            if missing:
                problems.append(f"Kafka listener {listener.get('name')}: {sorted(missing)} missing")
        pools = [
            p
            for p in find(docs, "KafkaNodePool")
            if p["metadata"]["labels"].get("strimzi.io/cluster") == kafka["metadata"]["name"]
        ]
        roles = {r for p in pools for r in p["spec"].get("roles", [])}
        if roles != {"broker", "controller"}:
            problems.append(f"Kafka {kafka['metadata']['name']}: node pools have roles {roles}")
    brokers = sum(
        p["spec"]["replicas"] for p in find(docs, "KafkaNodePool") if "broker" in p["spec"]["roles"]
    )
    for topic in find(docs, "KafkaTopic"):
        spec = topic["spec"]
        isr = int(spec.get("config", {}).get("min.insync.replicas", 1))
        if not 0 < isr < spec["replicas"] <= brokers:
            problems.append(f"KafkaTopic {spec['topicName']}: min ISR {isr} < replicas <= brokers")
        if not isinstance(spec["partitions"], int) or spec["partitions"] < 1:
            problems.append(f"KafkaTopic {spec['topicName']}: partitions")
    for rule_set in find(docs, "PrometheusRule"):
        for group in rule_set["spec"]["groups"]:
            for rule in group.get("rules", []):
                if not group.get("name") or not rule.get("expr") or not rule.get("alert"):
                    problems.append(f"PrometheusRule rule without name, alert or expr: {rule}")
    return problems


@pytest.mark.parametrize("path", BUILDS)
def test_custom_resources(path: str) -> None:
    assert custom_resource_problems(manifests(path)) == []


def test_custom_resource_check_can_fail() -> None:
    docs = copy.deepcopy(manifests("overlays/prod"))
    one(docs, "Cluster", "funding-db")["spec"]["bootstrap"]["initdb"].pop("owner")
    find(docs, "KafkaTopic")[0]["spec"]["replicas"] = 5
    del one(docs, "Kafka", "synergia")["spec"]["kafka"]["listeners"][0]["tls"]
    one(docs, "KafkaNodePool", "controller")["metadata"]["labels"]["strimzi.io/cluster"] = "x"
    assert len(custom_resource_problems(docs)) == 5  # the pool also leaves Kafka brokerless


# ---- the services ----------------------------------------------------------------------


def partitions(docs: list[Doc]) -> dict[str, int]:
    """Topic -> partition count, from KafkaTopics or from the dev topic-creation Job."""
    counts = {t["spec"]["topicName"]: t["spec"]["partitions"] for t in find(docs, "KafkaTopic")}
    for job in find(docs, "Job", "kafka-topics"):
        env = {e["name"]: e["value"] for e in container(job).get("env", [])}
        counts.update(dict.fromkeys(env["TOPICS"].split(), int(env["PARTITIONS"])))
    return counts


def backing_pod_labels(docs: list[Doc], backing: str) -> list[dict[str, str]]:
    """The labels of the pods that will run PostgreSQL or Kafka in this build."""
    labels = [
        s["spec"]["template"]["metadata"]["labels"]
        for s in find(docs, "StatefulSet")
        if s["metadata"]["name"] == {"postgresql": "postgres", "kafka": "kafka"}[backing]
    ]
    if backing == "postgresql":
        labels += [_get(c, "spec.inheritedMetadata.labels") or {} for c in find(docs, "Cluster")]
    else:
        labels += [
            _get(p, "spec.template.pod.metadata.labels") or {}
            for p in find(docs, "KafkaNodePool")
            if "broker" in p["spec"]["roles"]
        ]
    return labels


def network_problems(svc: Service, docs: list[Doc], pod_labels: dict[str, str]) -> list[str]:
    problems: list[str] = []
    policies = [
        p
        for p in find(docs, "NetworkPolicy")
        if matches(p["spec"]["podSelector"]["matchLabels"], pod_labels)
    ]
    ingress = [p for p in policies if "Ingress" in p["spec"]["policyTypes"]]
    egress = [p for p in policies if "Egress" in p["spec"]["policyTypes"]]
    if not ingress or not egress:
        return ["no NetworkPolicy restricts both ingress and egress"]
    sources = []
    for policy in ingress:
        for rule in policy["spec"].get("ingress", []):
            ports = {p.get("port") for p in rule.get("ports", [])}
            if not rule.get("from") or not ports or not ports <= {"http", svc.port}:
                problems.append(
                    f"{policy['metadata']['name']}: an ingress rule beyond the HTTP port"
                )
            sources += [
                _get(f, "namespaceSelector.matchLabels") or {} for f in rule.get("from", [])
            ]
    if {"kubernetes.io/metadata.name": "ingress-nginx"} not in sources:
        problems.append("the ingress controller cannot reach the HTTP port")
    for backing, port in (("postgresql", 5432), ("kafka", 9092)):
        targets = backing_pod_labels(docs, backing)
        reachable = any(
            matches(_get(peer, "podSelector.matchLabels") or {"-": "-"}, labels)
            and port in {p.get("port") for p in rule.get("ports", [])}
            for policy in egress
            for rule in policy["spec"].get("egress", [])
            for peer in rule.get("to", [])
            for labels in targets
        )
        if not targets or not reachable:
            problems.append(f"egress to {backing} pods on {port} is not allowed")
    return problems


def service_problems(svc: Service, docs: list[Doc], overlay: str) -> list[str]:
    problems: list[str] = []
    deployment = one(docs, "Deployment", svc.name)
    spec = pod_spec(deployment)
    app = container(deployment)
    labels = deployment["spec"]["template"]["metadata"]["labels"]

    # Ports and probes: the app's port and the app's own health routes.
    ports = {p["name"]: p["containerPort"] for p in app.get("ports", [])}
    if ports != {"http": svc.port}:
        problems.append(f"container ports {ports}, the app listens on http {svc.port}")
    service = one(docs, "Service", svc.name)
    [service_port] = service["spec"]["ports"]
    if service_port["targetPort"] not in ("http", svc.port) or not matches(
        service["spec"]["selector"], labels
    ):
        problems.append("the Service does not send to the pods' HTTP port")
    for probe, path in (
        ("startupProbe", "/healthz"),
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
    ):
        http = _get(app, f"{probe}.httpGet") or {}
        if http.get("path") != path or http.get("port") not in ("http", svc.port):
            problems.append(f"{probe} is not GET {path} on the HTTP port")
        elif "GET" not in svc.routes.get(path, set()):
            problems.append(f"the app has no GET {path}")

    # Resources and security.
    for kind in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if not _get(app, f"resources.{kind}.{resource}"):
                problems.append(f"no {resource} {kind}")
    problems += security_problems(spec, app)

    # Graceful termination longer than the drain.
    env, env_problems = environment(docs, svc, deployment)
    problems += env_problems
    drain = float(env.get(f"{svc.prefix}DRAIN_TIMEOUT_SECONDS", 10))
    pre_stop = _get(app, "lifecycle.preStop.sleep.seconds") or 0
    needed = pre_stop + DRAIN_BUDGET_SECONDS + 2 * drain
    if spec.get("terminationGracePeriodSeconds", 30) <= needed:
        problems.append(f"terminationGracePeriodSeconds not above the drain time ({needed}s)")

    # Every setting, under the names the settings class reads.
    problems += settings_problems(svc, env)

    # The migration Job: same image, its own command, the same database.
    job = one(docs, "Job", f"{svc.name}-migrate")
    migrate = container(job)
    if migrate.get("command") != [svc.migrate_command]:
        problems.append(f"the migration Job does not run {svc.migrate_command}")
    if migrate["image"] != app["image"]:
        problems.append("the migration Job runs another image")
    if pod_spec(job).get("restartPolicy") not in ("Never", "OnFailure"):
        problems.append("the migration Job restarts forever")
    problems += [f"migration: {p}" for p in security_problems(pod_spec(job), migrate)]
    job_env, job_problems = environment(docs, svc, job)
    problems += [
        f"migration: {p}" for p in job_problems + settings_problems(svc, job_env, complete=False)
    ]
    if job_env.get("DATABASE_URL", 1) != env.get("DATABASE_URL", 2):
        problems.append("the migration Job migrates another database")
    # Least privilege: its database, and the token settings the settings class requires in
    # production; never the API keys or another service's secrets. (A generated Secret's
    # name carries kustomize's hash suffix.)
    job_secrets = {
        re.sub(r"-[a-z0-9]{10}$", "", name)
        for name in [
            *(
                ref["valueFrom"]["secretKeyRef"]["name"]
                for ref in migrate.get("env", [])
                if "secretKeyRef" in ref.get("valueFrom", {})
            ),
            *(ref["secretRef"]["name"] for ref in migrate.get("envFrom", []) if "secretRef" in ref),
        ]
    }
    if unneeded := job_secrets - {f"{svc.name}-db-app", "synergia-auth"}:
        problems.append(f"the migration Job is given secrets it does not need: {sorted(unneeded)}")

    # Image: the service's version; in dev exactly what docker compose builds.
    name, _, tag = app["image"].rpartition(":")
    if tag != svc.version or not name.endswith(f"synergia/{svc.name}"):
        problems.append(f"image {app['image']} is not synergia/{svc.name}:{svc.version}")
    if overlay == "overlays/dev" and app["image"] != svc.image:
        problems.append(f"dev image {app['image']} is not the compose image {svc.image}")

    # Scaling: an HPA on the Deployment, never beyond the partitions consumed.
    hpa = one(docs, "HorizontalPodAutoscaler", svc.name)
    if hpa["apiVersion"] != "autoscaling/v2" or hpa["spec"]["scaleTargetRef"]["name"] != svc.name:
        problems.append("no autoscaling/v2 HPA on the Deployment")
    counts = partitions(docs)
    prefix = env.get("KAFKA_TOPIC_PREFIX", "")
    for topic in svc.consumed_topics:
        if hpa["spec"]["maxReplicas"] > counts.get(prefix + topic, 0):
            problems.append(f"maxReplicas above the partitions of {topic}")
    pdb = one(docs, "PodDisruptionBudget", svc.name)
    if not matches(pdb["spec"]["selector"]["matchLabels"], labels):
        problems.append("the PodDisruptionBudget selects other pods")
    problems += network_problems(svc, docs, labels)
    job_labels = job["spec"]["template"]["metadata"]["labels"]
    problems += [f"migration: {p}" for p in network_problems(svc, docs, job_labels)]
    return problems


def security_problems(spec: Doc, app: Doc) -> list[str]:
    problems = []
    pod_security = spec.get("securityContext", {})
    security = app.get("securityContext", {})
    if not pod_security.get("runAsNonRoot") or not pod_security.get("runAsUser"):
        problems.append("pods may run as root")
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append("privilege escalation is allowed")
    if security.get("readOnlyRootFilesystem") is not True:
        problems.append("the root filesystem is writable")
    if "ALL" not in (_get(security, "capabilities.drop") or []):
        problems.append("capabilities are not dropped")
    mounts = {m["mountPath"]: m["name"] for m in app.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    if "emptyDir" not in volumes.get(mounts.get("/tmp", ""), {}):
        problems.append("no writable /tmp (uploads spool there)")
    return problems


@pytest.mark.parametrize("svc", services(), ids=lambda s: s.name)
def test_service(svc: Service, overlay: str) -> None:
    assert service_problems(svc, manifests(overlay), overlay) == []


def _registry_mutations() -> dict[str, Any]:
    def deployment(docs: list[Doc]) -> Doc:
        return container(one(docs, "Deployment", "registry"))

    def patch_pod(docs: list[Doc]) -> Doc:
        return pod_spec(one(docs, "Deployment", "registry"))

    def config(docs: list[Doc]) -> dict[str, str]:
        [cm] = [
            c
            for c in find(docs, "ConfigMap")
            if c["metadata"]["name"].startswith("registry-config")
        ]
        data: dict[str, str] = cm["data"]
        return data

    return {
        "readiness on /healthz": lambda d: deployment(d)["readinessProbe"]["httpGet"].update(
            path="/healthz"
        ),
        "liveness on a missing path": lambda d: deployment(d)["livenessProbe"]["httpGet"].update(
            path="/live"
        ),
        "wrong port": lambda d: deployment(d)["ports"][0].update(containerPort=8000),
        "no limits": lambda d: deployment(d)["resources"].pop("limits"),
        "root": lambda d: patch_pod(d)["securityContext"].pop("runAsNonRoot"),
        "writable root": lambda d: deployment(d)["securityContext"].update(
            readOnlyRootFilesystem=False
        ),
        "short grace": lambda d: patch_pod(d).update(terminationGracePeriodSeconds=20),
        "missing setting": lambda d: config(d).pop("REGISTRY_CONSUMER_MAX_ATTEMPTS"),
        "misspelt setting": lambda d: config(d).update(REGISTRY_CONSUMERS_ENABLE="false"),
        "secret in ConfigMap": lambda d: config(d).update(API_KEYS="[]"),
        "other image": lambda d: deployment(d).update(image="synergia/registry:0.2.0"),
        "too many replicas": lambda d: one(d, "HorizontalPodAutoscaler", "registry")["spec"].update(
            maxReplicas=99
        ),
        "open ingress": lambda d: one(d, "NetworkPolicy", "registry")["spec"]["ingress"][0].pop(
            "from"
        ),
        "no kafka egress": lambda d: one(d, "NetworkPolicy", "registry")["spec"]["egress"].pop(),
        "migration command": lambda d: container(one(d, "Job", "registry-migrate")).update(
            command=["alembic"]
        ),
        "api keys to the migration": lambda d: container(one(d, "Job", "registry-migrate"))[
            "env"
        ].append(
            {
                "name": "API_KEYS",
                "valueFrom": {"secretKeyRef": {"name": "synergia-api-keys", "key": "api-keys"}},
            }
        ),
    }


@pytest.mark.parametrize("mutation", sorted(_registry_mutations()))
def test_service_check_can_fail(mutation: str) -> None:
    docs = manifests("overlays/prod")  # freshly parsed: mutating it changes nothing else
    assert service_problems(services()[0], docs, "overlays/prod") == []
    _registry_mutations()[mutation](docs)
    assert service_problems(services()[0], docs, "overlays/prod"), f"{mutation} not caught"


# ---- topics, replicas, secrets, ingress ------------------------------------------------


def test_every_topic_is_declared(overlay: str) -> None:
    docs = manifests(overlay)
    prefixes = set()
    for svc in services():
        env, _ = environment(docs, svc, one(docs, "Deployment", svc.name))
        prefixes.add(env.get("KAFKA_TOPIC_PREFIX", ""))
    [prefix] = prefixes
    declared = set(partitions(docs))
    assert declared == {prefix + t for t in topics_in_use()}


def test_prod_event_topics_keep_their_records() -> None:
    # Projections are rebuilt by replaying topics from the beginning.
    for topic in find(manifests("overlays/prod"), "KafkaTopic"):
        if not topic["spec"]["topicName"].endswith(".dlq"):
            assert str(topic["spec"]["config"]["retention.ms"]) == "-1", topic["spec"]["topicName"]


def test_replicas_dev_one_prod_more() -> None:
    for svc in services():
        dev = one(manifests("overlays/dev"), "HorizontalPodAutoscaler", svc.name)["spec"]
        prod = one(manifests("overlays/prod"), "HorizontalPodAutoscaler", svc.name)["spec"]
        assert dev["minReplicas"] == dev["maxReplicas"] == 1
        assert 2 <= prod["minReplicas"] <= prod["maxReplicas"]
    for workload in find(manifests("overlays/dev"), "StatefulSet"):
        assert workload["spec"]["replicas"] == 1


def test_kafka_bootstrap_points_at_the_broker(overlay: str) -> None:
    docs = manifests(overlay)
    [config] = [
        c for c in find(docs, "ConfigMap") if c["metadata"]["name"].startswith("synergia-config")
    ]
    bootstrap = config["data"]["KAFKA_BOOTSTRAP_SERVERS"]
    if overlay.endswith("prod"):
        [kafka] = find(docs, "Kafka")
        plain = [lst for lst in kafka["spec"]["kafka"]["listeners"] if not lst["tls"]]
        assert bootstrap in {
            f"{kafka['metadata']['name']}-kafka-bootstrap:{lst['port']}" for lst in plain
        }
    else:
        broker = container(one(docs, "StatefulSet", "kafka"))
        env = {e["name"]: e.get("value") for e in broker["env"]}
        assert f"PLAINTEXT://{bootstrap}" in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
        host, _, port = bootstrap.partition(":")
        assert one(docs, "Service", host)["spec"]["ports"][0]["port"] == int(port)


@pytest.mark.parametrize("path", ["base", "overlays/prod"])
def test_no_secret_values_outside_dev(path: str) -> None:
    assert find(manifests(path), "Secret") == []


def test_dev_secrets_are_the_known_development_ones() -> None:
    names = {
        s["metadata"]["name"].rsplit("-", 1)[0] for s in find(manifests("overlays/dev"), "Secret")
    }
    assert names == DEV_SECRETS


def test_prod_ingress_routes_each_prefix_to_its_service() -> None:
    docs = manifests("overlays/prod")
    [ingress] = find(docs, "Ingress")
    routes = {
        path["path"]: path["backend"]["service"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    for svc in services():
        prefix = f"/{svc.name}"
        [backend] = [b for p, b in routes.items() if re.match(rf"^{prefix}(\(|/|$)", p)]
        assert backend["name"] == svc.name
        assert backend["port"] in (
            {"name": "http"},
            {"number": svc.port},
        )
        env = {
            e["name"]: e.get("value") for e in container(one(docs, "Deployment", svc.name))["env"]
        }
        assert env["UVICORN_ROOT_PATH"] == prefix
        # The rewrite strips the prefix: /registry/v1/actors reaches the app as /v1/actors.
        [path] = [p for p in routes if p.startswith(prefix)]
        target = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/rewrite-target"]
        python_target = re.sub(r"\$(\d)", r"\\\1", target)
        rewritten = re.sub(path, python_target, f"{prefix}/v1/admin/dead-letters")
        assert rewritten == "/v1/admin/dead-letters"
        assert rewritten in svc.routes


def test_images_agree_with_compose() -> None:
    from tests.deploy.conftest import compose

    for svc in services():
        assert compose()["services"][svc.name]["image"] == svc.image
        for path in BUILDS:
            images = {
                c["image"]
                for d in manifests(path)
                if d["kind"] in ("Deployment", "Job")
                for c in pod_spec(d)["containers"]
                if f"synergia/{svc.name}" in c["image"]
            }
            assert len(images) == 1
            assert images.pop().endswith(f"synergia/{svc.name}:{svc.version}")
