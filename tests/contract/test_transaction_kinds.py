"""Every route declares at most one transaction kind, and no GET declares a writing one.

The kinds are the dependencies of ``synergia_shared.http.transactions``; a GET reads in
autocommit (ReadOnly), in one read-only snapshot (Snapshot) or row by row (Rows), never
in a write transaction (twelve GETs did, each paying BEGIN and COMMIT round trips).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, get_args

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from synergia_shared.contracts.services import SERVICES, create_app
from synergia_shared.http import transactions


def _dependency_of(kind: Any) -> Callable[..., Any]:
    call: Callable[..., Any] = get_args(kind)[1].dependency
    return call


KINDS = {
    _dependency_of(getattr(transactions, name)): name
    for name in ("ReadOnly", "Snapshot", "Rows", "Write", "Idempotent", "OwnTransactions")
}
READING = {"ReadOnly", "Snapshot", "Rows"}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _kinds_by_route(service: str) -> dict[str, tuple[set[str], list[str]]]:
    routes = [c.original_route for c in iter_route_contexts(create_app(service).routes)]
    found: dict[str, tuple[set[str], list[str]]] = {}
    for route in routes:
        if isinstance(route, APIRoute):
            kinds = [KINDS[call] for call in _calls(route.dependant) if call in KINDS]
            found[f"{sorted(route.methods)} {route.path}"] = (route.methods, kinds)
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_a_route_declares_one_kind_at_most_and_a_get_only_a_reading_one(service: str) -> None:
    problems = []
    for route, (methods, kinds) in _kinds_by_route(service).items():
        if len(kinds) > 1:
            problems.append(f"{route}: several kinds {kinds}")
        if "GET" in methods and not set(kinds) <= READING:
            problems.append(f"{route}: a GET declaring {kinds}")
    assert problems == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_kinds_are_found_where_they_are_declared(service: str) -> None:
    # The check above passes trivially if it finds no kind at all.
    declared = {kind for _, kinds in _kinds_by_route(service).values() for kind in kinds}
    assert {"ReadOnly", "Write"} <= declared
