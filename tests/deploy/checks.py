"""Checks shared by the compose and Kubernetes tests: each returns its problems."""

from __future__ import annotations

import os
from collections.abc import Mapping
from unittest import mock

from pydantic import ValidationError
from sqlalchemy.engine import make_url

from tests.deploy.conftest import ALTERNATIVES, Service


def settings_problems(svc: Service, env: Mapping[str, str], *, complete: bool = True) -> list[str]:
    """What is wrong with the environment ``env`` given to ``svc``.

    Every name must be one the settings class reads (a typo is silently ignored by
    pydantic-settings, so it is caught here); with ``complete``, every setting must be
    provided (of alternatives, exactly one); and the settings class must accept the values.
    """
    problems = [
        f"{name} is not a setting of {svc.name}" for name in env if not svc.setting_for(name)
    ]
    provided: dict[str, list[str]] = {}
    for name in env:
        if field := svc.setting_for(name):
            provided.setdefault(field, []).append(name)
    problems += [
        f"{field} is given twice: {names}" for field, names in provided.items() if len(names) > 1
    ]
    if complete:
        alternative = {f for group in ALTERNATIVES for f in group}
        for field in svc.fields:
            if field not in alternative and field not in provided:
                problems.append(f"{field} is not provided (as {sorted(svc.env_names(field))})")
        for group in ALTERNATIVES:
            given = group & provided.keys()
            if len(given) != 1:
                problems.append(
                    f"exactly one of {sorted(group)} must be provided, not {sorted(given)}"
                )
    elif "database_url" not in provided:
        problems.append("database_url is not provided")
    with mock.patch.dict(os.environ, dict(env), clear=True):
        try:
            settings = svc.settings_cls()
        except ValidationError as exc:
            return [*problems, f"{svc.name} refuses these settings: {exc}"]
    url = make_url(settings.database_url)  # type: ignore[attr-defined]
    if url.drivername != "postgresql+asyncpg" or url.database != f"synergia_{svc.name}":
        problems.append(f"database URL is not synergia_{svc.name} over asyncpg: {url!r}")
    if url.username != f"synergia_{svc.name}":
        problems.append(f"the database role is not synergia_{svc.name}: {url.username}")
    if complete and settings.port != svc.port:  # type: ignore[attr-defined]
        problems.append(f"PORT is {settings.port}, the service listens on {svc.port}")  # type: ignore[attr-defined]
    return problems
