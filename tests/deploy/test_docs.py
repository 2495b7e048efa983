"""docs/operations.md and the README say what the deployment files and the code do."""

from __future__ import annotations

import re

import pytest
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase
from synergia_matching import metrics as matching_metrics
from synergia_shared import metrics

from tests.deploy.conftest import ROOT, find, manifests, services

OPERATIONS = ROOT / "docs" / "operations.md"
# Where metrics are defined: the shared ones every service exposes, and a service's own.
METRIC_MODULES = (metrics, matching_metrics)


def defined_metrics() -> dict[str, set[str]]:
    """Metric name as documented -> the series names Prometheus stores for it."""
    result: dict[str, set[str]] = {}
    for value in (v for module in METRIC_MODULES for v in vars(module).values()):
        if not isinstance(value, MetricWrapperBase):
            continue
        name = value._name
        if isinstance(value, Counter):
            result[f"{name}_total"] = {f"{name}_total", f"{name}_created"}
        elif isinstance(value, Histogram):
            result[name] = {f"{name}_{s}" for s in ("bucket", "sum", "count", "created")}
        elif isinstance(value, Gauge):
            result[name] = {name}
        else:  # a new metric type: decide how it is documented
            raise AssertionError(f"{name}: unknown metric type {type(value)}")
    return result


def alerts() -> dict[str, str]:
    [rules] = find(manifests("overlays/prod"), "PrometheusRule")
    return {
        rule["alert"]: rule["expr"] for group in rules["spec"]["groups"] for rule in group["rules"]
    }


def test_every_metric_is_documented() -> None:
    text = OPERATIONS.read_text()
    documented = set(re.findall(r"`(synergia_\w+)`", text))
    assert documented == set(defined_metrics())


def test_metrics_are_defined_only_where_the_documentation_check_looks() -> None:
    looked_at = {module.__file__ for module in METRIC_MODULES}
    constructs = re.compile(r"^\w+ = (Counter|Gauge|Histogram|Summary|Info|Enum)\(", re.M)
    defining = {
        str(path)
        for path in [*ROOT.glob("shared/src/**/*.py"), *ROOT.glob("services/*/src/**/*.py")]
        if constructs.search(path.read_text())
    }
    assert defining <= looked_at, f"add these to METRIC_MODULES: {sorted(defining - looked_at)}"


def test_every_alert_is_documented_and_uses_real_metrics() -> None:
    text = OPERATIONS.read_text()
    series = set().union(*defined_metrics().values())
    for alert, expr in alerts().items():
        assert re.search(rf"^\| `{alert}` \|", text, re.MULTILINE), f"{alert} is not documented"
        used = set(re.findall(r"\bsynergia_\w+", expr))
        assert used <= series, f"{alert} uses unknown metrics {used - series}"
        assert used or re.search(r"\bup\{", expr), f"{alert} watches nothing of ours"
    documented = set(re.findall(r"^\| `(Synergia\w+)` \|", text, re.MULTILINE))
    assert documented == set(alerts())


def test_documented_admin_endpoints_exist() -> None:
    text = OPERATIONS.read_text()
    endpoints = set(re.findall(r"`(GET|POST) (/v1/admin/[^`]+)`", text))
    assert endpoints
    for svc in services():
        for method, path in endpoints:
            assert method in svc.routes.get(path, set()), f"{svc.name}: {method} {path}"


@pytest.mark.parametrize(
    "needle", ["Deploy", "Scale", "Migrate", "Replay", "Rotate", "Metrics", "Alerts"]
)
def test_operations_covers(needle: str) -> None:
    assert re.search(rf"^## {needle}", OPERATIONS.read_text(), re.MULTILINE)


def test_readme_says_how_to_run_compose() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docker compose up --build" in readme
    for svc in services():
        assert f"http://localhost:{svc.port}/docs" in readme


def test_documented_migration_commands_exist() -> None:
    text = OPERATIONS.read_text()
    for svc in services():
        assert svc.migrate_command.replace(svc.name, "<service>") in text
