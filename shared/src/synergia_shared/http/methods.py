"""The methods a path answers to, for the ``Allow`` header of a 405.

Starlette answers a 405 from the first route whose path matched, so its ``Allow`` names
that route's methods only: ``/v1/actors/{id}`` said ``GET`` although it takes ``PATCH``
too. RFC 9110 (15.5.6) wants every method the resource supports.
"""

from __future__ import annotations

from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.routing import Match


def allowed_methods(request: Request) -> list[str]:
    """Every method of every route of the app whose path matches the request's, sorted
    (empty when no route's path matches: a 405 from elsewhere keeps its own header)."""
    scope = dict(request.scope)
    methods: set[str] = set()
    # Included routers are resolved to their routes (with their prefixes) here.
    for route in iter_route_contexts(request.app.router.routes):
        route_methods = route.methods
        if not route_methods:
            continue
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            methods |= set(route_methods)
    return sorted(methods)
