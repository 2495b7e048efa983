"""`make token ROLE=cluster_manager ACTOR_ID=<id>`: a development token for a person who
acts for an organisation, which the services accept as that actor's manager."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

from synergia_registry.access import manages_cluster, may_write
from synergia_shared.http.auth import Authenticator, Role
from synergia_shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]


def make_token(*variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "token", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_a_cluster_manager_token_acts_for_its_cluster_organisation() -> None:
    cluster = uuid.uuid4()
    made = make_token("ROLE=cluster_manager", f"ACTOR_ID={cluster}")
    assert made.returncode == 0, made.stderr
    settings = ServiceSettings(database_url="postgresql+asyncpg://u@localhost/x")
    principal = await Authenticator(settings).from_token(made.stdout.strip())
    assert principal.roles == {Role.CLUSTER_MANAGER}
    assert principal.actor_id == str(cluster)
    assert manages_cluster(principal, cluster)
    assert may_write(principal, cluster)
    assert not may_write(principal, uuid.uuid4())


def test_an_actor_id_that_is_not_an_id_is_refused() -> None:
    made = make_token("ROLE=sme", "ACTOR_ID=acme")
    assert made.returncode != 0
    assert "ACTOR_ID must be an actor's id" in made.stderr
