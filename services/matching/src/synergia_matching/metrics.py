"""Prometheus metrics of matching's own, next to the shared ones on ``/metrics``."""

from __future__ import annotations

from prometheus_client import Histogram

TEAM_SOLVE_SECONDS = Histogram(
    "synergia_matching_team_solve_seconds",
    "Team proposal solves (reading the candidates, running the solver), by outcome.",
    ["outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
