"""The container images: one Dockerfile for every service, checked statically (no Docker
engine) as each service's build arguments make it.

Parsed with the official Dockerfile parser (the `dockerfile` package) and linted with
hadolint; what they must say comes from the code: the port from the settings class, the
health path from the app, the migration command from the service's pyproject.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import tomllib
from pathlib import Path

import dockerfile
import pytest

from tests.deploy.conftest import BIN, ROOT, Service, compose, services

DRAIN_BUDGET_SECONDS = 15  # uvicorn --timeout-graceful-shutdown in every image
DOCKERFILE = ROOT / "services" / "Dockerfile"


def build_args(svc: Service) -> dict[str, str]:
    """The build arguments the service's image is built with (docker compose's)."""
    args = compose()["services"][svc.name]["build"].get("args", {})
    return {name: str(value) for name, value in args.items()}


def parse(path: Path) -> list[dockerfile.Command]:
    return list(dockerfile.parse_file(str(path)))


def stages(commands: list[dockerfile.Command]) -> list[list[dockerfile.Command]]:
    result: list[list[dockerfile.Command]] = []
    for command in commands:
        if command.cmd == "FROM":
            result.append([])
        if result:
            result[-1].append(command)
    return result


def global_args(commands: list[dockerfile.Command]) -> dict[str, str]:
    args: dict[str, str] = {}
    for command in commands:
        if command.cmd == "FROM":
            break
        if command.cmd == "ARG":
            name, _, default = command.value[0].partition("=")
            args[name] = default
    return args


def resolve(value: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), value)


def resolved(commands: list[dockerfile.Command], args: dict[str, str]) -> list[dockerfile.Command]:
    """The instructions as ``args`` (build arguments over the ARG defaults) make them."""
    return [
        command._replace(value=tuple(resolve(v, args) for v in command.value))
        for command in commands
    ]


def environment(stage: list[dockerfile.Command]) -> dict[str, str]:
    """The variables a stage's ENV instructions set (``ENV a=1 b=2``, parsed in pairs)."""
    env: dict[str, str] = {}
    for command in stage:
        if command.cmd == "ENV":
            env.update(zip(command.value[::2], command.value[1::2], strict=True))
    return env


def uvicorn_options(argv: list[str], env: dict[str, str]) -> dict[str, str]:
    """What uvicorn runs with: each option of ``argv`` with the word after it, else its
    ``UVICORN_<OPTION>`` variable (uvicorn reads those), and ``app``: the positional
    argument, else ``UVICORN_APP``."""
    options = {
        f"--{name.removeprefix('UVICORN_').lower().replace('_', '-')}": value
        for name, value in env.items()
        if name.startswith("UVICORN_") and name != "UVICORN_APP"
    }
    options.update(itertools.pairwise(argv))
    positional = argv[1] if len(argv) > 1 and not argv[1].startswith("-") else None
    options["app"] = positional or env.get("UVICORN_APP", "")
    return options


def probe_url(probe: str, env: dict[str, str]) -> str:
    """The health probe's code with the variables it reads from the environment filled in."""
    return re.sub(
        r"""' \+ os\.environ\['(\w+)'\] \+ '""", lambda m: env.get(m.group(1), "?"), probe
    )


def exec_form(command: dockerfile.Command) -> list[str]:
    """The argv of a CMD or HEALTHCHECK CMD written in exec (JSON) form."""
    assert command.json, f"line {command.start_line}: {command.cmd} must use the exec form"
    return list(command.value[1:] if command.cmd == "HEALTHCHECK" else command.value)


def dockerfile_problems(
    svc: Service, commands: list[dockerfile.Command], args: dict[str, str]
) -> list[str]:
    """Everything wrong with the service's image, the Dockerfile built with ``args``;
    empty when it is right."""
    problems: list[str] = []
    args = {**global_args(commands), **args}
    all_stages = stages(resolved(commands, args))
    if len(all_stages) < 2:
        problems.append("not a multi-stage build")
        return problems
    final = all_stages[-1]
    base = resolve(final[0].value[0], args)
    if not re.fullmatch(r"python:3\.\d+(\.\d+)?-slim(-\w+)?", base):
        problems.append(f"final stage is not a slim Python image: {base}")
    bases = [resolve(s[0].value[0], args) for s in all_stages]
    python_stages = [b for b in bases if b.startswith("python:")]
    if len(python_stages) < 2 or len(set(python_stages)) != 1:
        problems.append(f"build and runtime use different Python images: {python_stages}")

    run_lines = [" ".join(c.value) for s in all_stages for c in s if c.cmd == "RUN"]
    runs = "\n".join(run_lines)
    copies = [c.value for s in all_stages for c in s if c.cmd == "COPY"]
    if not any("uv.lock" in value for value in copies):
        problems.append("uv.lock is not copied into the build")
    syncs = [m for line in run_lines for m in re.findall(r"uv sync[^&;|\n]*", line)]
    if not syncs or not all("--locked" in s or "--frozen" in s for s in syncs):
        problems.append("dependencies are not installed from the lock (uv sync --locked)")
    if not all("--no-dev" in s and f"--package synergia-{svc.name}" in s for s in syncs):
        problems.append(f"uv sync must install only synergia-{svc.name}, without dev deps")
    if "--no-editable" in runs:
        problems.append("--no-editable breaks migrate.py, which finds migrations/ beside src/")
    for needed in ("alembic.ini", "migrations", "src"):
        source = f"services/{svc.name}/{needed}"
        if not any(
            value[0] == source and value[-1].startswith(f"services/{svc.name}") for value in copies
        ):
            problems.append(f"{source} is not copied to where migrate.py looks for it")

    final_cmds = {c.cmd: c for c in final}  # the last of each instruction wins
    user = final_cmds.get("USER")
    uid = user.value[0].split(":")[0] if user else "0"
    if not uid.isdigit() or int(uid) == 0:
        problems.append(f"the runtime user must be a numeric non-root uid, not {uid!r}")
    if final_cmds.get("EXPOSE") is None or final_cmds["EXPOSE"].value[0] != str(svc.port):
        problems.append(f"EXPOSE is not the service's port {svc.port}")
    env = environment(final)
    if "PYTHONDONTWRITEBYTECODE" not in env:
        problems.append("PYTHONDONTWRITEBYTECODE is not set (read-only root filesystem)")

    health = final_cmds.get("HEALTHCHECK")
    if health is None:
        problems.append("no HEALTHCHECK")
    else:
        probe = probe_url(" ".join(exec_form(health)), env)
        match = re.search(r"http://127\.0\.0\.1:(\d+)(/\S*?)['\"]", probe)
        if not match or match.group(1) != str(svc.port) or match.group(2) != "/healthz":
            problems.append(f"HEALTHCHECK does not GET /healthz on {svc.port}: {probe}")
        elif match.group(2) not in svc.routes:
            problems.append("the app has no /healthz")

    cmd = final_cmds.get("CMD")
    if cmd is None:
        problems.append("no CMD")
    else:
        argv = exec_form(cmd)
        options = uvicorn_options(argv, env)
        app = f"synergia_{svc.name}.app:create_app"
        if argv[0] != "uvicorn" or options["app"] != app or "--factory" not in argv:
            problems.append(f"CMD does not start uvicorn {app} --factory: {argv}, {env}")
        if options.get("--port") != str(svc.port) or options.get("--host") != "0.0.0.0":
            problems.append(f"CMD does not listen on 0.0.0.0:{svc.port}")
        if options.get("--timeout-graceful-shutdown") != str(DRAIN_BUDGET_SECONDS):
            problems.append("CMD has no --timeout-graceful-shutdown (graceful stop)")
    stop = final_cmds.get("STOPSIGNAL")
    if stop is not None and stop.value[0] not in ("SIGTERM", "15"):
        problems.append("uvicorn drains on SIGTERM, not on another stop signal")
    return problems


@pytest.mark.parametrize("svc", services(), ids=lambda s: s.name)
def test_dockerfile(svc: Service) -> None:
    assert dockerfile_problems(svc, parse(DOCKERFILE), build_args(svc)) == []


@pytest.mark.parametrize("svc", services(), ids=lambda s: s.name)
def test_migration_command_exists(svc: Service) -> None:
    # compose, the Jobs and the docs run this console script from the image.
    assert svc.pyproject["project"]["scripts"][svc.migrate_command] == (
        f"synergia_{svc.name}.migrate:main"
    )
    service_dir = ROOT / "services" / svc.name
    assert (service_dir / "alembic.ini").is_file()
    assert (service_dir / "migrations" / "env.py").is_file()


def test_one_dockerfile_names_no_service() -> None:
    """One recipe: the service and its port come from the build arguments only, so a fix
    reaches every image; and uv checks the lock against every workspace member's
    pyproject, so all of them are copied."""
    text = DOCKERFILE.read_text()
    members = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    for member in members["members"]:
        line = f"COPY {member}/pyproject.toml {member}/\n"
        assert line in text, line
        text = text.replace(line, "")
    code = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    for svc in services():
        assert svc.name not in code, svc.name
        assert svc.name.upper() not in code, svc.name
        assert str(svc.port) not in code, svc.port
        assert build_args(svc) == {"SERVICE": svc.name, "PORT": str(svc.port)}, svc.name


def test_hadolint() -> None:
    result = subprocess.run(
        [str(BIN / "hadolint"), "--format", "json", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, json.dumps(json.loads(result.stdout or "[]"), indent=1)


def test_dockerignore_keeps_local_state_out() -> None:
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for needed in (".git", ".venv", ".data", ".tools", "**/__pycache__", "tests", "deploy"):
        assert needed in patterns, needed
    # ... but nothing the Dockerfile copies, for any service.
    for svc in services():
        for command in resolved(parse(DOCKERFILE), build_args(svc)):
            if command.cmd == "COPY" and not any(f.startswith("--from") for f in command.flags):
                for source in command.value[:-1]:
                    top = source.split("/")[0]
                    assert top not in patterns, source
                    assert source not in patterns, source


def test_dockerfile_check_can_fail() -> None:
    """Mutated copies of the good Dockerfile are caught, one defect at a time."""
    svc = services()[0]
    good = DOCKERFILE.read_text()
    mutations = {
        "root user": ("USER 10001:10001", "USER root"),
        "health path": ("/healthz'", "/health'"),
        "health port": ("os.environ['UVICORN_PORT']", "'8000'"),
        "port": ("UVICORN_PORT=${PORT}", "UVICORN_PORT=8000"),
        "exposed port": ("EXPOSE ${PORT}", "EXPOSE 8000"),
        "another service's app": ("synergia_${SERVICE}.app", "synergia_funding.app"),
        "another service's code": (
            "COPY services/${SERVICE}/src services/${SERVICE}/src",
            "COPY services/funding/src services/funding/src",
        ),
        "unlocked": (
            "uv sync --locked --no-dev --package synergia-${SERVICE} \\\n",
            "uv sync \\\n",
        ),
        "graceful": ('"--timeout-graceful-shutdown", "15", ', ""),
        "fat base": ("python:3.11-slim-bookworm", "python:3.11-bookworm"),
    }
    for name, (old, new) in mutations.items():
        assert old in good, name
        mutated = good.replace(old, new)
        commands = list(dockerfile.parse_string(mutated))
        assert dockerfile_problems(svc, commands, build_args(svc)), f"{name} not caught"
    # ... and so is an image built without the service's arguments.
    assert dockerfile_problems(svc, parse(DOCKERFILE), {})
